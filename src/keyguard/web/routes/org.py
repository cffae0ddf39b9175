"""The org tree, the people list and the person page.

Without ``people.identify`` a person is shown by pseudonym and department only — never by
name, staff id or e-mail, and lists are sorted by pseudonym. Every opening of a person page
is audited (``view`` of ``person``); a list that shows real names is audited as one entry.
"""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.identity.permissions import Principal, can
from keyguard.identity.service import visible_department_ids
from keyguard.records.org.models import OrgNode, Person, Position
from keyguard.web.deps import ActiveUnit, DbSession, is_htmx, render, require
from keyguard.web.i18n import lazy_gettext

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("Org tree"),
        "path": "/units/{unit_id}/org",
        "permission": "org.view",
        "order": 20,
    },
    {
        "label": lazy_gettext("People"),
        "path": "/units/{unit_id}/people",
        "permission": "org.view",
        "order": 21,
    },
]

PAGE_SIZE = 50


def org_tree(db: Session, unit_id: int) -> list[dict[str, Any]]:
    """The unit's live org nodes as nested dicts with the number of people in each."""
    nodes = list(
        db.scalars(
            select(OrgNode)
            .where(OrgNode.unit_id == unit_id, OrgNode.retired_from.is_(None))
            .order_by(OrgNode.path)
        )
    )
    counts: dict[int, int] = {}
    for column in (Person.department_id, Person.team_id):
        for node_id, n in db.execute(
            select(column, func.count(Person.id))
            .where(Person.unit_id == unit_id, Person.status != "left", column.is_not(None))
            .group_by(column)
        ):
            if node_id is not None:
                counts[node_id] = counts.get(node_id, 0) + int(n)
    by_id: dict[int, dict[str, Any]] = {
        n.id: {
            "id": n.id,
            "name": n.name,
            "kind": n.kind,
            "parent_id": n.parent_id,
            "people": counts.get(n.id, 0),
            "children": [],
        }
        for n in nodes
    }
    roots: list[dict[str, Any]] = []
    for item in by_id.values():
        parent = by_id.get(item["parent_id"]) if item["parent_id"] else None
        (parent["children"] if parent else roots).append(item)
    return roots


def people_page(
    db: Session,
    principal: Principal,
    unit_id: int,
    *,
    department: int | None = None,
    q: str = "",
    page: int = 1,
) -> dict[str, Any]:
    """One page of the unit's people as this principal may see them."""
    identify = can(principal, "people.identify", unit_id)
    stmt = (
        select(Person, OrgNode.name)
        .outerjoin(OrgNode, OrgNode.id == Person.department_id)
        .where(Person.unit_id == unit_id)
    )
    scope = visible_department_ids(db, principal, unit_id)
    if scope is not None:
        stmt = stmt.where(Person.department_id.in_(scope))
    if department:
        stmt = stmt.where(Person.department_id == department)
    q = q.strip()
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            or_(Person.full_name.ilike(like), Person.staff_id.ilike(like), Person.email.ilike(like))
            if identify
            else Person.pseudonym.ilike(like)
        )
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    order = (Person.full_name, Person.id) if identify else (Person.pseudonym, Person.id)
    rows = db.execute(stmt.order_by(*order).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    items = [person_row(p, dept, identify) for p, dept in rows]
    if identify and items:
        audit.record(
            db,
            "view",
            "person_list",
            None,
            {"ids": [i["id"] for i in items], "department": department, "q": q},
            unit_id=unit_id,
        )
    return {
        "items": items,
        "page": page,
        "pages": pages,
        "total": int(total),
        "identified": identify,
    }


def person_row(person: Person, department: str | None, identify: bool) -> dict[str, Any]:
    """A person as a list shows them: pseudonym and department, plus identity if allowed."""
    row: dict[str, Any] = {"id": person.id, "pseudonym": person.pseudonym, "department": department}
    if identify:
        row.update(
            name=person.full_name,
            staff_id=person.staff_id,
            email=person.email,
            status=person.status,
        )
    return row


def departments(db: Session, unit_id: int) -> list[tuple[int, str]]:
    return [
        (n.id, n.name)
        for n in db.scalars(
            select(OrgNode)
            .where(OrgNode.unit_id == unit_id, OrgNode.kind == "department")
            .order_by(OrgNode.name)
        )
    ]


def person_details(
    db: Session, principal: Principal, unit_id: int, person_id: int
) -> dict[str, Any]:
    """One person as this principal may see them; the look is audited. 404 outside scope."""
    person = db.get(Person, person_id)
    scope = visible_department_ids(db, principal, unit_id)
    if (
        person is None
        or person.unit_id != unit_id
        or (scope is not None and person.department_id not in scope)
    ):
        raise HTTPException(404, "no such person in this unit")
    identify = can(principal, "people.identify", unit_id)

    def node_name(node_id: int | None) -> str | None:
        node = db.get(OrgNode, node_id) if node_id else None
        return node.name if node else None

    details: dict[str, Any] = {
        "id": person.id,
        "pseudonym": person.pseudonym,
        "department": node_name(person.department_id),
        "identified": identify,
    }
    if identify:
        manager = db.get(Person, person.manager_id) if person.manager_id else None
        position = db.get(Position, person.position_id) if person.position_id else None
        details.update(
            name=person.full_name,
            staff_id=person.staff_id,
            email=person.email,
            job_title=person.job_title,
            status=person.status,
            team=node_name(person.team_id),
            position=position.title if position else None,
            manager=({"id": manager.id, "name": manager.full_name} if manager else None),
            projects=list(person.projects or []),
            start_date=person.start_date.isoformat() if person.start_date else None,
            notice_date=person.notice_date.isoformat() if person.notice_date else None,
            end_date=person.end_date.isoformat() if person.end_date else None,
        )
    audit.record(
        db,
        "view",
        "person",
        person.id,
        {"identified": identify, "fields": sorted(k for k in details if k != "id")},
        unit_id=unit_id,
    )
    return details


@router.get("/units/{unit_id}/org")
def org_page(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("org.view")],
) -> HTMLResponse:
    return render(request, "org/tree.html", {"tree": org_tree(db, unit.id)})


@router.get("/units/{unit_id}/people")
def people_list(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("org.view")],
    department: str = "",
    q: str = "",
    page: int = 1,
) -> HTMLResponse:
    # The filter form sends department="" for "all departments".
    dept = int(department) if department.isdigit() else None
    data = people_page(db, principal, unit.id, department=dept, q=q, page=page)
    query = {k: v for k, v in (("department", dept), ("q", q)) if v}
    context = {
        **data,
        "department": dept,
        "q": q,
        "departments": departments(db, unit.id),
        "base_url": f"/units/{unit.id}/people?" + (urlencode(query) + "&" if query else ""),
    }
    template = "org/_people_table.html" if is_htmx(request) else "org/people.html"
    return render(request, template, context)


@router.get("/units/{unit_id}/people/{person_id}")
def person_page(
    request: Request,
    unit_id: int,
    person_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("org.view")],
) -> HTMLResponse:
    return render(
        request, "org/person.html", {"person": person_details(db, principal, unit.id, person_id)}
    )
