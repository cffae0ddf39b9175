"""JSON twins of the case pages: cases (list, open, one case with its timeline, the actions
on it), the triage queue and bulk dismissal, triage metrics, rectification actions (the
unit's list, one's own, create, update, complete, cancel) and retention settings. Same
pseudonymisation and the same audit entries as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from keyguard.api import ActiveUnit, CurrentAccount, DbSession, UnitInfo, login_required, require
from keyguard.cases import rectification as rect
from keyguard.cases import retention, service, triage, views
from keyguard.cases.models import Case
from keyguard.errors import NotFound, PermissionDenied
from keyguard.identity.models import Account
from keyguard.identity.permissions import Principal, can
from keyguard.records.org.models import Person, Unit
from keyguard.records.register.common import person_by_staff_id
from keyguard.scheduler.lock import job_lock

router = APIRouter()
Viewer = Annotated[Principal, require("cases.view")]
Manager = Annotated[Principal, require("cases.manage")]
Triager = Annotated[Principal, require("alerts.triage")]
Keeper = Annotated[Principal, require("retention.manage")]
Someone = Annotated[Principal, login_required()]


class OpenIn(BaseModel):
    kind: Literal["alert", "finding"] = "alert"
    ref: str
    title: str | None = None


class AssignIn(BaseModel):
    account_id: int | None = Field(None, description="Investigator (none: unassign)")


class StatusIn(BaseModel):
    status: Literal["open", "investigating"]


class EventsIn(BaseModel):
    events: list[str] = Field(description="Event ids, optionally `id@YYYY-MM-DD`")
    note: str = ""


class TextIn(BaseModel):
    text: str


class CloseIn(BaseModel):
    outcome: Literal["no_concern", "policy_violation", "referred", "closed"]
    note: str


class RefresherIn(BaseModel):
    course_urn: str


class HoldIn(BaseModel):
    on: bool
    reason: str


class DismissIn(BaseModel):
    alert_ids: list[str]
    reason: str


class ActionIn(BaseModel):
    title: str
    due_on: dt.date
    owner_staff_id: str | None = None
    finding_id: str | None = None
    case_id: int | None = None
    description: str = ""


class ActionUpdateIn(BaseModel):
    owner_staff_id: str | None = None
    due_on: dt.date | None = None


class EvidenceIn(BaseModel):
    evidence: str


class RetentionIn(BaseModel):
    raw_events: int | None = None
    alerts: int | None = None
    dismissed_alerts: int | None = None
    cases: int | None = None
    audit_log: int | None = None


def _unit(db: Session, info: UnitInfo) -> Unit:
    unit = db.get(Unit, info.id)
    if unit is None:
        raise NotFound("no such unit")
    return unit


def _case(db: Session, unit: Unit, principal: Principal, case_id: int) -> Case:
    return service.get_case(db, unit=unit, case_id=case_id, viewer_person_id=principal.person_id)


def _view(
    db: Session, unit: Unit, case: Case, principal: Principal, account: Account
) -> dict[str, Any]:
    return views.case_view(
        db,
        unit=unit,
        case=case,
        account=account,
        names=can(principal, "people.identify", unit.id),
        what="api",
    )


def _person(db: Session, unit: Unit, staff_id: str | None) -> Person | None:
    return person_by_staff_id(db, unit.id, staff_id) if staff_id else None


@router.get("/units/{unit_id}/cases")
def cases(
    unit_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Viewer,
    status: Literal["active", "open", "investigating", "closed", ""] = "active",
) -> dict[str, Any]:
    """Cases of the unit (pseudonymous), open first."""
    unit = _unit(db, info)
    rows = service.list_cases(
        db, unit=unit, status=status or None, viewer_person_id=principal.person_id
    )
    return {"unit": unit.code, "cases": [views.case_row(db, c) for c in rows]}


@router.post("/units/{unit_id}/cases")
def open_case(
    unit_id: int,
    body: OpenIn,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    account: CurrentAccount,
) -> dict[str, Any]:
    """Escalate an alert or a finding to a case (you become its investigator)."""
    unit = _unit(db, info)
    case = service.open_case(
        db, unit=unit, kind=body.kind, ref=body.ref, title=body.title, assignee=account
    )
    return _view(db, unit, case, principal, account)


@router.get("/units/{unit_id}/cases/triage")
def triage_queue(
    unit_id: int, db: DbSession, info: ActiveUnit, principal: Triager, policy: str = ""
) -> dict[str, Any]:
    """Alerts waiting for triage, highest score first (people by pseudonym)."""
    return {"alerts": triage.queue_rows(db, unit_id=info.id, policy_id=policy or None)}


@router.post("/units/{unit_id}/cases/triage/dismiss")
def dismiss(
    unit_id: int, body: DismissIn, db: DbSession, info: ActiveUnit, principal: Triager
) -> dict[str, Any]:
    """Dismiss several alerts with one reason."""
    n = triage.dismiss_alerts(db, unit_id=info.id, alert_ids=body.alert_ids, reason=body.reason)
    return {"dismissed": n}


@router.get("/units/{unit_id}/cases/metrics")
def metrics(
    unit_id: int, db: DbSession, info: ActiveUnit, principal: Viewer, since: dt.date | None = None
) -> dict[str, Any]:
    """Time to triage, time to close, alerts per policy and their confirmation rate."""
    return triage.metrics(db, unit_id=info.id, since=since)


@router.get("/units/{unit_id}/cases/{case_id}")
def case(
    unit_id: int,
    case_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Viewer,
    account: CurrentAccount,
) -> dict[str, Any]:
    """One case with its timeline; the identity only under an approved re-identification."""
    unit = _unit(db, info)
    return _view(db, unit, _case(db, unit, principal, case_id), principal, account)


@router.post("/units/{unit_id}/cases/{case_id}/assign")
def assign(
    unit_id: int,
    case_id: int,
    body: AssignIn,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    account: CurrentAccount,
) -> dict[str, Any]:
    unit = _unit(db, info)
    c = _case(db, unit, principal, case_id)
    target = db.get(Account, body.account_id) if body.account_id else None
    if body.account_id and target is None:
        raise NotFound("no such account")
    service.assign(db, case=c, account=target)
    return _view(db, unit, c, principal, account)


@router.post("/units/{unit_id}/cases/{case_id}/status")
def status(
    unit_id: int,
    case_id: int,
    body: StatusIn,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    account: CurrentAccount,
) -> dict[str, Any]:
    unit = _unit(db, info)
    c = service.set_status(db, case=_case(db, unit, principal, case_id), status=body.status)
    return _view(db, unit, c, principal, account)


@router.post("/units/{unit_id}/cases/{case_id}/link")
def link(
    unit_id: int,
    case_id: int,
    body: OpenIn,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    account: CurrentAccount,
) -> dict[str, Any]:
    unit = _unit(db, info)
    c = _case(db, unit, principal, case_id)
    service.link_subject(db, case=c, kind=body.kind, ref=body.ref)
    return _view(db, unit, c, principal, account)


@router.post("/units/{unit_id}/cases/{case_id}/events")
def attach(
    unit_id: int,
    case_id: int,
    body: EventsIn,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    account: CurrentAccount,
) -> dict[str, Any]:
    """Copy events into the case (every column, with source file, line and ingest run)."""
    unit = _unit(db, info)
    c = _case(db, unit, principal, case_id)
    service.attach_events(db, case=c, events=service.parse_event_refs(body.events), note=body.note)
    return _view(db, unit, c, principal, account)


@router.post("/units/{unit_id}/cases/{case_id}/notes")
def note(
    unit_id: int,
    case_id: int,
    body: TextIn,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    account: CurrentAccount,
) -> dict[str, Any]:
    unit = _unit(db, info)
    c = _case(db, unit, principal, case_id)
    service.add_note(db, case=c, text=body.text)
    return _view(db, unit, c, principal, account)


@router.post("/units/{unit_id}/cases/{case_id}/close")
def close(
    unit_id: int,
    case_id: int,
    body: CloseIn,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    account: CurrentAccount,
) -> dict[str, Any]:
    """Close with an outcome; linked alerts are confirmed or dismissed accordingly."""
    unit = _unit(db, info)
    c = service.close_case(
        db, case=_case(db, unit, principal, case_id), outcome=body.outcome, note=body.note
    )
    return _view(db, unit, c, principal, account)


@router.post("/units/{unit_id}/cases/{case_id}/refresher")
def refresher(
    unit_id: int,
    case_id: int,
    body: RefresherIn,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
) -> dict[str, Any]:
    """After "no concern": a refresher course for the person (its reason stays hidden)."""
    unit = _unit(db, info)
    item = service.assign_case_refresher(
        db, case=_case(db, unit, principal, case_id), course_urn=body.course_urn
    )
    return {"assignment_id": item}


@router.post("/units/{unit_id}/cases/{case_id}/legal-hold")
def legal_hold(
    unit_id: int, case_id: int, body: HoldIn, db: DbSession, info: ActiveUnit, principal: Keeper
) -> dict[str, Any]:
    unit = _unit(db, info)
    c = service.set_legal_hold(
        db, case=_case(db, unit, principal, case_id), on=body.on, reason=body.reason
    )
    return views.case_row(db, c)


def _action(db: Session, unit: Unit, action_id: int, names: bool) -> dict[str, Any]:
    a = rect.get_action(db, unit=unit, action_id=action_id)
    owner = db.get(Person, a.owner_person_id) if a.owner_person_id else None
    return views.action_row(a, service.local_day(unit), owner, names)


@router.get("/units/{unit_id}/rectification")
def actions(
    unit_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Viewer,
    status: Literal["open", "done", "cancelled", ""] = "open",
    overdue: bool = False,
) -> dict[str, Any]:
    """The unit's rectification actions (default: open), soonest deadline first."""
    unit = _unit(db, info)
    names = can(principal, "people.identify", unit.id)
    rows = rect.list_actions(db, unit=unit, status=status or None, overdue=overdue)
    return {"actions": [_action(db, unit, a.id, names) for a in rows]}


