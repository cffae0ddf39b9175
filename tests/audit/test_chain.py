"""The audit chain: appends, automatic capture, and detection of every kind of tampering."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.audit import service
from keyguard.audit.context import Actor, actor_scope
from keyguard.audit.models import AuditEntry
from keyguard.db.session import session_scope
from keyguard.records.org.service import create_unit


def _fill(engine: Engine, n: int = 6) -> None:
    with actor_scope(Actor(name="test:writer")), session_scope(engine) as s:
        unit = create_unit(s, code="u1", name="Unit One", timezone="Europe/Berlin")
        for i in range(n - 1):
            audit.record(s, "view", "person", i, {"why": "test"}, unit_id=unit.id)


def _raw(engine: Engine, sql: str, **params: object) -> None:
    """Tamper behind keyguard's back (on PostgreSQL the guard trigger must be bypassed)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(sql), params)


@pytest.mark.pg
def test_changes_are_captured_with_actor(engine: Engine, session: Session) -> None:
    _fill(engine)
    entries = session.query(AuditEntry).order_by(AuditEntry.seq).all()
    assert entries[0].action == "create" and entries[0].object_type == "unit"
    assert entries[0].object_id == str(entries[0].unit_id)
    assert all(e.actor == "test:writer" for e in entries)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    result = service.verify(session)
    assert result.ok, str(result)
    assert result.entries == len(entries)


@pytest.mark.pg
@pytest.mark.parametrize(
    ("tamper", "first_bad", "word"),
    [
        ('UPDATE audit_entry SET details = \'{"why":"edited"}\' WHERE seq = 3', 3, "edited"),
        ("DELETE FROM audit_entry WHERE seq = 4", 4, "deleted"),
        ("UPDATE audit_entry SET seq = seq + 100 WHERE seq = 2", 2, "deleted"),
    ],
)
def test_verify_names_first_tampered_entry(
    engine: Engine, session: Session, tamper: str, first_bad: int, word: str
) -> None:
    _fill(engine)
    _raw(engine, tamper)
    result = service.verify(session)
    assert not result.ok
    assert result.first_bad_seq == first_bad
    assert word in (result.problem or "")


@pytest.mark.pg
def test_verify_catches_an_inserted_entry(engine: Engine, session: Session) -> None:
    _fill(engine)
    # make room after entry 3 and forge an entry 4 linked to entry 3
    _raw(engine, "UPDATE audit_entry SET seq = seq + 1000 WHERE seq >= 4")
    _raw(engine, "UPDATE audit_entry SET seq = seq - 999 WHERE seq >= 1004")
    _raw(
        engine,
        "INSERT INTO audit_entry (seq, at, actor, unit_id, action, object_type, object_id, "
        "details, prev_hash, hash) SELECT 4, at, 'forger', unit_id, 'view', 'person', '99', "
        "'{}', hash, hash FROM audit_entry WHERE seq = 3",
    )
    result = service.verify(session)
    assert not result.ok
    assert result.first_bad_seq == 4


@pytest.mark.pg
def test_verify_catches_reordered_entries(engine: Engine, session: Session) -> None:
    _fill(engine)
    _raw(engine, "UPDATE audit_entry SET seq = 1000 WHERE seq = 2")
    _raw(engine, "UPDATE audit_entry SET seq = 2 WHERE seq = 3")
    _raw(engine, "UPDATE audit_entry SET seq = 3 WHERE seq = 1000")
    result = service.verify(session)
    assert not result.ok
    assert result.first_bad_seq == 2


@pytest.mark.pg
def test_checkpoint_catches_cut_off_tail(engine: Engine, session: Session, tmp_path: Path) -> None:
    _fill(engine)
    cp = service.write_checkpoint(session, tmp_path / "cp.json")
    session.rollback()
    assert service.verify(session, checkpoint=cp).ok
    # cut the tail AND rewrite the head so the chain itself looks whole
    _raw(engine, "DELETE FROM audit_entry WHERE seq >= 5")
    _raw(
        engine, "UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit_entry WHERE seq = 4)"
    )
    session.rollback()
    assert service.verify(session).ok  # without the checkpoint the cut is invisible
    result = service.verify(session, checkpoint=json.loads((tmp_path / "cp.json").read_text()))
    assert not result.ok and "cut off" in (result.problem or "")


@pytest.mark.pg
def test_export_verifies_without_database(engine: Engine, session: Session) -> None:
    _fill(engine)
    lines = list(service.export_lines(session))
    ok, message = service.verify_lines(lines)
    assert ok, message
    obj = json.loads(lines[2])
    obj["actor"] = "someone-else"
    lines[2] = json.dumps(obj)
    ok, message = service.verify_lines(lines)
    assert not ok and "entry 3" in message


@pytest.mark.pg
def test_pg_table_refuses_update_delete_truncate(engine: Engine, db_kind: str) -> None:
    if db_kind != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    _fill(engine)
    from sqlalchemy.exc import DBAPIError

    for sql in (
        "UPDATE audit_entry SET actor = 'x'",
        "DELETE FROM audit_entry",
        "TRUNCATE audit_entry",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))


@pytest.mark.pg
def test_concurrent_writers_leave_one_chain(engine: Engine, session: Session) -> None:
    _fill(engine, n=1)
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(10):
                with actor_scope(Actor(name=f"test:w{k}")), session_scope(engine) as s:
                    audit.record(s, "view", "person", f"{k}-{i}", {})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    result = service.verify(session)
    assert result.ok, str(result)
    assert result.entries == 1 + 80


@pytest.mark.pg
def test_sealing_prunes_without_breaking_the_chain(engine: Engine, session: Session, now) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    now("2026-01-01T00:00:00")
    _fill(engine, n=4)
    now("2026-06-01T00:00:00")
    with session_scope(engine) as s:
        audit.record(s, "view", "person", "late", {})
    with session_scope(engine) as s:
        sealed = service.seal(s, before=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), reason="retention")
        assert sealed is not None and sealed.seq == 4
    remaining = session.query(AuditEntry).order_by(AuditEntry.seq).all()
    assert [e.seq for e in remaining] == [5, 6]  # the late view, then the seal record
    result = service.verify(session)
    assert result.ok, str(result)
    ok, message = service.verify_lines(service.export_lines(session))
    assert ok, message
    # deleting the first entry after the seal is still caught
    _raw(engine, "DELETE FROM audit_entry WHERE seq = 5")
    session.rollback()
    assert service.verify(session).first_bad_seq == 5
