"""Cases: open one from an alert or a finding, link more subjects, assign an investigator,
copy events in (every column, provenance included), add notes and files, close with an
outcome, legal holds, the refresher after "no concern", and the people whose concern was
confirmed (a risk booster for the analytics).

Keyword-only functions taking the session; the only entry point from outside besides
``views`` (what pages show), ``reident``, ``triage``, ``rectification`` and ``retention``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.cases import triage
from keyguard.cases.models import (
    CASE_STATUSES,
    CONFIRMING,
    OUTCOMES,
    Case,
    CaseAction,
    CaseEvent,
    CaseEvidence,
    CaseSubject,
)
from keyguard.cases.subjects import Subject, subject
from keyguard.config import get_settings, utcnow
from keyguard.errors import NotFound, RuleViolation
from keyguard.events.schema import FIELDS
from keyguard.events.store import EventStore
from keyguard.identity.models import Account
from keyguard.identity.permissions import can
from keyguard.identity.service import principal_for
from keyguard.records.education.service import (
    NoConcernRef,
    assign_refresher,
    register_reason_check,
)
from keyguard.records.org.models import Unit

#: Largest file accepted as case evidence.
MAX_FILE_BYTES = 20 * 1024 * 1024


def local_day(unit: Unit, now: dt.datetime | None = None) -> dt.date:
    """The unit's local day at ``now`` (default: the clock)."""
    return (now or utcnow()).astimezone(zoneinfo.ZoneInfo(unit.timezone)).date()


def _actor() -> str:
    return audit.current_actor().name


def log(session: Session, case: Case, kind: str, summary: str = "", /, **details: Any) -> None:
    """Add a step to the case's timeline (the row is audited like every change)."""
    session.add(
        CaseAction(
            unit_id=case.unit_id,
            case_id=case.id,
            at=utcnow(),
            actor=_actor(),
            kind=kind,
            summary=summary,
            details=details,
        )
    )


def _unit(session: Session, case: Case) -> Unit:
    unit = session.get(Unit, case.unit_id)
    assert unit is not None
    return unit


def get_case(
    session: Session, *, unit: Unit, case_id: int, viewer_person_id: int | None = None
) -> Case:
    """A case of the unit; nobody sees a case about themselves (``NotFound``)."""
    case = session.get(Case, case_id)
    if case is None or case.unit_id != unit.id:
        raise NotFound(f"no case {case_id}")
    if viewer_person_id is not None and case.person_id == viewer_person_id:
        raise NotFound(f"no case {case_id}")
    return case


def list_cases(
    session: Session,
    *,
    unit: Unit,
    status: str | None = None,
    outcome: str | None = None,
    assigned_account_id: int | None = None,
    viewer_person_id: int | None = None,
) -> list[Case]:
    """Cases of the unit (open first, newest first), never those about the viewer."""
    q = select(Case).where(Case.unit_id == unit.id)
    if status == "active":
        q = q.where(Case.status != "closed")
    elif status:
        q = q.where(Case.status == status)
    if outcome:
        q = q.where(Case.outcome == outcome)
    if assigned_account_id is not None:
        q = q.where(Case.assigned_account_id == assigned_account_id)
    if viewer_person_id is not None:
        q = q.where((Case.person_id.is_(None)) | (Case.person_id != viewer_person_id))
    rows = list(session.scalars(q.order_by(Case.id.desc())))
    rows.sort(key=lambda c: c.status == "closed")
    return rows


def cases_of_subject(session: Session, *, unit_id: int, kind: str, ref: str) -> list[Case]:
    """Cases an alert or a finding is linked to."""
    return list(
        session.scalars(
            select(Case)
            .join(CaseSubject, CaseSubject.case_id == Case.id)
            .where(Case.unit_id == unit_id, CaseSubject.kind == kind, CaseSubject.ref == ref)
            .order_by(Case.id)
        )
    )


def _next_number(session: Session, unit: Unit) -> str:
    n = session.scalar(select(func.count(Case.id)).where(Case.unit_id == unit.id)) or 0
    while True:
        n += 1
        number = f"C-{n:04d}"
        taken = session.scalar(
            select(Case.id).where(Case.unit_id == unit.id, Case.number == number)
        )
        if taken is None:
            return number


def _check_open(case: Case) -> None:
    if case.status == "closed":
        raise RuleViolation(f"case {case.number} is closed")


