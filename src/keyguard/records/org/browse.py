"""What the web UI shows of the org domain: the tree with counts and heads, pages of people,
one person and their history, a manager's people and a head's department.

Reading a person's record or history, or a list of people, is a look at personal data and
is written to the audit log in the caller's transaction.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from keyguard.audit.service import record
from keyguard.errors import NotFound
from keyguard.records.org.facts import nfc, winners_of
from keyguard.records.org.models import OrgNode, Person, PersonVersion, Position
from keyguard.records.org.schemas import (
    HeadInfo,
    HistoryEntry,
    OrgTreeNode,
    PeoplePage,
    PersonRow,
)

HEAD_LEVELS = ("leadership", "department", "team")


def natural_key(text: str) -> list[object]:
    """Sort "2 - X" before "10 - Y"."""
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", text)]


def org_tree(session: Session, unit_id: int, *, include_retired: bool = False) -> list[OrgTreeNode]:
    """The unit's tree from the top: each node with its active people (placed directly /
    in the subtree) and its heads (holders of leadership, department or team positions)."""
    query = select(OrgNode).where(OrgNode.unit_id == unit_id)
    if not include_retired:
        query = query.where(OrgNode.retired_from.is_(None))
    nodes = {
        n.id: OrgTreeNode(
            id=n.id,
            kind=n.kind,
            name=n.name,
            path=n.path,
            parent_id=n.parent_id,
            retired_from=n.retired_from,
        )
        for n in session.scalars(query)
    }
    people = session.execute(
        select(
            Person.id,
            Person.full_name,
            Person.pseudonym,
            Person.team_id,
            Person.department_id,
            Position.org_node_id,
            Position.title,
            Position.level,
        )
        .outerjoin(Position, Position.id == Person.position_id)
        .where(Person.unit_id == unit_id, Person.status != "left")
        .order_by(Person.full_name, Person.id)
    )
    for pid, name, pseudo, team_id, dept_id, pos_node, title, level in people:
        home = pos_node or team_id or dept_id
        node = nodes.get(home) if home else None
        if node is None:
            continue
        node.people += 1
        if level in HEAD_LEVELS:
            node.heads.append(
                HeadInfo(
                    person_id=pid, full_name=name, pseudonym=pseudo, position=title, level=level
                )
            )
    roots: list[OrgTreeNode] = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id else None
        (parent.children if parent else roots).append(node)

    def finish(node: OrgTreeNode) -> int:
        node.children.sort(key=lambda c: natural_key(c.name))
        node.people_total = node.people + sum(finish(c) for c in node.children)
        return node.people_total

    roots.sort(key=lambda c: natural_key(c.name))
    for root in roots:
        finish(root)
    return roots


def subtree_ids(session: Session, node_id: int) -> set[int]:
    """``node_id`` and every node below it."""
    unit_id = session.scalar(select(OrgNode.unit_id).where(OrgNode.id == node_id))
    children: dict[int, list[int]] = defaultdict(list)
    for nid, parent in session.execute(
        select(OrgNode.id, OrgNode.parent_id).where(OrgNode.unit_id == unit_id)
    ):
        if parent is not None:
            children[parent].append(nid)
    out, todo = set(), [node_id]
    while todo:
        nid = todo.pop()
        if nid not in out:
            out.add(nid)
            todo.extend(children.get(nid, ()))
    return out


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_people(
    session: Session,
    *,
    unit_id: int,
    department_id: int | None = None,
    search: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> PeoplePage:
    """A page of the unit's people by name: optionally those of a node's subtree (a
    department with its teams), those matching ``search`` (name, staff id, e-mail, job
    title or pseudonym) or with a status. The look is audited."""
    limit = max(1, min(int(limit), 500))
    offset = max(0, int(offset))
    dept, team = aliased(OrgNode), aliased(OrgNode)
    where = [Person.unit_id == unit_id]
    if department_id is not None:
        ids = subtree_ids(session, department_id)
        where.append(or_(Person.department_id.in_(ids), Person.team_id.in_(ids)))
    if search and search.strip():
        pattern = _like(nfc(search))
        where.append(
            or_(
                *(
                    col.ilike(pattern, escape="\\")
                    for col in (
                        Person.full_name,
                        Person.staff_id,
                        Person.email,
                        Person.job_title,
                        Person.pseudonym,
                    )
                )
            )
        )
    if status:
        where.append(Person.status == status)
    total = session.scalar(select(func.count()).select_from(Person).where(*where)) or 0
    rows = session.execute(
        select(Person, dept.name, team.name)
        .outerjoin(dept, dept.id == Person.department_id)
        .outerjoin(team, team.id == Person.team_id)
        .where(*where)
        .order_by(Person.full_name, Person.staff_id)
        .limit(limit)
        .offset(offset)
    ).all()
    items = [
        PersonRow(
            id=p.id,
            staff_id=p.staff_id,
            pseudonym=p.pseudonym,
            full_name=p.full_name,
            email=p.email,
            job_title=p.job_title,
            department=d,
            team=t,
            status=p.status,
        )
        for p, d, t in rows
    ]
    record(
        session,
        "view",
        "person_list",
        None,
        {
            "department_id": department_id,
            "search": search,
            "status": status,
            "offset": offset,
            "shown": len(items),
            "total": total,
        },
        unit_id=unit_id,
    )
    return PeoplePage(total=total, limit=limit, offset=offset, items=items)


def _person(session: Session, unit_id: int, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None or person.unit_id != unit_id:
        raise NotFound(f"no person {person_id} in this unit")
    return person


def get_person(session: Session, unit_id: int, person_id: int) -> Person:
    """One person of the unit (``NotFound`` otherwise); the look is audited."""
    person = _person(session, unit_id, person_id)
    record(session, "view", "person", person.id, {"what": "record"}, unit_id=unit_id)
    return person


def _names(
    session: Session,
    model: type[OrgNode] | type[Position] | type[Person],
    ids: Iterable[int | None],
) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    label = {OrgNode: OrgNode.name, Position: Position.title, Person: Person.full_name}[model]
    return dict(session.execute(select(model.id, label).where(model.id.in_(wanted))).all())


def person_history(session: Session, unit_id: int, person_id: int) -> list[HistoryEntry]:
    """Every version of a person by start (then recording order), with names; audited."""
    person = _person(session, unit_id, person_id)
    versions = list(
        session.scalars(
            select(PersonVersion)
            .where(PersonVersion.person_id == person.id)
            .order_by(PersonVersion.id)
        )
    )
    current = {id(v) for v in winners_of(versions)}
    nodes = _names(
        session, OrgNode, [v.department_id for v in versions] + [v.team_id for v in versions]
    )
    positions = _names(session, Position, [v.position_id for v in versions])
    managers = _names(session, Person, [v.manager_id for v in versions])
    record(session, "view", "person", person.id, {"what": "history"}, unit_id=unit_id)
    ordered = sorted(versions, key=lambda v: (v.valid_from, v.id))
    return [
        HistoryEntry(
            version_id=v.id,
            valid_from=v.valid_from,
            valid_to=v.valid_to,
            known_from=v.known_from,
            superseded=id(v) not in current,
            full_name=v.full_name,
            email=v.email,
            job_title=v.job_title,
            projects=list(v.projects or []),
            department=nodes.get(v.department_id) if v.department_id else None,
            team=nodes.get(v.team_id) if v.team_id else None,
            position=positions.get(v.position_id) if v.position_id else None,
            manager=managers.get(v.manager_id) if v.manager_id else None,
            manager_id=v.manager_id,
            status=v.status,
            start_date=v.start_date,
            notice_date=v.notice_date,
            end_date=v.end_date,
            source=v.source,
        )
        for v in ordered
    ]


def subordinates(session: Session, person_id: int, *, include_left: bool = False) -> list[Person]:
    """Everyone below a manager (reports, their reports, ...), by name."""
    unit_id = session.scalar(select(Person.unit_id).where(Person.id == person_id))
    if unit_id is None:
        raise NotFound(f"no person {person_id}")
    reports: dict[int, list[int]] = defaultdict(list)
    query = select(Person.id, Person.manager_id).where(
        Person.unit_id == unit_id, Person.manager_id.is_not(None)
    )
    if not include_left:
        query = query.where(Person.status != "left")
    for pid, manager in session.execute(query):
        reports[manager].append(pid)
    found: set[int] = set()
    todo = list(reports.get(person_id, ()))
    while todo:
        pid = todo.pop()
        if pid not in found and pid != person_id:
            found.add(pid)
            todo.extend(reports.get(pid, ()))
    if not found:
        return []
    return list(
        session.scalars(
            select(Person).where(Person.id.in_(found)).order_by(Person.full_name, Person.staff_id)
        )
    )


def department_of_head(session: Session, person_id: int) -> OrgNode | None:
    """The department a person heads (their position is a department head's), else None."""
    row = session.execute(
        select(Position.level, Position.org_node_id, Person.department_id)
        .join(Person, Person.position_id == Position.id)
        .where(Person.id == person_id, Person.status != "left")
    ).first()
    if row is None or row.level != "department":
        return None
    node_id = row.org_node_id or row.department_id
    return session.get(OrgNode, node_id) if node_id else None
