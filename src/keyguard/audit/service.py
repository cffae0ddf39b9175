"""Appending to the chain and verifying it.

Appends serialise on the ``audit_head`` row: the first statement of an append is an UPDATE
of that row, which takes a row lock on PostgreSQL and the write lock on SQLite, so
concurrent writers queue and the chain never forks.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, insert, select, update
from sqlalchemy.orm import Session

from keyguard.audit.chain import GENESIS, canonical, entry_hash
from keyguard.audit.context import current_actor
from keyguard.audit.models import AuditEntry, AuditHead, AuditSeal
from keyguard.config import utcnow

_entry: Table = AuditEntry.__table__  # type: ignore[assignment]
_head: Table = AuditHead.__table__  # type: ignore[assignment]


def _ensure_head(conn: Connection) -> None:
    if conn.execute(select(_head.c.id).where(_head.c.id == 1)).first() is None:
        conn.execute(insert(_head).values(id=1, seq=0, hash=GENESIS))


def append(
    conn: Connection,
    *,
    action: str,
    object_type: str,
    object_id: Any = None,
    details: dict[str, Any] | None = None,
    unit_id: int | None = None,
    actor: str | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Append one entry on ``conn`` inside the caller's transaction; returns its seq."""
    _ensure_head(conn)
    # Take the lock first (UPDATE), then read the head we now own.
    conn.execute(update(_head).where(_head.c.id == 1).values(seq=_head.c.seq))
    head = conn.execute(select(_head.c.seq, _head.c.hash).where(_head.c.id == 1)).one()
    seq = int(head.seq) + 1
    at = (at or utcnow()).astimezone(dt.UTC)
    actor_name = actor or current_actor().name
    text = canonical(details or {})
    oid = None if object_id is None else str(object_id)
    digest = entry_hash(
        seq=seq,
        at=at,
        actor=actor_name,
        unit_id=unit_id,
        action=action,
        object_type=object_type,
        object_id=oid,
        details=text,
        prev_hash=head.hash,
    )
    conn.execute(
        insert(_entry).values(
            seq=seq,
            at=at,
            actor=actor_name,
            unit_id=unit_id,
            action=action,
            object_type=object_type,
            object_id=oid,
            details=text,
            prev_hash=head.hash,
            hash=digest,
        )
    )
    conn.execute(update(_head).where(_head.c.id == 1).values(seq=seq, hash=digest))
    return seq


def record(
    session: Session,
    action: str,
    object_type: str,
    object_id: Any = None,
    details: dict[str, Any] | None = None,
    *,
    unit_id: int | None = None,
) -> int:
    """Write an audit entry in ``session``'s transaction (e.g. ``view`` of a person)."""
    return append(
        session.connection(),
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
        unit_id=unit_id,
    )


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    problem: str | None = None
    first_bad_seq: int | None = None

    def __str__(self) -> str:
        if self.ok:
            head = f"{self.head_seq} {self.head_hash[:16]}"
            return f"audit chain OK: {self.entries} entries, head {head}"
        return f"audit chain BROKEN at entry {self.first_bad_seq}: {self.problem}"


def iter_entries(session: Session) -> Iterator[AuditEntry]:
    yield from session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(2000)


def verify(session: Session, checkpoint: dict[str, Any] | None = None) -> VerifyResult:
    """Walk the chain; name the first entry that was edited, deleted, inserted or reordered."""
    seal = session.scalars(select(AuditSeal).order_by(AuditSeal.seq.desc())).first()
    expected_prev = seal.hash if seal else GENESIS
    expected_seq = (seal.seq if seal else 0) + 1
    count = 0
    last_seq, last_hash = expected_seq - 1, expected_prev
    seen: dict[int, str] = {}
    for e in iter_entries(session):
        count += 1
        if e.seq != expected_seq:
            kind = "deleted" if e.seq > expected_seq else "inserted or reordered"
            return VerifyResult(
                False,
                count,
                last_seq,
                last_hash,
                f"expected entry {expected_seq}, found {e.seq} (entry {kind})",
                expected_seq,
            )
        if e.prev_hash != expected_prev:
            return VerifyResult(
                False,
                count,
                last_seq,
                last_hash,
                "previous-hash link broken (entry inserted, deleted or reordered)",
                e.seq,
            )
        digest = entry_hash(
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            unit_id=e.unit_id,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            details=e.details,
            prev_hash=e.prev_hash,
        )
        if digest != e.hash:
            return VerifyResult(
                False,
                count,
                last_seq,
                last_hash,
                "content does not match its hash (entry edited)",
                e.seq,
            )
        seen[e.seq] = e.hash
        expected_prev, last_seq, last_hash = e.hash, e.seq, e.hash
        expected_seq += 1
    head = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).first()
    if head is not None and (head.seq != last_seq or head.hash != last_hash):
        return VerifyResult(
            False,
            count,
            last_seq,
            last_hash,
            f"chain head says entry {head.seq} but the log ends at {last_seq} "
            "(tail removed or head edited)",
            last_seq + 1,
        )
    if checkpoint is not None:
        cseq, chash = int(checkpoint["seq"]), str(checkpoint["hash"])
        if cseq > last_seq:
            return VerifyResult(
                False,
                count,
                last_seq,
                last_hash,
                f"checkpoint names entry {cseq} but the log ends at {last_seq} (tail cut off)",
                last_seq + 1,
            )
        if (seal is None or cseq > seal.seq) and seen.get(cseq) != chash:
            return VerifyResult(
                False,
                count,
                last_seq,
                last_hash,
                f"entry {cseq} differs from the checkpoint",
                cseq,
            )
    return VerifyResult(True, count, last_seq, last_hash)