def _add_subject(session: Session, case: Case, s: Subject) -> CaseSubject:
    link = CaseSubject(
        unit_id=case.unit_id,
        case_id=case.id,
        kind=s.kind,
        ref=s.ref,
        title=s.title[:300],
        summary=s.summary,
        linked_at=utcnow(),
        linked_by=_actor(),
    )
    session.add(link)
    session.flush()
    log(session, case, "linked", f"{s.kind} {s.ref}: {s.title}", kind=s.kind, ref=s.ref)
    if s.kind == "alert" and s.status == "new":
        triage.set_status(
            session,
            unit_id=case.unit_id,
            alert_id=s.ref,
            status="under_review",
            reason=f"case {case.number} opened",
        )
    return link


def open_case(
    session: Session,
    *,
    unit: Unit,
    kind: str,
    ref: str,
    title: str | None = None,
    assignee: Account | None = None,
    home: Path | None = None,
) -> Case:
    """Escalate an alert or a finding to a new case; its evidence events are copied in."""
    s = subject(session, unit, kind, ref, with_events=True)
    active = [
        c
        for c in cases_of_subject(session, unit_id=unit.id, kind=kind, ref=ref)
        if c.status != "closed"
    ]
    if active:
        raise RuleViolation(f"this {kind} is already in case {active[0].number}")
    now = utcnow()
    case = Case(
        unit_id=unit.id,
        number=_next_number(session, unit),
        title=(title or s.title).strip()[:300] or s.title[:300],
        status="open",
        person_id=s.person_id,
        user_key=s.user_key,
        subject_pseudonym=s.pseudonym,
        opened_by=_actor(),
        opened_at=now,
    )
    session.add(case)
    session.flush()
    log(session, case, "opened", f"opened from {kind} {ref}", kind=kind, ref=ref)
    _add_subject(session, case, s)
    copied = attach_events(session, case=case, events=s.events, home=home, quiet=True)
    if copied:
        log(
            session,
            case,
            "events_attached",
            f"{copied} event(s) copied from the {kind}",
            count=copied,
        )
    if assignee is not None:
        assign(session, case=case, account=assignee)
    session.flush()
    return case


def link_subject(session: Session, *, case: Case, kind: str, ref: str) -> CaseSubject:
    """Add another alert or finding about the same person to a case."""
    _check_open(case)
    unit = _unit(session, case)
    s = subject(session, unit, kind, ref, with_events=True)
    if session.scalar(
        select(CaseSubject.id).where(
            CaseSubject.case_id == case.id, CaseSubject.kind == kind, CaseSubject.ref == ref
        )
    ):
        raise RuleViolation(f"{kind} {ref} is already linked to {case.number}")
    if s.person_id != case.person_id or (s.person_id is None and s.user_key != case.user_key):
        raise RuleViolation(f"{kind} {ref} is about someone else than case {case.number}")
    link = _add_subject(session, case, s)
    attach_events(session, case=case, events=s.events, quiet=True)
    return link


def assign(session: Session, *, case: Case, account: Account | None) -> Case:
    """Give the case an investigator: an account holding ``cases.manage`` in the unit."""
    _check_open(case)
    if account is not None:
        if not account.is_active:
            raise RuleViolation(f"{account.email} is deactivated")
        if not can(principal_for(session, account), "cases.manage", case.unit_id):
            raise RuleViolation(f"{account.email} may not work cases in this unit")
        if account.person_id is not None and account.person_id == case.person_id:
            raise RuleViolation("nobody investigates a case about themselves")
    case.assigned_account_id = account.id if account else None
    if case.status == "open" and account is not None:
        case.status = "investigating"
    log(
        session,
        case,
        "assigned",
        account.display_name if account else "nobody",
        account_id=account.id if account else None,
    )
    session.flush()
    return case


def set_status(session: Session, *, case: Case, status: str) -> Case:
    """Move an open case between ``open`` and ``investigating`` (closing takes an outcome)."""
    if status not in CASE_STATUSES or status == "closed":
        raise RuleViolation(f"a case can be set to open or investigating, not {status!r}")
    _check_open(case)
    if case.status != status:
        log(session, case, "status", f"{case.status} → {status}", old=case.status, new=status)
        case.status = status
    session.flush()
    return case


def _copy_event(case: Case, row: dict[str, Any], note: str) -> CaseEvent:
    values = {f: row.get(f) for f in FIELDS}
    return CaseEvent(
        unit_id=case.unit_id,
        case_id=case.id,
        store_file=str(row.get("store_file") or "") or None,
        attached_at=utcnow(),
        attached_by=_actor(),
        note=note,
        **values,
    )


