"""The org tree, pages of people and one person as the web pages and their JSON twins show
them (both call these, so page and twin cannot drift apart).

The caller decides what the viewer may see — ``identify`` (holds ``people.identify``) and
``scope`` (department ids the viewer may see, ``None`` for all) — and these functions apply
it: without ``identify`` a person is pseudonym and department only, searched and sorted by
pseudonym. Every look at a person, and every list showing real names, is audited in the
caller's transaction (``via`` says which door it came through).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.errors import NotFound
from keyguard.records.org.models import OrgNode, Person, Position

#: People per page.
PAGE_SIZE = 50


def people_counts(session: Session, unit_id: int) -> dict[int, int]:
    """Org node id -> the number of people (not left) placed in it as department or team."""
    counts: dict[int, int] = {}
    for column in (Person.department_id, Person.team_id):
        for node_id, n in session.execute(
            select(column, func.count(Person.id))
            .where(Person.unit_id == unit_id, Person.status != "left", column.is_not(None))
            .group_by(column)
        ):
            if node_id is not None:
                counts[node_id] = counts.get(node_id, 0) + int(n)
    return counts


def live_nodes(session: Session, unit_id: int) -> list[dict[str, Any]]:
    """The unit's live org nodes (flat, by path) with the number of people in each."""
    counts = people_counts(session, unit_id)
    nodes = session.scalars(
        select(OrgNode)
        .where(OrgNode.unit_id == unit_id, OrgNode.retired_from.is_(None))
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


def people_page(
    session: Session,
    *,
    unit_id: int,
    identify: bool,
    scope: Collection[int] | None,
    department: int | None = None,
    q: str = "",
    page: int = 1,
    via: str | None = None,
) -> dict[str, Any]:
    """One page of the unit's people (``items``, ``page``, ``pages``, ``total``,
    ``identified``); a page showing real names is audited as one ``person_list`` entry."""
    stmt = (
        select(Person, OrgNode.name)
        .outerjoin(OrgNode, OrgNode.id == Person.department_id)
        .where(Person.unit_id == unit_id)
    )
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
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    order = (Person.full_name, Person.id) if identify else (Person.pseudonym, Person.id)
    rows = session.execute(stmt.order_by(*order).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    items = [person_row(p, dept, identify) for p, dept in rows]
    if identify and items:
        details: dict[str, Any] = {
            "ids": [i["id"] for i in items],
            "department": department,
            "q": q,
        }
        if via:
            details["via"] = via
        audit.record(session, "view", "person_list", None, details, unit_id=unit_id)
    return {"items": items, "page": page, "pages": pages, "total": total, "identified": identify}


def person_details(
    session: Session,
    *,
    unit_id: int,
    person_id: int,
    identify: bool,
    scope: Collection[int] | None,
    via: str | None = None,
) -> dict[str, Any]:
    """One person as the viewer may see them; the look is audited. ``NotFound`` outside the
    unit or the viewer's scope."""
    person = session.get(Person, person_id)
    if (
        person is None
        or person.unit_id != unit_id
        or (scope is not None and person.department_id not in scope)
    ):
        raise NotFound("no such person in this unit")

    def node_name(node_id: int | None) -> str | None:
        node = session.get(OrgNode, node_id) if node_id else None
        return node.name if node else None

    details: dict[str, Any] = {
        "id": person.id,
        "pseudonym": person.pseudonym,
        "department": node_name(person.department_id),
        "identified": identify,
    }
    if identify:
        manager = session.get(Person, person.manager_id) if person.manager_id else None
        position = session.get(Position, person.position_id) if person.position_id else None
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
    seen: dict[str, Any] = {
        "identified": identify,
        "fields": sorted(k for k in details if k != "id"),
    }
    if via:
        seen["via"] = via
    audit.record(session, "view", "person", person.id, seen, unit_id=unit_id)
    return details
