"""The entry point of the loophole scanner for the CLI, the web and the API: scans, checks,
findings (list, open one, assign an owner and a due date, close with a note, accept a risk
until a day, reopen) and how a finding is shown to someone who may not see identities.

Scanning is in ``scan``, checks in ``checks``, owners and due dates in ``owners``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.config import utcnow
from keyguard.controls.checks import Check, load_checks
from keyguard.controls.inputs import available_inputs, not_applicable_reason
from keyguard.controls.models import SEVERITIES, ControlRun, Finding, FindingEvent
from keyguard.controls.scan import ScanResult, local_day, scan_unit
from keyguard.errors import NotFound, RuleViolation
from keyguard.events.store import EventStore
from keyguard.privacy.pseudonyms import pseudonym
from keyguard.records.org.models import Person, Unit
from keyguard.records.register.matching import user_key
from keyguard.scheduler.lock import job_lock

__all__ = [
    "FindingFilter",
    "ScanResult",
    "accept_finding",
    "assign_finding",
    "check_states",
    "close_finding",
    "finding_history",
    "get_finding",
    "last_run",
    "list_findings",
    "mask_evidence",
    "reopen_finding",
    "scan_unit",
    "scan_unit_locked",
]

#: Evidence keys whose values are staff ids or user names (shown as pseudonyms when the
#: viewer may not see identities).
IDENTITY_KEYS = frozenset(
    {
        "user",
        "staff_id",
        "grantee",
        "approver",
        "approvers",
        "owner",
        "custodian",
        "holder",
        "person",
        "requester",
    }
)
SEVERITY_ORDER = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class FindingFilter:
    status: str | None = "open"
    severity: str | None = None
    check_id: str | None = None
    owner_person_id: int | None = None
    overdue: bool = False


def list_findings(
    session: Session, *, unit: Unit, filt: FindingFilter | None = None, limit: int = 1000
) -> list[Finding]:
    """Findings of the unit, most severe and oldest due first."""
    filt = filt or FindingFilter()
    q = select(Finding).where(Finding.unit_id == unit.id)
    if filt.status:
        q = q.where(Finding.status == filt.status)
    if filt.severity:
        q = q.where(Finding.severity == filt.severity)
    if filt.check_id:
        q = q.where(Finding.check_id == filt.check_id)
    if filt.owner_person_id is not None:
        q = q.where(Finding.owner_person_id == filt.owner_person_id)
    if filt.overdue:
        q = q.where(Finding.status == "open", Finding.due_on < local_day(unit, utcnow()))
    rows = list(session.scalars(q.order_by(Finding.due_on, Finding.id).limit(limit)))
    rows.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.due_on, f.check_id, f.id))
    return rows


def counts_by(session: Session, *, unit: Unit) -> dict[str, dict[str, int]]:
    """Open findings per severity and per check, and findings per status."""
    out: dict[str, dict[str, int]] = {"severity": {}, "check": {}, "status": {}}
    for sev, n in session.execute(
        select(Finding.severity, func.count())
        .where(Finding.unit_id == unit.id, Finding.status == "open")
        .group_by(Finding.severity)
    ):
        out["severity"][sev] = int(n)
    for check, n in session.execute(
        select(Finding.check_id, func.count())
        .where(Finding.unit_id == unit.id, Finding.status == "open")
        .group_by(Finding.check_id)
    ):
        out["check"][check] = int(n)
    for status, n in session.execute(
        select(Finding.status, func.count())
        .where(Finding.unit_id == unit.id)
        .group_by(Finding.status)
    ):
        out["status"][status] = int(n)
    return out


def get_finding(
    session: Session, *, unit: Unit, finding_id: str, view: bool = True, identified: bool = True
) -> Finding:
    """One finding of the unit; ``view=True`` records the look in the audit chain."""
    f = session.get(Finding, finding_id)
    if f is None or f.unit_id != unit.id:
        raise NotFound(f"no finding {finding_id}")
    if view:
        audit.record(
            session,
            "view",
            "control_finding",
            f.id,
            {"check": f.check_id, "identified": identified, "person_id": f.person_id},
            unit_id=unit.id,
        )
    return f


def finding_history(session: Session, *, finding: Finding) -> list[FindingEvent]:
    return list(
        session.scalars(
            select(FindingEvent)
            .where(FindingEvent.finding_id == finding.id)
            .order_by(FindingEvent.at, FindingEvent.id)
        )
    )


def _event(session: Session, f: Finding, kind: str, note: str = "", **details: Any) -> None:
    session.add(
        FindingEvent(
            unit_id=f.unit_id,
            finding_id=f.id,
            at=utcnow(),
            run_id=None,
            actor=audit.current_actor().name,
            kind=kind,
            note=note,
            details=details,
        )
    )


def assign_finding(
    session: Session,
    *,
    finding: Finding,
    owner: Person | None = None,
    due: dt.date | None = None,
    note: str = "",
) -> Finding:
    """Give a finding an owner (a person of its unit) and/or a due date; scans keep them."""
    if owner is None and due is None:
        raise RuleViolation("give an owner, a due date or both")
    unit = session.get(Unit, finding.unit_id)
    assert unit is not None
    changes: dict[str, Any] = {}
    if owner is not None:
        if owner.unit_id != finding.unit_id:
            raise RuleViolation(f"{owner.staff_id} is not a member of this unit")
        if owner.status == "left":
            raise RuleViolation(f"{owner.staff_id} has left the unit")
        finding.owner_person_id, finding.owner_label = owner.id, "assigned"
        finding.owner_assigned = True
        changes["owner"] = owner.staff_id
    if due is not None:
        if finding.status == "open" and due < local_day(unit, utcnow()):
            raise RuleViolation("the due date is in the past")
        finding.due_on, finding.due_assigned = due, True
        changes["due_on"] = due.isoformat()
    _event(session, finding, "assigned", note.strip(), **changes)
    session.flush()
    return finding


def close_finding(session: Session, *, finding: Finding, note: str) -> Finding:
    """Close a finding as fixed, with a note saying what was done; the next scan reopens it
    if the loophole is still there."""
    if finding.status != "open":
        raise RuleViolation("this finding is already closed")
    if not note.strip():
        raise RuleViolation("say what was done to close it")
    _close(session, finding, "fixed", note)
    _event(session, finding, "closed", note.strip())
    session.flush()
    return finding


def accept_finding(session: Session, *, finding: Finding, note: str, until: dt.date) -> Finding:
    """Accept a finding as a known risk until ``until`` (scans leave it closed till then)."""
    if finding.status != "open":
        raise RuleViolation("this finding is already closed")
    if not note.strip():
        raise RuleViolation("say why the risk is accepted")
    unit = session.get(Unit, finding.unit_id)
    assert unit is not None
    today = local_day(unit, utcnow())
    if until <= today:
        raise RuleViolation("an acceptance must end after today")
    if until > today + dt.timedelta(days=366):
        raise RuleViolation("a risk may be accepted for one year at most")
    _close(session, finding, "accepted", note)
    finding.accepted_until = until
    _event(session, finding, "accepted", note.strip(), until=until.isoformat())
    session.flush()
    return finding


def _close(session: Session, f: Finding, resolution: str, note: str) -> None:
    unit = session.get(Unit, f.unit_id)
    assert unit is not None
    now = utcnow()
    f.status, f.resolution = "closed", resolution
    f.closed_at, f.closed_on = now, local_day(unit, now)
    f.closed_by, f.close_note = audit.current_actor().name, note.strip()


def reopen_finding(session: Session, *, finding: Finding, note: str) -> Finding:
    """Reopen a closed finding by hand."""
    if finding.status != "closed":
        raise RuleViolation("this finding is open")
    unit = session.get(Unit, finding.unit_id)
    assert unit is not None
    finding.status, finding.resolution = "open", None
    finding.closed_at = finding.closed_on = None
    finding.closed_by, finding.accepted_until = None, None
    finding.opened_on = local_day(unit, utcnow())
    finding.reopen_count += 1
    if finding.due_on < finding.opened_on:
        finding.due_on, finding.due_assigned = finding.opened_on, False
    _event(session, finding, "reopened", note.strip())
    session.flush()
    return finding


def scan_unit_locked(session: Session, *, unit: Unit, **kwargs: Any) -> ScanResult:
    """:func:`scan_unit` holding the home's job lock, so that a scan never reads an ingest
    half done (``JobLocked`` when an ingest or detection is running)."""
    with job_lock(f"loophole scan of {unit.code}"):
        return scan_unit(session, unit=unit, **kwargs)


def today(unit: Unit) -> dt.date:
    """The unit's local day now."""
    return local_day(unit, utcnow())