def attach_events(
    session: Session,
    *,
    case: Case,
    events: Sequence[tuple[str, dt.date | None]],
    note: str = "",
    home: Path | None = None,
    quiet: bool = False,
) -> int:
    """Copy events (by id, with their local day when known) into the case; already copied
    ones are skipped. Returns how many were copied."""
    _check_open(case)
    unit = _unit(session, case)
    store = EventStore(home)
    have = set(session.scalars(select(CaseEvent.event_id).where(CaseEvent.case_id == case.id)))
    copied = 0
    for event_id, day in events:
        if event_id in have:
            continue
        row = store.event(unit.code, event_id, day)
        session.add(_copy_event(case, row, note))
        have.add(event_id)
        copied += 1
    session.flush()
    if copied and not quiet:
        log(
            session,
            case,
            "events_attached",
            f"{copied} event(s) attached",
            count=copied,
            events=[e for e, _ in events][:50],
        )
    return copied


def parse_event_refs(lines: Sequence[str]) -> list[tuple[str, dt.date | None]]:
    """Event references as typed by a person: ``event_id`` or ``event_id@YYYY-MM-DD``."""
    out: list[tuple[str, dt.date | None]] = []
    for line in lines:
        ident, _, day = line.strip().partition("@")
        if not ident.strip():
            continue
        try:
            out.append((ident.strip(), dt.date.fromisoformat(day.strip()) if day else None))
        except ValueError:
            raise RuleViolation(f"{day!r} is not a date (YYYY-MM-DD)") from None
    if not out:
        raise RuleViolation("give at least one event id")
    return out


def add_note(session: Session, *, case: Case, text: str) -> CaseEvidence:
    """A written note on the case."""
    _check_open(case)
    if not text.strip():
        raise RuleViolation("a note needs some text")
    ev = CaseEvidence(
        unit_id=case.unit_id,
        case_id=case.id,
        kind="note",
        text=text.strip(),
        created_at=utcnow(),
        created_by=_actor(),
    )
    session.add(ev)
    session.flush()
    log(session, case, "note", text.strip()[:200], evidence_id=ev.id)
    return ev


def files_dir(unit: Unit, home: Path | None = None) -> Path:
    """Where a unit's case files are kept (content-addressed by SHA-256)."""
    return (home or get_settings().home) / "cases" / f"unit={unit.code}"


