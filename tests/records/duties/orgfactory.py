"""Builds a small organization for duty and training tests: leadership, a security office, a
research department with one team, people in positions, and their accounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from keyguard.records.org.models import OrgNode, Person, PersonVersion, Position, Unit

START = dt.date(2026, 1, 5)


@dataclass
class Org:
    unit: Unit
    nodes: dict[str, OrgNode] = field(default_factory=dict)
    positions: dict[str, Position] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)


def add_person(
    session: Session,
    org: Org,
    key: str,
    name: str,
    position: str,
    *,
    start: dt.date = START,
    manager: str | None = None,
) -> Person:
    pos = org.positions[position]
    by_id = {n.id: n for n in org.nodes.values()}
    node = by_id[pos.org_node_id]
    dept = by_id.get(node.parent_id) if node.kind == "team" else node
    person = Person(
        unit_id=org.unit.id,
        staff_id=key.upper(),
        pseudonym=f"P-{key}",
        full_name=name,
        email=f"{key}@example.org",
        department_id=dept.id if dept is not None and dept.kind == "department" else None,
        team_id=node.id if node.kind == "team" else None,
        position_id=pos.id,
        manager_id=org.people[manager].id if manager else None,
        start_date=start,
        status="active",
    )
    session.add(person)
    session.flush()
    session.add(
        PersonVersion(
            unit_id=org.unit.id,
            person_id=person.id,
            full_name=name,
            email=person.email,
            department_id=person.department_id,
            team_id=person.team_id,
            position_id=pos.id,
            manager_id=person.manager_id,
            status="active",
            start_date=start,
            valid_from=start,
            known_from=start,
            source="test",
        )
    )
    session.flush()
    session.refresh(person)
    org.people[key] = person
    return person


def build_org(session: Session, code: str = "acme") -> Org:
    unit = Unit(code=code, name="Acme Research", timezone="Europe/Berlin")
    session.add(unit)
    session.flush()
    org = Org(unit=unit)

    def node(key: str, kind: str, name: str, parent: str | None = None) -> OrgNode:
        p = org.nodes[parent] if parent else None
        n = OrgNode(
            unit_id=unit.id,
            kind=kind,
            name=name,
            path=f"{p.path} / {name}" if p else name,
            parent_id=p.id if p else None,
        )
        session.add(n)
        session.flush()
        org.nodes[key] = n
        return n

    def position(
        key: str, title: str, level: str, node_key: str, reports_to: str | None = None
    ) -> None:
        pos = Position(
            unit_id=unit.id,
            title=title,
            level=level,
            org_node_id=org.nodes[node_key].id,
            reports_to_id=org.positions[reports_to].id if reports_to else None,
        )
        session.add(pos)
        session.flush()
        org.positions[key] = pos

    node("board", "business_unit", "Board")
    node("sec", "department", "Security Office")
    node("res", "department", "Research")
    node("team", "team", "Lasers", "res")
    position("president", "President", "leadership", "board")
    position("cso", "Head of security", "department", "sec", "president")
    position("officer", "Security officer", "individual", "sec", "cso")
    position("head", "Head of Research", "department", "res", "president")
    position("lead", "Team leader Lasers", "team", "team", "head")
    position("eng", "Engineer", "individual", "team", "lead")
    add_person(session, org, "pres", "Paula President", "president")
    add_person(session, org, "cso", "Chen Security", "cso", manager="pres")
    add_person(session, org, "officer", "Olga Officer", "officer", manager="cso")
    add_person(session, org, "head", "Hans Head", "head", manager="pres")
    add_person(session, org, "lead", "Lena Lead", "lead", manager="head")
    add_person(session, org, "eng", "Erik Engineer", "eng", manager="lead")
    session.commit()
    return org