@router.get("/units/{unit_id}/rectification/mine")
def my_actions(unit_id: int, db: DbSession, info: ActiveUnit, principal: Someone) -> dict[str, Any]:
    """The open actions you own."""
    unit = _unit(db, info)
    rows = rect.mine(db, unit=unit, person_id=principal.person_id)
    return {"actions": [_action(db, unit, a.id, True) for a in rows]}


@router.post("/units/{unit_id}/rectification")
def create_action(
    unit_id: int, body: ActionIn, db: DbSession, info: ActiveUnit, principal: Manager
) -> dict[str, Any]:
    unit = _unit(db, info)
    c = _case(db, unit, principal, body.case_id) if body.case_id else None
    a = rect.create_action(
        db,
        unit=unit,
        title=body.title,
        due_on=body.due_on,
        owner=_person(db, unit, body.owner_staff_id),
        case=c,
        finding_id=body.finding_id,
        description=body.description,
    )
    return _action(db, unit, a.id, can(principal, "people.identify", unit.id))


@router.post("/units/{unit_id}/rectification/{action_id}/update")
def update_action(
    unit_id: int,
    action_id: int,
    body: ActionUpdateIn,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
) -> dict[str, Any]:
    unit = _unit(db, info)
    a = rect.get_action(db, unit=unit, action_id=action_id)
    rect.update_action(
        db, unit=unit, action=a, owner=_person(db, unit, body.owner_staff_id), due_on=body.due_on
    )
    return _action(db, unit, a.id, can(principal, "people.identify", unit.id))


