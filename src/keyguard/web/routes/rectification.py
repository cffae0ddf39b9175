"""Rectification actions: the unit's open list for the security officer (new actions, owner
and deadline changes, completion with evidence, cancellation) and each owner's own list,
where they complete their actions with evidence of completion. An owner is named by staff
id or by pseudonym (analysts know people by pseudonym only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.cases import rectification as rect
from keyguard.cases import service, views
from keyguard.cases.models import RectificationAction
from keyguard.errors import NotFound, PermissionDenied, RuleViolation
from keyguard.identity.permissions import Principal, can
from keyguard.records.org.models import Person, Unit
from keyguard.records.register.common import person_by_staff_id
from keyguard.web.deps import (
    ActiveUnit,
    DbSession,
    UnitInfo,
    login_required,
    notice,
    render,
    require,
)
from keyguard.web.i18n import lazy_gettext
from keyguard.web.routes.cases import _error

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("Rectification"),
        "path": "/units/{unit_id}/rectification",
        "permission": "cases.view",
        "order": 47,
    }
]
SAVED = notice("action_saved", lazy_gettext("The rectification action was saved."))

Viewer = Annotated[Principal, require("cases.view")]
Manager = Annotated[Principal, require("cases.manage")]
Someone = Annotated[Principal, login_required()]


def _unit(db: Session, info: UnitInfo) -> Unit:
    unit = db.get(Unit, info.id)
    if unit is None:
        raise NotFound("no such unit")
    return unit


def _rows(
    db: Session, unit: Unit, actions: list[RectificationAction], names: bool
) -> list[dict[str, Any]]:
    today = service.local_day(unit)
    out = []
    for a in actions:
        owner = db.get(Person, a.owner_person_id) if a.owner_person_id else None
        row = views.action_row(a, today, owner, names)
        row["case_number"] = None
        if a.case_id:
            case = service.get_case(db, unit=unit, case_id=a.case_id)
            row["case_number"] = case.number
        out.append(row)
    return out


def list_page(
    request: Request,
    db: Session,
    principal: Principal,
    unit: Unit,
    *,
    status: str = "open",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    names = can(principal, "people.identify", unit.id)
    actions = rect.list_actions(db, unit=unit, status=status or None)
    return render(
        request,
        "rectification/list.html",
        {
            "actions": _rows(db, unit, actions, names),
            "status": status,
            "error": error,
            "mine": False,
            "today": service.local_day(unit).isoformat(),
        },
        status_code=status_code,
    )


@router.get("/units/{unit_id}/rectification")
def actions_page(
    request: Request,
    unit_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Viewer,
    status: str = "open",
) -> HTMLResponse:
    return list_page(request, db, principal, _unit(db, info), status=status)


def mine_page(
    request: Request,
    db: Session,
    principal: Principal,
    unit: Unit,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    actions = rect.mine(db, unit=unit, person_id=principal.person_id)
    return render(
        request,
        "rectification/list.html",
        {
            "actions": _rows(db, unit, actions, True),
            "status": "open",
            "error": error,
            "mine": True,
            "today": service.local_day(unit).isoformat(),
        },
        status_code=status_code,
    )


@router.get("/units/{unit_id}/rectification/mine")
def my_actions(
    request: Request, unit_id: int, db: DbSession, info: ActiveUnit, principal: Someone
) -> HTMLResponse:
    return mine_page(request, db, principal, _unit(db, info))


def owner_of(db: Session, unit: Unit, text: str) -> Person | None:
    """The person a form names by staff id or by pseudonym (empty: nobody)."""
    key = text.strip()
    if not key:
        return None
    found = db.scalar(select(Person).where(Person.unit_id == unit.id, Person.pseudonym == key))
    return found or person_by_staff_id(db, unit.id, key)


def _day(value: str) -> dt.date | None:
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise RuleViolation(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _act(
    request: Request,
    db: Session,
    principal: Principal,
    info: UnitInfo,
    fn: Callable[[Unit], Any],
    back_to_mine: bool = False,
) -> Response:
    unit = _unit(db, info)
    try:
        fn(unit)
    except (RuleViolation, PermissionDenied) as exc:
        db.rollback()
        if back_to_mine:
            return mine_page(
                request, db, principal, unit, error=_error(request, exc), status_code=400
            )
        return list_page(request, db, principal, unit, error=_error(request, exc), status_code=400)
    where = "rectification/mine" if back_to_mine else "rectification"
    return RedirectResponse(f"/units/{unit.id}/{where}?notice={SAVED}", status_code=303)


@router.post("/units/{unit_id}/rectification")
def create(
    request: Request,
    unit_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    title: Annotated[str, Form()] = "",
    owner: Annotated[str, Form()] = "",
    due_on: Annotated[str, Form()] = "",
    finding_id: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    return _act(
        request,
        db,
        principal,
        info,
        lambda unit: new_action(
            db,
            unit,
            title=title,
            owner=owner,
            due_on=due_on,
            finding_id=finding_id.strip() or None,
            description=description,
        ),
    )


def new_action(
    db: Session,
    unit: Unit,
    *,
    title: str,
    owner: str,
    due_on: str,
    finding_id: str | None,
    description: str,
) -> RectificationAction:
    """A new action from a form's text fields (owner by staff id or pseudonym; the
    deadline is required) — from the rectification list or from a finding's page."""
    day = _day(due_on)
    if day is None:
        raise RuleViolation("give the deadline")
    return rect.create_action(
        db,
        unit=unit,
        title=title,
        owner=owner_of(db, unit, owner),
        due_on=day,
        finding_id=finding_id,
        description=description,
    )


@router.post("/units/{unit_id}/rectification/{action_id}/update")
def update(
    request: Request,
    unit_id: int,
    action_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    owner: Annotated[str, Form()] = "",
    due_on: Annotated[str, Form()] = "",
) -> Response:
    def run(unit: Unit) -> None:
        action = rect.get_action(db, unit=unit, action_id=action_id)
        rect.update_action(
            db, unit=unit, action=action, owner=owner_of(db, unit, owner), due_on=_day(due_on)
        )

    return _act(request, db, principal, info, run)


@router.post("/units/{unit_id}/rectification/{action_id}/complete")
def complete(
    request: Request,
    unit_id: int,
    action_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Someone,
    evidence: Annotated[str, Form()] = "",
    mine: Annotated[str, Form()] = "",
) -> Response:
    def run(unit: Unit) -> None:
        action = rect.get_action(db, unit=unit, action_id=action_id)
        if not rect.may_complete(principal, action):
            raise PermissionDenied("only the owner or someone who works cases may complete it")
        rect.complete_action(db, unit=unit, action=action, evidence=evidence)

    if not can(principal, "cases.view", info.id):
        mine = "1"
    return _act(request, db, principal, info, run, back_to_mine=mine == "1")


@router.post("/units/{unit_id}/rectification/{action_id}/cancel")
def cancel(
    request: Request,
    unit_id: int,
    action_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    reason: Annotated[str, Form()] = "",
) -> Response:
    def run(unit: Unit) -> None:
        action = rect.get_action(db, unit=unit, action_id=action_id)
        rect.cancel_action(db, unit=unit, action=action, reason=reason)

    return _act(request, db, principal, info, run)
