"""JSON twins of the unit pages: units, dashboard, org tree, people and a person.

Without ``people.identify`` a person carries only ``id``, ``pseudonym`` and ``department``;
every read of a person is audited, as on the pages.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from keyguard.api import ActiveUnit, DbSession, RequestCtx, login_required, require
from keyguard.identity.permissions import Principal, can
from keyguard.identity.service import visible_department_ids
from keyguard.records.org import views

router = APIRouter()


class UnitOut(BaseModel):
    id: int
    code: str
    name: str
    timezone: str
    is_demo: bool
    active: bool


class PersonRow(BaseModel):
    id: int
    pseudonym: str
    department: str | None = None
    name: str | None = None
    staff_id: str | None = None
    email: str | None = None
    status: str | None = None


class PeoplePage(BaseModel):
    items: list[PersonRow]
    page: int
    pages: int
    total: int
    identified: bool


@router.get("/units", dependencies=[login_required()])
def units(ctx: RequestCtx) -> list[UnitOut]:
    """Units you hold a role in; ``active`` marks the one your session acts in."""
    return [
        UnitOut(
            id=u.id,
            code=u.code,
            name=u.name,
            timezone=u.timezone,
            is_demo=u.is_demo,
            active=u.id == ctx.unit_id,
        )
        for u in ctx.units()
    ]


@router.get("/units/{unit_id}/dashboard")
def dashboard(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("unit.view")],
) -> dict[str, Any]:
    """The dashboard cards you may see in the unit, with their data."""
    cards = [
        {"key": card.key, "title": str(card.title), "data": card.data(db, unit, principal)}
        for card in getattr(request.app.state, "dashboard_cards", [])
        if can(principal, card.permission, unit.id)
    ]
    return {"unit": unit.id, "cards": cards}


@router.get("/units/{unit_id}/org")
def org(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("org.view")],
) -> list[dict[str, Any]]:
    """The live org nodes (flat, with ``parent_id``) and the number of people in each."""
    return views.live_nodes(db, unit.id)


@router.get("/units/{unit_id}/people", response_model_exclude_none=True)
def people(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("org.view")],
    department: int | None = None,
    q: str = "",
    page: int = 1,
) -> PeoplePage:
    """People of the unit, pseudonymised unless you hold ``people.identify``."""
    data = views.people_page(
        db,
        unit_id=unit.id,
        identify=can(principal, "people.identify", unit.id),
        scope=visible_department_ids(db, principal, unit.id),
        department=department,
        q=q,
        page=page,
        via="api",
    )
    return PeoplePage.model_validate(data)


@router.get("/units/{unit_id}/people/{person_id}")
def person(
    unit_id: int,
    person_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("org.view")],
) -> dict[str, Any]:
    """One person (audited); only ``pseudonym`` and ``department`` without identify."""
    return views.person_details(
        db,
        unit_id=unit.id,
        person_id=person_id,
        identify=can(principal, "people.identify", unit.id),
        scope=visible_department_ids(db, principal, unit.id),
        via="api",
    )