@router.post("/units/{unit_id}/rectification/{action_id}/complete")
def complete_action(
    unit_id: int,
    action_id: int,
    body: EvidenceIn,
    db: DbSession,
    info: ActiveUnit,
    principal: Someone,
) -> dict[str, Any]:
    """Done, with evidence of completion (the owner, or whoever works cases)."""
    unit = _unit(db, info)
    a = rect.get_action(db, unit=unit, action_id=action_id)
    if not rect.may_complete(principal, a):
        raise PermissionDenied("only the owner or someone who works cases may complete it")
    rect.complete_action(db, unit=unit, action=a, evidence=body.evidence)
    return _action(db, unit, a.id, True)


@router.post("/units/{unit_id}/rectification/{action_id}/cancel")
def cancel_action(
    unit_id: int,
    action_id: int,
    body: EvidenceIn,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
) -> dict[str, Any]:
    unit = _unit(db, info)
    a = rect.get_action(db, unit=unit, action_id=action_id)
    rect.cancel_action(db, unit=unit, action=a, reason=body.evidence)
    return _action(db, unit, a.id, can(principal, "people.identify", unit.id))


@router.get("/units/{unit_id}/retention")
def retention_settings(
    unit_id: int, db: DbSession, info: ActiveUnit, principal: Keeper
) -> dict[str, Any]:
    """Days kept per kind, the raw-event minimum, today's cut-offs, legal holds, purges."""
    return retention.settings_view(db, unit=_unit(db, info))


@router.post("/units/{unit_id}/retention")
def set_retention(
    unit_id: int, body: RetentionIn, db: DbSession, info: ActiveUnit, principal: Keeper
) -> dict[str, Any]:
    unit = _unit(db, info)
    values = {
        k: v for k, v in body.model_dump().items() if v is not None or k in ("cases", "audit_log")
    }
    retention.set_retention(db, unit=unit, values=values)
    return retention.settings_view(db, unit=unit)


@router.post("/units/{unit_id}/retention/purge")
def purge(unit_id: int, db: DbSession, info: ActiveUnit, principal: Keeper) -> dict[str, Any]:
    """Purge everything of the unit past its retention now (audited with the counts)."""
    with job_lock("retention purge"):
        return retention.purge_unit(db, unit=_unit(db, info))
