"""Loophole findings: the list (by status, severity and check), the checks and whether each
applies, one finding with its evidence and history, and the security officer's actions —
run the checks, assign an owner and a due date, close with a note, accept a risk until a
day, reopen — and, for those who work cases, the cases and rectification actions of a
finding, with a case opened or an action added from the finding's page. Without
``people.identify`` people are shown by pseudonym only; opening a finding is audited."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from keyguard.cases import service as cases_service
from keyguard.cases import views as case_views
from keyguard.cases.models import RectificationAction
from keyguard.controls import service
from keyguard.controls.models import SEVERITIES, Finding
from keyguard.errors import KeyguardError, NotFound, RuleViolation
from keyguard.identity.permissions import Principal, can
from keyguard.records.org.models import Person, Unit
from keyguard.records.register.common import person_by_staff_id
from keyguard.web import i18n
from keyguard.web.deps import (
    ActiveUnit,
    DashboardCard,
    DbSession,
    UnitInfo,
    is_htmx,
    notice,
    render,
    request_language,
    require,
)
from keyguard.web.i18n import lazy_gettext
from keyguard.web.routes.rectification import new_action

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("Loopholes"),
        "path": "/units/{unit_id}/loopholes",
        "permission": "loopholes.view",
        "order": 60,
    }
]

ASSIGNED = notice("finding_assigned", lazy_gettext("The owner and due date were saved."))
CLOSED = notice("finding_closed", lazy_gettext("The finding was closed."))
REOPENED = notice("finding_reopened", lazy_gettext("The finding was reopened."))
ACTION_ADDED = notice("finding_action_added", lazy_gettext("The rectification action was added."))
SCANNED = notice("loopholes_scanned", lazy_gettext("The checks ran; the list shows the result."))

PAGE_SIZE = 50
Viewer = Annotated[Principal, require("loopholes.view")]
Manager = Annotated[Principal, require("loopholes.manage")]
CaseWorker = Annotated[Principal, require("cases.manage")]


def _unit(db: Session, info: UnitInfo) -> Unit:
    unit = db.get(Unit, info.id)
    if unit is None:
        raise NotFound("no such unit")
    return unit


def card_data(db: Session, info: UnitInfo, principal: Principal) -> dict[str, Any]:
    """Open findings per severity and how many are overdue (dashboard card and API)."""
    unit = _unit(db, info)
    counts = service.counts_by(db, unit=unit)
    overdue = len(service.list_findings(db, unit=unit, filt=service.FindingFilter(overdue=True)))
    run = service.last_run(db, unit=unit)
    return {
        "open": sum(counts["severity"].values()),
        "by_severity": {s: counts["severity"].get(s, 0) for s in SEVERITIES},
        "overdue": overdue,
        "last_run": run.started_at.isoformat() if run else None,
    }


DASHBOARD_CARDS = [
    DashboardCard(
        key="loopholes",
        title=lazy_gettext("Loophole findings"),
        template="loopholes/_dashboard_card.html",
        data=card_data,
        permission="loopholes.view",
        order=40,
    )
]


def list_context(
    db: Session,
    principal: Principal,
    unit: Unit,
    *,
    status: str,
    severity: str,
    check: str,
    page: int,
) -> dict[str, Any]:
    """One page of findings as this principal may see them, with the filters."""
    identified = can(principal, "people.identify", unit.id)
    filt = service.FindingFilter(
        status=status or None, severity=severity or None, check_id=check or None
    )
    rows = service.list_findings(db, unit=unit, filt=filt, limit=100000)
    pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    query = {k: v for k, v in (("status", status), ("severity", severity), ("check", check)) if v}
    return {
        "items": [
            service.finding_view(db, unit=unit, finding=f, identified=identified) for f in shown
        ],
        "total": len(rows),
        "page": page,
        "pages": pages,
        "status": status,
        "severity": severity,
        "check": check,
        "severities": SEVERITIES,
        "checks": sorted({s.check.id for s in service.check_states(db, unit=unit)}),
        "counts": service.counts_by(db, unit=unit),
        "run": service.last_run(db, unit=unit),
        "identified": identified,
        "base_url": f"/units/{unit.id}/loopholes?" + (urlencode(query) + "&" if query else ""),
    }


@router.get("/units/{unit_id}/loopholes")
def findings_page(
    request: Request,
    unit_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Viewer,
    status: str = "open",
    severity: str = "",
    check: str = "",
    page: int = 1,
) -> HTMLResponse:
    unit = _unit(db, info)
    ctx = list_context(
        db, principal, unit, status=status, severity=severity, check=check, page=page
    )
    template = "loopholes/_findings_table.html" if is_htmx(request) else "loopholes/list.html"
    return render(request, template, ctx)


@router.get("/units/{unit_id}/loopholes/checks")
def checks_page(
    request: Request, unit_id: int, db: DbSession, info: ActiveUnit, principal: Viewer
) -> HTMLResponse:
    unit = _unit(db, info)
    return render(
        request,
        "loopholes/checks.html",
        {"states": service.check_states(db, unit=unit), "run": service.last_run(db, unit=unit)},
    )


@router.post("/units/{unit_id}/loopholes/run")
def run_checks(unit_id: int, db: DbSession, info: ActiveUnit, principal: Manager) -> Response:
    service.scan_unit_locked(db, unit=_unit(db, info))
    return RedirectResponse(f"/units/{unit_id}/loopholes?notice={SCANNED}", status_code=303)


def _error(request: Request, exc: Exception) -> str:
    ctx = getattr(request.state, "keyguard", None)
    with i18n.language_scope(request_language(request, ctx)):
        return i18n.gettext(str(exc))


def detail_page(
    request: Request,
    db: Session,
    principal: Principal,
    unit: Unit,
    finding_id: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    identified = can(principal, "people.identify", unit.id)
    f = service.get_finding(db, unit=unit, finding_id=finding_id, identified=identified)
    view = service.finding_view(db, unit=unit, finding=f, identified=identified, history=True)
    candidates = [
        (p.staff_id, service.person_label(p, identified) or p.staff_id)
        for p in service.owner_candidates(db, unit=unit, finding=f)
    ]
    columns: list[str] = []
    for row in view["evidence"]:
        columns += [k for k in row if k not in columns and k != "source"]
    return render(
        request,
        "loopholes/detail.html",
        {
            "f": view,
            "columns": columns,
            "candidates": candidates,
            "error": error,
            "today": service.today(unit).isoformat(),
            **linked_work(db, principal, unit, f, identified),
        },
        status_code=status_code,
    )


def linked_work(
    db: Session, principal: Principal, unit: Unit, f: Finding, identified: bool
) -> dict[str, Any]:
    """For those who see cases: the cases the finding is in (never one about the viewer) and
    its rectification actions, people by pseudonym unless ``identified``; and whom an action
    may be given to (staff ids only for those who may see them, else pseudonyms)."""
    if not can(principal, "cases.view", unit.id):
        return {"cases": [], "active_case": None, "actions": [], "action_owners": []}
    found = [
        c
        for c in cases_service.cases_of_subject(db, unit_id=unit.id, kind="finding", ref=f.id)
        if principal.person_id is None or c.person_id != principal.person_id
    ]
    cases = [case_views.case_row(db, c) for c in found]
    actions = list(
        db.scalars(
            select(RectificationAction)
            .where(RectificationAction.unit_id == unit.id, RectificationAction.finding_id == f.id)
            .order_by(RectificationAction.due_on, RectificationAction.id)
        )
    )
    owner_ids = {a.owner_person_id for a in actions if a.owner_person_id}
    owners = (
        {p.id: p for p in db.scalars(select(Person).where(Person.id.in_(owner_ids)))}
        if owner_ids
        else {}
    )
    today = service.today(unit)
    return {
        "cases": cases,
        "active_case": next((c for c in cases if c["status"] != "closed"), None),
        "actions": [
            case_views.action_row(a, today, owners.get(a.owner_person_id or -1), identified)
            for a in actions
        ],
        "action_owners": [
            (p.staff_id, service.person_label(p, True)) if identified else (p.pseudonym, "")
            for p in action_owner_candidates(db, unit, f)
        ],
    }


def action_owner_candidates(db: Session, unit: Unit, f: Finding) -> list[Person]:
    """The finding's usual owners, then the person it is about (if still here)."""
    people = service.owner_candidates(db, unit=unit, finding=f)
    concerned = db.get(Person, f.person_id) if f.person_id else None
    if concerned is not None and concerned.status != "left" and concerned not in people:
        people.append(concerned)
    return people


