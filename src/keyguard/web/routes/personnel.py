"""Personnel security pages: my own clearance, grants and reports; clearances (with the
form to record one); joiner/mover/leaver tasks with the grants each lists for revocation."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from keyguard import audit
from keyguard.errors import KeyguardError, NotFound
from keyguard.identity.permissions import Principal
from keyguard.records.org.models import Person
from keyguard.records.personnel import jml
from keyguard.records.personnel import service as svc
from keyguard.records.personnel.models import (
    Clearance,
    JmlGrantStep,
    JmlStep,
    JmlTask,
    ReportableEvent,
)
from keyguard.records.register.common import local_today, person_by_staff_id
from keyguard.records.register.models import Grant
from keyguard.web.deps import ActiveUnit, CurrentAccount, DbSession, notice, render, require
from keyguard.web.i18n import lazy_gettext
from keyguard.web.routes.register import grant_rows, person_label, unit_row

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("My security record"),
        "path": "/units/{unit_id}/personnel/me",
        "permission": "reportable.file",
        "order": 37,
    },
    {
        "label": lazy_gettext("Clearances"),
        "path": "/units/{unit_id}/personnel/clearances",
        "permission": "personnel.view",
        "order": 38,
    },
    {
        "label": lazy_gettext("Joiners, movers, leavers"),
        "path": "/units/{unit_id}/personnel/jml",
        "permission": "personnel.view",
        "order": 39,
    },
]
RECORDED = notice("clearance-recorded", lazy_gettext("The clearance is recorded."))
STEP_DONE = notice("jml-step-done", lazy_gettext("The step is recorded."))


def _day(value: str) -> dt.date | None:
    return dt.date.fromisoformat(value) if value.strip() else None


@router.get("/units/{unit_id}/personnel/me", response_class=HTMLResponse)
def my_record(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    account: CurrentAccount,
    principal: Annotated[Principal, require("reportable.file")],
) -> HTMLResponse:
    """What keyguard holds about my own security: clearance, grants, reports."""
    u = unit_row(db, unit_id)
    person = db.get(Person, account.person_id or -1)
    clearances = svc.clearances_of(db, person=person) if person else []
    grants = list(
        db.scalars(
            select(Grant)
            .where(Grant.grantee_person_id == (account.person_id or -1))
            .order_by(Grant.id.desc())
        )
    )
    reports = list(
        db.scalars(
            select(ReportableEvent)
            .where(ReportableEvent.person_id == (account.person_id or -1))
            .order_by(ReportableEvent.filed_at.desc())
        )
    )
    audit.record(
        db, "view", "person", account.person_id, {"page": "own security record"}, unit_id=unit_id
    )
    return render(
        request,
        "personnel/me.html",
        {
            "person": person,
            "clearances": clearances,
            "reports": reports,
            "grants": grant_rows(db, principal, u, grants),
        },
    )


@router.get("/units/{unit_id}/personnel/clearances", response_class=HTMLResponse)
def clearances(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("personnel.view")],
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    u = unit_row(db, unit_id)
    rows = list(
        db.scalars(
            select(Clearance)
            .where(Clearance.unit_id == unit_id)
            .order_by(Clearance.valid_from.desc())
            .limit(2000)
        )
    )
    expiring = {c.id for c in svc.expiring_clearances(db, unit=u)}
    audit.record(db, "view", "clearance", None, {"shown": len(rows)}, unit_id=unit_id)
    return render(
        request,
        "personnel/clearances.html",
        {
            "rows": [
                {
                    "c": c,
                    "who": person_label(db, principal, u, c.person_id),
                    "expiring": c.id in expiring,
                }
                for c in rows
            ],
            "levels": list(u.classification_levels),
            "error": error,
            "today": local_today(u).isoformat(),
        },
        status_code=status_code,
    )


@router.post("/units/{unit_id}/personnel/clearances")
def add_clearance(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("personnel.manage")],
    staff_id: Annotated[str, Form()],
    level: Annotated[str, Form()],
    granted_on: Annotated[str, Form()],
    expires_on: Annotated[str, Form()] = "",
    vetting_completed_on: Annotated[str, Form()] = "",
) -> Response:
    try:
        person = person_by_staff_id(db, unit_id, staff_id)
        with db.begin_nested():
            svc.record_clearance(
                db,
                person=person,
                level=level,
                granted_on=dt.date.fromisoformat(granted_on),
                expires_on=_day(expires_on),
                vetting_completed_on=_day(vetting_completed_on),
            )
    except (KeyguardError, ValueError) as exc:
        return clearances(request, unit_id, db, unit, principal, error=str(exc), status_code=400)
    return RedirectResponse(f"/units/{unit_id}/personnel/clearances?notice={RECORDED}", 303)


@router.get("/units/{unit_id}/personnel/jml", response_class=HTMLResponse)
def jml_page(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("personnel.view")],
    error: str = "",
) -> HTMLResponse:
    u = unit_row(db, unit_id)
    tasks = jml.open_tasks(db, unit=u)
    out = []
    for t in tasks:
        grants = {
            g.id: g
            for g in db.scalars(select(Grant).where(Grant.id.in_([s.grant_id for s in t.steps])))
        }
        rows = grant_rows(db, principal, u, [grants[s.grant_id] for s in t.steps])
        for row, step in zip(rows, t.steps, strict=True):
            row.update(step_id=step.id, action=step.action)
        actions = [{"step": a, "allowed": jml.STEP_ACTIONS.get(a.kind, ())} for a in t.actions]
        out.append(
            {
                "task": t,
                "who": person_label(db, principal, u, t.person_id),
                "grants": rows,
                "actions": actions,
            }
        )
    done = list(
        db.scalars(
            select(JmlTask)
            .where(JmlTask.unit_id == unit_id, JmlTask.status == "done")
            .order_by(JmlTask.completed_at.desc(), JmlTask.id.desc())
            .limit(20)
        )
    )
    audit.record(db, "view", "jml_task", None, {"shown": len(out)}, unit_id=unit_id)
    return render(
        request,
        "personnel/jml.html",
        {
            "tasks": out,
            "done": [{"task": t, "who": person_label(db, principal, u, t.person_id)} for t in done],
            "error": error,
        },
    )


@router.post("/units/{unit_id}/personnel/jml/steps/{step_id}")
def jml_step(
    request: Request,
    unit_id: int,
    step_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("personnel.manage")],
    action: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    step = db.get(JmlGrantStep, step_id)
    if step is None or step.unit_id != unit_id:
        raise NotFound(f"no JML step {step_id}")
    try:
        with db.begin_nested():
            jml.complete_step(db, step_id=step_id, action=action, note=note)
    except KeyguardError as exc:
        return jml_page(request, unit_id, db, unit, principal, error=str(exc))
    return RedirectResponse(f"/units/{unit_id}/personnel/jml?notice={STEP_DONE}", 303)


@router.post("/units/{unit_id}/personnel/jml/actions/{step_id}")
def jml_action(
    request: Request,
    unit_id: int,
    step_id: int,
    db: DbSession,
    unit: ActiveUnit,
    account: CurrentAccount,
    principal: Annotated[Principal, require("personnel.manage")],
    action: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    """Enrol a joiner, disable a leaver's account, or mark a step not needed (with why)."""
    step = db.get(JmlStep, step_id)
    if step is None or step.unit_id != unit_id:
        raise NotFound(f"no JML step {step_id}")
    try:
        with db.begin_nested():
            jml.complete_action(db, step_id=step_id, action=action, note=note, by=account)
    except KeyguardError as exc:
        return jml_page(request, unit_id, db, unit, principal, error=str(exc))
    return RedirectResponse(f"/units/{unit_id}/personnel/jml?notice={STEP_DONE}", 303)


@router.post("/units/{unit_id}/personnel/jml/scan")
def jml_scan(
    unit_id: int,
    db: DbSession,
    principal: Annotated[Principal, require("personnel.manage")],
) -> Response:
    jml.create_tasks(db, unit=unit_row(db, unit_id))
    return RedirectResponse(f"/units/{unit_id}/personnel/jml", 303)