def last_run(session: Session, *, unit: Unit) -> ControlRun | None:
    return session.scalars(
        select(ControlRun)
        .where(ControlRun.unit_id == unit.id, ControlRun.status == "ok")
        .order_by(ControlRun.id.desc())
    ).first()


@dataclass(frozen=True)
class CheckState:
    check: Check
    state: str  # applicable | not_applicable | disabled
    reason: str | None
    last: dict[str, Any] | None


def check_states(
    session: Session, *, unit: Unit, checks: list[Check] | None = None
) -> list[CheckState]:
    """Every check with whether it applies to the unit now and what its last run found."""
    checks = load_checks() if checks is None else checks
    available = available_inputs(session, unit, EventStore())
    run = last_run(session, unit=unit)
    out = []
    for c in checks:
        reason = None if c.enabled else "disabled in its check file"
        if reason is None:
            reason = not_applicable_reason(c.inputs, available)
        state = "disabled" if not c.enabled else ("not_applicable" if reason else "applicable")
        out.append(CheckState(c, state, reason, (run.checks or {}).get(c.id) if run else None))
    return out


def mask_value(unit_code: str, value: Any) -> Any:
    if isinstance(value, str) and value:
        return pseudonym(unit_code, user_key(value))
    if isinstance(value, list):
        return [mask_value(unit_code, v) for v in value]
    return value


