"""A small unit for register and personnel tests: an org tree, positions, people with
versions (known from 2020-01-01) and accounts with roles."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from keyguard.identity.models import Account
from keyguard.identity.service import create_account
from keyguard.records.org.models import OrgNode, Person, PersonVersion, Position, Unit
from keyguard.records.org.service import create_unit

PW = "a-long-Passw0rd!"
D0 = dt.date(2020, 1, 1)


@dataclass
class World:
    unit: Unit
    nodes: dict[str, OrgNode] = field(default_factory=dict)
    positions: dict[str, Position] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)


def node(session: Session, w: World, key: str, kind: str, name: str, parent: str | None) -> None:
    up = w.nodes[parent] if parent else None
    n = OrgNode(
        unit_id=w.unit.id,
        kind=kind,
        name=name,
        path=f"{up.path} / {name}" if up else name,
        parent_id=up.id if up else None,
    )
    session.add(n)
    session.flush()
    w.nodes[key] = n


def person(
    session: Session,
    w: World,
    staff: str,
    *,
    dept: str | None,
    team: str | None,
    position: str | None = None,
    job_title: str | None = None,
    since: dt.date = D0,
) -> Person:
    p = Person(
        unit_id=w.unit.id,
        staff_id=staff,
        pseudonym=f"P-{staff}",
        full_name=staff.title(),
        email=f"{staff.lower()}@u.example",
        job_title=job_title,
        department_id=w.nodes[dept].id if dept else None,
        team_id=w.nodes[team].id if team else None,
        position_id=w.positions[position].id if position else None,
        start_date=since,
    )
    session.add(p)
    session.flush()
    add_version(session, p, valid_from=since, known_from=since)
    w.people[staff] = p
    return p


def add_version(
    session: Session, p: Person, *, valid_from: dt.date, known_from: dt.date, **changes: object
) -> PersonVersion:
    """Close the open version at ``valid_from`` and add one with ``changes``."""
    for v in p.versions:
        if v.valid_to is None and v.valid_from < valid_from:
            v.valid_to = valid_from
    base = {
        "full_name": p.full_name,
        "email": p.email,
        "job_title": p.job_title,
        "department_id": p.department_id,
        "team_id": p.team_id,
        "position_id": p.position_id,
        "status": p.status,
        "manager_id": p.manager_id,
    }
    base.update(changes)
    for k, val in changes.items():
        setattr(p, k, val)
    v = PersonVersion(
        unit_id=p.unit_id,
        person_id=p.id,
        valid_from=valid_from,
        known_from=known_from,
        source="test",
        **base,
    )
    session.add(v)
    session.flush()
    session.refresh(p)
    return v


def account(
    session: Session,
    w: World,
    key: str,
    staff: str | None,
    role: str,
    created_by: Account | None = None,
) -> Account:
    acc = create_account(
        session,
        email=f"{key}@u.example",
        password=PW,
        unit_id=w.unit.id,
        person_id=w.people[staff].id if staff else None,
        roles=[(role, w.unit.id)],
        created_by=created_by,
    )
    w.accounts[key] = acc
    return acc


def make_world(session: Session) -> World:
    unit = create_unit(session, code="u1", name="Unit One", timezone="Europe/Berlin")
    w = World(unit)
    node(session, w, "co", "business_unit", "Company", None)
    node(session, w, "eng", "functional_unit", "Engineering", "co")
    node(session, w, "research", "department", "1 - Research", "eng")
    node(session, w, "alpha", "team", "1 - Alpha", "research")
    node(session, w, "beta", "team", "2 - Beta", "research")
    node(session, w, "finance", "department", "2 - Finance", "eng")
    node(session, w, "fin_alpha", "team", "1 - Alpha", "finance")
    for key, title, level, where in [
        ("engineer", "Engineer", "individual", "alpha"),
        ("officer", "Security officer", "security_office", "co"),
        ("head", "Head of Research", "department", "research"),
    ]:
        pos = Position(unit_id=unit.id, title=title, level=level, org_node_id=w.nodes[where].id)
        session.add(pos)
        session.flush()
        w.positions[key] = pos
    person(session, w, "ALI0001", dept="research", team="alpha", position="engineer")
    person(session, w, "BOB0002", dept="research", team="beta", job_title="Scientist")
    person(session, w, "CAR0003", dept="finance", team="fin_alpha")
    person(session, w, "DAN0004", dept=None, team=None, position="officer")
    person(session, w, "EVE0005", dept="research", team=None, position="head")
    person(session, w, "FAY0006", dept="research", team="beta", job_title="SecurityOfficer")
    for staff in ("ALI0001", "BOB0002"):
        p = w.people[staff]
        p.manager_id = w.people["EVE0005"].id
    account(session, w, "alice", "ALI0001", "employee")
    account(session, w, "bob", "BOB0002", "employee")
    account(session, w, "dan", "DAN0004", "security_officer")
    account(session, w, "eve", "EVE0005", "department_head")
    account(session, w, "fay", "FAY0006", "security_officer")
    return w
