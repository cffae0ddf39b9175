"""The org tree, the people list and the person page.

Without ``people.identify`` a person is shown by pseudonym and department only — never by
name, staff id or e-mail, and lists are sorted by pseudonym. Every opening of a person page
is audited (``view`` of ``person``); a list that shows real names is audited as one entry.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.identity.permissions import Principal, can
from keyguard.identity.service import visible_department_ids
from keyguard.records.org import views
from keyguard.records.org.models import OrgNode
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


def org_tree(db: Session, unit_id: int) -> list[dict[str, Any]]:
    """The unit's live org nodes as nested dicts with the number of people in each."""
    by_id: dict[int, dict[str, Any]] = {
        n["id"]: {**n, "children": []} for n in views.live_nodes(db, unit_id)
    }
    roots: list[dict[str, Any]] = []
    for item in by_id.values():
        parent = by_id.get(item["parent_id"]) if item["parent_id"] else None
        (parent["children"] if parent else roots).append(item)
    return roots


def departments(db: Session, unit_id: int) -> list[tuple[int, str]]:
    return [
        (n.id, n.name)
        for n in db.scalars(
            select(OrgNode)
            .where(OrgNode.unit_id == unit_id, OrgNode.kind == "department")
            .order_by(OrgNode.name)
        )
    ]


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
    data = views.people_page(
        db,
        unit_id=unit.id,
        identify=can(principal, "people.identify", unit.id),
        scope=visible_department_ids(db, principal, unit.id),
        department=dept,
        q=q,
        page=page,
    )
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
    person = views.person_details(
        db,
        unit_id=unit.id,
        person_id=person_id,
        identify=can(principal, "people.identify", unit.id),
        scope=visible_department_ids(db, principal, unit.id),
    )
    return render(request, "org/person.html", {"person": person})