def mask_evidence(
    unit_code: str, rows: list[dict[str, Any]], identified: bool
) -> list[dict[str, Any]]:
    """Evidence rows as a viewer may see them: identities become pseudonyms unless
    ``identified``."""
    if identified:
        return rows
    return [
        {k: (mask_value(unit_code, v) if k in IDENTITY_KEYS else v) for k, v in r.items()}
        for r in rows
    ]


def person_label(person: Person | None, identified: bool) -> str | None:
    """``Name (STAFF)`` or the pseudonym."""
    if person is None:
        return None
    return f"{person.full_name} ({person.staff_id})" if identified else person.pseudonym


def finding_view(
    session: Session, *, unit: Unit, finding: Finding, identified: bool, history: bool = False
) -> dict[str, Any]:
    """A finding as the web page and the API show it (identities masked unless
    ``identified``)."""
    f = finding
    owner = session.get(Person, f.owner_person_id) if f.owner_person_id else None
    today = local_day(unit, utcnow())
    out: dict[str, Any] = {
        "id": f.id,
        "check": f.check_id,
        "title": f.check_title,
        "severity": f.severity,
        "status": f.status,
        "resolution": f.resolution,
        "subject": f.subject if identified else f.subject_masked,
        "owner": {
            "person_id": f.owner_person_id,
            "name": person_label(owner, identified),
            "staff_id": owner.staff_id if owner is not None and identified else None,
            "role": f.owner_label,
            "assigned": f.owner_assigned,
        },
        "due_on": f.due_on.isoformat(),
        "due_assigned": f.due_assigned,
        "overdue": f.status == "open" and f.due_on < today,
        "opened_on": f.opened_on.isoformat(),
        "first_seen_at": f.first_seen_at.isoformat(),
        "last_seen_at": f.last_seen_at.isoformat(),
        "reopen_count": f.reopen_count,
        "closed_at": f.closed_at.isoformat() if f.closed_at else None,
        "closed_by": f.closed_by,
        "close_note": f.close_note,
        "accepted_until": f.accepted_until.isoformat() if f.accepted_until else None,
        "supports": list(f.supports or []),
        "evidence_total": f.evidence_total,
        "identified": identified,
    }
    if history:
        out["evidence"] = mask_evidence(unit.code, list(f.evidence or []), identified)
        out["history"] = [
            {
                "at": e.at.isoformat(),
                "kind": e.kind,
                "actor": e.actor,
                "note": e.note,
                "run_id": e.run_id,
                "details": mask_evidence(unit.code, [dict(e.details or {})], identified)[0],
            }
            for e in finding_history(session, finding=f)
        ]
    return out


def owner_candidates(session: Session, *, unit: Unit, finding: Finding) -> list[Person]:
    """People a finding is most often given to: its current owner, the security office,
    department heads and the person concerned (active people only)."""
    from keyguard.controls.owners import security_office_people
    from keyguard.records.org.models import Position

    ids: list[int] = []
    if finding.owner_person_id:
        ids.append(finding.owner_person_id)
    ids += security_office_people(session, unit, local_day(unit, utcnow()))
    ids += list(
        session.scalars(
            select(Person.id)
            .join(Position, Position.id == Person.position_id)
            .where(
                Person.unit_id == unit.id,
                Position.level.in_(("department", "leadership")),
                Person.status.in_(("active", "notice")),
            )
        )
    )
    seen: list[int] = []
    for i in ids:
        if i not in seen:
            seen.append(i)
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(seen or [-1])))}
    return [people[i] for i in seen if i in people and people[i].status != "left"]