def add_file(
    session: Session,
    *,
    case: Case,
    name: str,
    data: bytes,
    content_type: str | None = None,
    text: str = "",
    home: Path | None = None,
) -> CaseEvidence:
    """A file added as evidence (kept under the home by its SHA-256; the row names it)."""
    _check_open(case)
    name = Path(name or "").name.strip()
    if not name:
        raise RuleViolation("the file has no name")
    if not data:
        raise RuleViolation(f"{name} is empty")
    if len(data) > MAX_FILE_BYTES:
        raise RuleViolation(f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    digest = hashlib.sha256(data).hexdigest()
    folder = files_dir(_unit(session, case), home)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / digest
    if not target.exists():
        tmp = folder / f".{digest}.tmp"
        tmp.write_bytes(data)
        tmp.replace(target)
    ev = CaseEvidence(
        unit_id=case.unit_id,
        case_id=case.id,
        kind="file",
        text=text.strip(),
        file_name=name[:300],
        content_type=(content_type or "")[:100] or None,
        size=len(data),
        sha256=digest,
        created_at=utcnow(),
        created_by=_actor(),
    )
    session.add(ev)
    session.flush()
    log(session, case, "file", name, evidence_id=ev.id, sha256=digest, size=len(data))
    return ev


def read_file(
    session: Session, *, case: Case, evidence_id: int, home: Path | None = None
) -> tuple[CaseEvidence, bytes]:
    """A case file's row and bytes (the hash is checked)."""
    ev = session.get(CaseEvidence, evidence_id)
    if ev is None or ev.case_id != case.id or ev.kind != "file" or not ev.sha256:
        raise NotFound(f"no file {evidence_id} in case {case.number}")
    data = (files_dir(_unit(session, case), home) / ev.sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != ev.sha256:
        raise RuleViolation(f"file {ev.file_name} does not match its recorded SHA-256")
    audit.record(session, "view", "case_evidence", ev.id, {"case": case.id}, unit_id=case.unit_id)
    return ev, data


def close_case(session: Session, *, case: Case, outcome: str, note: str) -> Case:
    """Close with an outcome and a note; linked alerts are confirmed (violation, referred)
    or dismissed (no concern, closed)."""
    _check_open(case)
    if outcome not in OUTCOMES:
        raise RuleViolation(f"unknown outcome {outcome!r} (one of {', '.join(OUTCOMES)})")
    if not note.strip():
        raise RuleViolation("say what the investigation found")
    unit = _unit(session, case)
    now = utcnow()
    case.status, case.outcome, case.outcome_note = "closed", outcome, note.strip()
    case.closed_at, case.closed_by, case.decided_on = now, _actor(), local_day(unit, now)
    log(session, case, "closed", f"{outcome}: {note.strip()[:200]}", outcome=outcome)
    status = "confirmed" if outcome in CONFIRMING else "dismissed"
    for link in session.scalars(
        select(CaseSubject).where(CaseSubject.case_id == case.id, CaseSubject.kind == "alert")
    ):
        triage.set_status(
            session,
            unit_id=case.unit_id,
            alert_id=link.ref,
            status=status,
            reason=f"case {case.number} closed as {outcome}: {note.strip()}",
            missing_ok=True,
        )
    session.flush()
    return case


def set_legal_hold(session: Session, *, case: Case, on: bool, reason: str) -> Case:
    """Put a case on legal hold (never purged while on hold) or lift the hold."""
    if not reason.strip():
        raise RuleViolation("say why")
    case.legal_hold = on
    case.legal_hold_reason = reason.strip()
    case.legal_hold_by, case.legal_hold_at = _actor(), utcnow()
    log(session, case, "legal_hold" if on else "legal_hold_lifted", reason.strip())
    session.flush()
    return case


def confirmed_case_people(session: Session, unit_id: int, day: dt.date) -> dict[int, dt.date]:
    """People with a case closed as a policy violation or referred, known by ``day``: each
    person's first such day. A dismissed alert or a "no concern" case never counts."""
    out: dict[int, dt.date] = {}
    for person_id, decided in session.execute(
        select(Case.person_id, Case.decided_on).where(
            Case.unit_id == unit_id,
            Case.outcome.in_(CONFIRMING),
            Case.person_id.is_not(None),
            Case.decided_on.is_not(None),
            Case.decided_on <= day,
        )
    ):
        if person_id is not None and decided is not None:
            out[person_id] = min(out.get(person_id, decided), decided)
    return out


def _no_concern_check(session: Session, ref: NoConcernRef, person_id: int) -> str | None:
    case = session.get(Case, int(ref.id)) if str(ref.id).isdigit() else None
    if case is None:
        return f"no case {ref.id}"
    if case.person_id != person_id:
        return f"case {case.number} is about someone else"
    if case.outcome != "no_concern" or case.status != "closed":
        return f"case {case.number} was not closed as 'no concern'"
    return None


register_reason_check("case", _no_concern_check)


def assign_case_refresher(session: Session, *, case: Case, course_urn: str) -> int:
    """After a "no concern" outcome, give the person a refresher course (its reason is kept
    apart and never shown to them). Returns the training assignment id."""
    if case.person_id is None:
        raise RuleViolation("the case is about no known person")
    ref = NoConcernRef(
        kind="case", id=str(case.id), outcome=case.outcome or "", closed_at=case.closed_at
    )
    item = assign_refresher(
        session,
        person_id=case.person_id,
        course_urn=course_urn,
        assigned_by=_actor(),
        reason_ref=ref,
    )
    log(
        session,
        case,
        "refresher",
        f"refresher course {course_urn} assigned",
        course=course_urn,
        assignment_id=item.id,
    )
    session.flush()
    return int(item.id)


def investigators(session: Session, *, unit: Unit) -> list[Account]:
    """Active accounts that may work cases in the unit (for the "assign" choice)."""
    from keyguard.identity.models import RoleAssignment

    ids = set(
        session.scalars(
            select(RoleAssignment.account_id).where(
                (RoleAssignment.unit_id == unit.id) | RoleAssignment.unit_id.is_(None)
            )
        )
    )
    out = []
    for account in session.scalars(
        select(Account).where(Account.id.in_(ids or {-1}), Account.is_active.is_(True))
    ):
        if can(principal_for(session, account), "cases.manage", unit.id):
            out.append(account)
    return sorted(out, key=lambda a: a.display_name.casefold())