@router.get("/units/{unit_id}/loopholes/{finding_id}")
def finding_page(
    request: Request,
    unit_id: int,
    finding_id: str,
    db: DbSession,
    info: ActiveUnit,
    principal: Viewer,
) -> HTMLResponse:
    return detail_page(request, db, principal, _unit(db, info), finding_id)


def _day(value: str, what: str) -> dt.date | None:
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise RuleViolation(f"{what} {value!r} is not a date (YYYY-MM-DD)") from None


def _act(
    request: Request,
    db: Session,
    principal: Principal,
    info: UnitInfo,
    finding_id: str,
    fn: Callable[[Unit, Finding], object],
    done: str,
) -> Response:
    """Run one change of a finding; a refusal re-shows the finding with the reason."""
    unit = _unit(db, info)
    f = service.get_finding(db, unit=unit, finding_id=finding_id, view=False)
    try:
        fn(unit, f)
    except KeyguardError as exc:
        db.rollback()
        return detail_page(
            request, db, principal, unit, finding_id, error=_error(request, exc), status_code=400
        )
    return RedirectResponse(
        f"/units/{unit.id}/loopholes/{finding_id}?notice={done}", status_code=303
    )


@router.post("/units/{unit_id}/loopholes/{finding_id}/assign")
def assign(
    request: Request,
    unit_id: int,
    finding_id: str,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    owner: Annotated[str, Form()] = "",
    due_on: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    def run(unit: Unit, f: Finding) -> None:
        person = person_by_staff_id(db, unit.id, owner) if owner.strip() else None
        if person is not None and person.id == f.owner_person_id and f.owner_assigned:
            person = None  # unchanged
        due = _day(due_on, "due date")
        if due == f.due_on:
            due = None  # unchanged (it may be past: then only the owner changes)
        service.assign_finding(db, finding=f, owner=person, due=due, note=note)

    return _act(request, db, principal, info, finding_id, run, ASSIGNED)


@router.post("/units/{unit_id}/loopholes/{finding_id}/close")
def close(
    request: Request,
    unit_id: int,
    finding_id: str,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    note: Annotated[str, Form()] = "",
    resolution: Annotated[str, Form()] = "fixed",
    until: Annotated[str, Form()] = "",
) -> Response:
    def run(unit: Unit, f: Finding) -> None:
        if resolution == "accepted":
            day = _day(until, "accepted until")
            if day is None:
                raise RuleViolation("say until when the risk is accepted")
            service.accept_finding(db, finding=f, note=note, until=day)
        else:
            service.close_finding(db, finding=f, note=note)

    return _act(request, db, principal, info, finding_id, run, CLOSED)


@router.post("/units/{unit_id}/loopholes/{finding_id}/reopen")
def reopen(
    request: Request,
    unit_id: int,
    finding_id: str,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    note: Annotated[str, Form()] = "",
) -> Response:
    return _act(
        request,
        db,
        principal,
        info,
        finding_id,
        lambda unit, f: service.reopen_finding(db, finding=f, note=note),
        REOPENED,
    )


@router.post("/units/{unit_id}/loopholes/{finding_id}/actions")
def add_action(
    request: Request,
    unit_id: int,
    finding_id: str,
    db: DbSession,
    info: ActiveUnit,
    principal: CaseWorker,
    title: Annotated[str, Form()] = "",
    owner: Annotated[str, Form()] = "",
    due_on: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    """A rectification action about this finding (without a case)."""

    def run(unit: Unit, f: Finding) -> None:
        new_action(
            db,
            unit,
            title=title,
            owner=owner,
            due_on=due_on,
            finding_id=f.id,
            description=description,
        )

    return _act(request, db, principal, info, finding_id, run, ACTION_ADDED)
