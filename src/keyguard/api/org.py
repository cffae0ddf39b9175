"""JSON twins of the unit pages: units, dashboard, org tree, people and a person.

Without ``people.identify`` a person carries only ``id``, ``pseudonym`` and ``department``;
every read of a person is audited, as on the pages.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.api import ActiveUnit, DbSession, RequestCtx, login_required, require
from keyguard.identity.permissions import Principal, can
from keyguard.identity.service import visible_department_ids
from keyguard.records.org.models import OrgNode, Person, Position

router = APIRouter()
PAGE_SIZE = 50


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
    counts: dict[int, int] = {}
    for column in (Person.department_id, Person.team_id):
        for node_id, n in db.execute(
            select(column, func.count(Person.id))
            .where(Person.unit_id == unit.id, Person.status != "left", column.is_not(None))
            .group_by(column)
        ):
            if node_id is not None:
                counts[node_id] = counts.get(node_id, 0) + int(n)
    nodes = db.scalars(
        select(OrgNode)
        .where(OrgNode.unit_id == unit.id, OrgNode.retired_from.is_(None))
        .order_by(OrgNode.path)
    )
    return [
        {
            "id": n.id,
            "name": n.name,
            "kind": n.kind,
            "path": n.path,
            "parent_id": n.parent_id,
            "people": counts.get(n.id, 0),
        }
        for n in nodes
    ]


def _row(person: Person, department: str | None, identify: bool) -> PersonRow:
    row = PersonRow(id=person.id, pseudonym=person.pseudonym, department=department)
    if identify:
        row.name, row.staff_id = person.full_name, person.staff_id
        row.email, row.status = person.email, person.status
    return row


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
    identify = can(principal, "people.identify", unit.id)
    stmt = (
        select(Person, OrgNode.name)
        .outerjoin(OrgNode, OrgNode.id == Person.department_id)
        .where(Person.unit_id == unit.id)
    )
    scope = visible_department_ids(db, principal, unit.id)
    if scope is not None:
        stmt = stmt.where(Person.department_id.in_(scope))
    if department:
        stmt = stmt.where(Person.department_id == department)
    if q.strip():
        like = f"%{q.strip()}%"
        stmt = stmt.where(
            or_(Person.full_name.ilike(like), Person.staff_id.ilike(like), Person.email.ilike(like))
            if identify
            else Person.pseudonym.ilike(like)
        )
    total = int(db.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    order = (Person.full_name, Person.id) if identify else (Person.pseudonym, Person.id)
    rows = db.execute(stmt.order_by(*order).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    items = [_row(p, dept, identify) for p, dept in rows]
    if identify and items:
        audit.record(
            db,
            "view",
            "person_list",
            None,
            {"ids": [i.id for i in items], "department": department, "q": q, "via": "api"},
            unit_id=unit.id,
        )
    return PeoplePage(items=items, page=page, pages=pages, total=total, identified=identify)


def _node_name(db: Session, node_id: int | None) -> str | None:
    node = db.get(OrgNode, node_id) if node_id else None
    return node.name if node else None


@router.get("/units/{unit_id}/people/{person_id}")
def person(
    unit_id: int,
    person_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("org.view")],
) -> dict[str, Any]:
    """One person (audited); only ``pseudonym`` and ``department`` without identify."""
    found = db.get(Person, person_id)
    scope = visible_department_ids(db, principal, unit.id)
    if (
        found is None
        or found.unit_id != unit.id
        or (scope is not None and found.department_id not in scope)
    ):
        raise HTTPException(404, "no such person in this unit")
    identify = can(principal, "people.identify", unit.id)
    out: dict[str, Any] = {
        "id": found.id,
        "pseudonym": found.pseudonym,
        "department": _node_name(db, found.department_id),
        "identified": identify,
    }
    if identify:
        manager = db.get(Person, found.manager_id) if found.manager_id else None
        position = db.get(Position, found.position_id) if found.position_id else None
        out.update(
            name=found.full_name,
            staff_id=found.staff_id,
            email=found.email,
            job_title=found.job_title,
            status=found.status,
            team=_node_name(db, found.team_id),
            position=position.title if position else None,
            manager={"id": manager.id, "name": manager.full_name} if manager else None,
            projects=list(found.projects or []),
            start_date=found.start_date.isoformat() if found.start_date else None,
            notice_date=found.notice_date.isoformat() if found.notice_date else None,
            end_date=found.end_date.isoformat() if found.end_date else None,
        )
    audit.record(
        db,
        "view",
        "person",
        found.id,
        {"identified": identify, "via": "api", "fields": sorted(k for k in out if k != "id")},
        unit_id=unit.id,
    )
    return out
