"""JSON twins of the personnel pages: my security record, clearances, joiner/mover/leaver
tasks, and reportable events (file my own; reviewers review others')."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from keyguard import audit
from keyguard.api import ActiveUnit, CurrentAccount, DbSession, require
from keyguard.api.register import grant_out, person_out, unit_row
from keyguard.errors import NotFound
from keyguard.identity.permissions import Principal
from keyguard.records.org.models import Person
from keyguard.records.personnel import jml
from keyguard.records.personnel import service as svc
from keyguard.records.personnel.models import Clearance, JmlStep, ReportableEvent
from keyguard.records.register.models import Grant

router = APIRouter()


class NewReport(BaseModel):
    kind: str
    occurred_on: dt.date
    until_on: dt.date | None = None
    country: str | None = None
    counterpart: str | None = None
    details: str


class Review(BaseModel):
    outcome: str
    note: str = ""


def clearance_out(c: Clearance) -> dict[str, Any]:
    return {
        "id": c.id,
        "level": c.level,
        "granted_on": c.granted_on,
        "expires_on": c.expires_on,
        "vetting_started_on": c.vetting_started_on,
        "vetting_completed_on": c.vetting_completed_on,
        "next_vetting_due": c.next_vetting_due,
        "known_from": c.known_from,
        "status": c.status,
    }


def report_out(r: ReportableEvent) -> dict[str, Any]:
    return {
        "id": r.id,
        "kind": r.kind,
        "occurred_on": r.occurred_on,
        "until_on": r.until_on,
        "country": r.country,
        "counterpart": r.counterpart,
        "details": r.details,
        "filed_at": r.filed_at,
        "status": r.status,
        "outcome": r.outcome,
        "review_note": r.review_note,
    }


@router.get("/units/{unit_id}/personnel/me")
def my_record(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    account: CurrentAccount,
    principal: Annotated[Principal, require("reportable.file")],
) -> dict[str, Any]:
    """My clearances, grants and reports."""
    person = db.get(Person, account.person_id or -1)
    audit.record(
        db, "view", "person", account.person_id, {"page": "own security record"}, unit_id=unit_id
    )
    grants = db.scalars(select(Grant).where(Grant.grantee_person_id == (account.person_id or -1)))
    reports = db.scalars(
        select(ReportableEvent).where(ReportableEvent.person_id == (account.person_id or -1))
    )
    return {
        "clearances": [clearance_out(c) for c in svc.clearances_of(db, person=person)]
        if person
        else [],
        "grants": [grant_out(db, principal, g) for g in grants],
        "reports": [report_out(r) for r in reports],
    }


@router.get("/units/{unit_id}/personnel/clearances")
def clearances(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("personnel.view")],
) -> list[dict[str, Any]]:
    """Every clearance of the unit with its person."""
    rows = list(
        db.scalars(
            select(Clearance)
            .where(Clearance.unit_id == unit_id)
            .order_by(Clearance.valid_from.desc())
        )
    )
    audit.record(db, "view", "clearance", None, {"shown": len(rows)}, unit_id=unit_id)
    return [
        {**clearance_out(c), "person": person_out(db, principal, unit_id, c.person_id)}
        for c in rows
    ]


@router.get("/units/{unit_id}/personnel/jml")
def jml_tasks(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("personnel.view")],
) -> list[dict[str, Any]]:
    """Open joiner/mover/leaver tasks with the grants each lists."""
    tasks = jml.open_tasks(db, unit=unit_row(db, unit_id))
    audit.record(db, "view", "jml_task", None, {"shown": len(tasks)}, unit_id=unit_id)
    return [
        {
            "id": t.id,
            "kind": t.kind,
            "reason": t.reason,
            "effective_on": t.effective_on,
            "known_on": t.known_on,
            "person": person_out(db, principal, unit_id, t.person_id),
            "steps": [{"id": s.id, "grant_id": s.grant_id, "action": s.action} for s in t.steps],
            "actions": [step_out(a) for a in t.actions],
        }
        for t in tasks
    ]


def step_out(a: JmlStep) -> dict[str, Any]:
    return {
        "id": a.id,
        "kind": a.kind,
        "subject": a.subject,
        "label": a.label,
        "outcome": a.outcome,
        "note": a.note,
        "done_at": a.done_at,
        "allowed": list(jml.STEP_ACTIONS.get(a.kind, ())),
    }


class StepAction(BaseModel):
    action: str
    note: str = ""


@router.post("/units/{unit_id}/personnel/jml/actions/{step_id}")
def jml_action(
    body: StepAction,
    unit_id: int,
    step_id: int,
    db: DbSession,
    unit: ActiveUnit,
    account: CurrentAccount,
    principal: Annotated[Principal, require("personnel.manage")],
) -> dict[str, Any]:
    """Enrol a joiner, disable a leaver's account, or mark a step not needed (with why)."""
    step = db.get(JmlStep, step_id)
    if step is None or step.unit_id != unit_id:
        raise NotFound(f"no JML step {step_id}")
    return step_out(
        jml.complete_action(db, step_id=step_id, action=body.action, note=body.note, by=account)
    )


@router.get("/units/{unit_id}/reportable")
def reports(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    account: CurrentAccount,
    principal: Annotated[Principal, require("reportable.file")],
) -> list[dict[str, Any]]:
    """My reports; for reviewers also other people's."""
    return [
        {**report_out(r), "person": person_out(db, principal, unit_id, r.person_id)}
        for r in svc.reports_visible_to(db, account=account, unit_id=unit_id)
    ]


@router.post("/units/{unit_id}/reportable", status_code=201)
def file_report(
    body: NewReport,
    unit_id: int,
    db: DbSession,
    account: CurrentAccount,
    principal: Annotated[Principal, require("reportable.file")],
) -> dict[str, Any]:
    """File a reportable event about yourself."""
    r = svc.file_report(
        db,
        account=account,
        kind=body.kind,
        occurred_on=body.occurred_on,
        until_on=body.until_on,
        country=body.country,
        counterpart=body.counterpart,
        details=body.details,
    )
    return report_out(r)


@router.get("/units/{unit_id}/reportable/{report_id}")
def report(
    unit_id: int,
    report_id: int,
    db: DbSession,
    account: CurrentAccount,
    principal: Annotated[Principal, require("reportable.file")],
) -> dict[str, Any]:
    """One report (its filer, or a reviewer)."""
    r = svc.get_report(db, account=account, report_id=report_id)
    return {**report_out(r), "person": person_out(db, principal, unit_id, r.person_id)}


@router.post("/units/{unit_id}/reportable/{report_id}/review")
def review(
    body: Review,
    unit_id: int,
    report_id: int,
    db: DbSession,
    account: CurrentAccount,
    principal: Annotated[Principal, require("reportable.review")],
) -> dict[str, Any]:
    """Record the review and outcome of another person's report."""
    r = svc.get_report(db, account=account, report_id=report_id)
    svc.review_report(db, report=r, reviewer=account, outcome=body.outcome, note=body.note)
    return report_out(r)