def head(session: Session) -> dict[str, Any]:
    row = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).first()
    seq, digest = (row.seq, row.hash) if row else (0, GENESIS)
    return {"seq": int(seq), "hash": digest, "at": utcnow().isoformat()}


def write_checkpoint(session: Session, out: Path) -> dict[str, Any]:
    """Write the current head to ``out`` (keep it outside the home)."""
    data = head(session)
    out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return data


def export_lines(session: Session) -> Iterable[str]:
    """JSON lines with every field and hash; verifiable with :func:`verify_lines`."""
    seal = session.scalars(select(AuditSeal).order_by(AuditSeal.seq.desc())).first()
    if seal is not None:
        yield canonical({"seal": {"seq": seal.seq, "hash": seal.hash}})
    for e in iter_entries(session):
        yield canonical(
            {
                "seq": e.seq,
                "at": e.at.isoformat(timespec="microseconds"),
                "actor": e.actor,
                "unit_id": e.unit_id,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "details": e.details,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
        )


def verify_lines(lines: Iterable[str]) -> tuple[bool, str]:
    """Verify an export without a database (what an outside auditor runs)."""
    prev, expected = GENESIS, 1
    n = 0
    for raw in lines:
        if not raw.strip():
            continue
        obj = json.loads(raw)
        if "seal" in obj:
            prev, expected = obj["seal"]["hash"], int(obj["seal"]["seq"]) + 1
            continue
        n += 1
        at = dt.datetime.fromisoformat(obj["at"])
        fields = {
            k: obj[k]
            for k in (
                "seq",
                "actor",
                "unit_id",
                "action",
                "object_type",
                "object_id",
                "details",
                "prev_hash",
            )
        }
        if obj["seq"] != expected or obj["prev_hash"] != prev:
            return False, f"entry {obj['seq']}: out of sequence or link broken"
        if entry_hash(at=at, **fields) != obj["hash"]:
            return False, f"entry {obj['seq']}: content does not match its hash"
        prev, expected = obj["hash"], expected + 1
    return True, f"{n} entries verified"


def seal(session: Session, *, before: dt.datetime, reason: str) -> AuditSeal | None:
    """Prune entries older than ``before`` by sealing them: record the last removed entry's
    seq and hash (so ``verify`` accepts a chain starting there), then delete them.

    Nothing is ever edited. The seal itself is written to the chain. Returns ``None`` when
    nothing is old enough.
    """
    conn = session.connection()
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash)
        .where(AuditEntry.at < before)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).first()
    if last is None:
        return None
    record(
        session, "audit_seal", "audit", last.seq, {"before": before.isoformat(), "reason": reason}
    )
    sealed = AuditSeal(
        seq=last.seq,
        hash=last.hash,
        sealed_at=utcnow(),
        actor=current_actor().name,
        reason=reason,
    )
    session.add(sealed)
    session.flush()
    if conn.dialect.name == "postgresql":
        from sqlalchemy import text

        conn.execute(text("SET LOCAL keyguard.audit_seal = 'on'"))
    conn.execute(_entry.delete().where(_entry.c.seq <= last.seq))
    if conn.dialect.name == "postgresql":
        from sqlalchemy import text

        conn.execute(text("SET LOCAL keyguard.audit_seal = 'off'"))
    return sealed
