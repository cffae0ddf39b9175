"""Prepared data for web, API and browser tests: two units, people with Chinese, Arabic and
accented names, and one account per role (see docs/web.md, "Test fixtures").

``build_world(session)`` creates everything in the given session (commit is the caller's);
it returns a :class:`World` holding ids only, so it stays valid across sessions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from keyguard.audit.context import Actor, actor_scope
from keyguard.identity.service import create_account
from keyguard.privacy.pseudonyms import pseudonym
from keyguard.records.org.models import OrgNode, Person
from keyguard.records.org.service import create_supervising_body, create_unit

PASSWORD = "correct-horse-battery-9"

#: Staff of unit A: key -> (staff id, full name, e-mail, department key).
PEOPLE_A = {
    "zhang": ("A001", "张伟", "zhang.wei@unit-a.example", "research"),
    "arabic": ("A002", "محمد عبد الله", "m.abdullah@unit-a.example", "research"),
    "accented": ("A003", "José Ñúñez-Müller", "jose.nunez@unit-a.example", "security"),
    "head": ("A004", "Zoë Lefèvre", "zoe.lefevre@unit-a.example", "research"),
    "employee": ("A005", "Łukasz Żółć", "lukasz.zolc@unit-a.example", "security"),
    "analyst": ("A006", "Nguyễn Thị Minh Khai", "minh.khai@unit-a.example", "security"),
    "auditor": ("A007", "Ólafur Þórðarson", "olafur@unit-a.example", "security"),
}
PEOPLE_B = {
    "li": ("B001", "李娜", "li.na@unit-b.example", "operations"),
    "asa": ("B002", "Åsa Øberg", "asa.oberg@unit-b.example", "operations"),
}

#: Account key -> (role, unit key or None, person key or None).
ACCOUNTS = {
    "admin": ("admin", None, None),
    "security_officer": ("security_officer", "a", "accented"),
    "department_head": ("department_head", "a", "head"),
    "analyst": ("analyst", "a", "analyst"),
    "employee": ("employee", "a", "employee"),
    "supervisor": ("supervisor", None, None),
    "auditor": ("auditor", "a", "auditor"),
    "officer_b": ("security_officer", "b", None),
}


@dataclass
class World:
    """Ids of everything :func:`build_world` made."""

    units: dict[str, int] = field(default_factory=dict)
    unit_codes: dict[str, str] = field(default_factory=dict)
    departments: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    staff_ids: dict[str, str] = field(default_factory=dict)
    person_emails: dict[str, str] = field(default_factory=dict)
    password: str = PASSWORD

    def email(self, key: str) -> str:
        return self.emails[key]

    def identities(self, unit: str | None = None) -> list[str]:
        """Every name, staff id and e-mail of the people (of one unit if given)."""
        keys = [
            k for k in self.names if unit is None or k in (PEOPLE_A if unit == "a" else PEOPLE_B)
        ]
        out = []
        for k in keys:
            out += [self.names[k], self.staff_ids[k], self.person_emails[k]]
        return out

    def leaked(self, text: str, unit: str | None = None) -> list[str]:
        """The identities (of one unit if given) that a page or answer shows."""
        return leaked(self.identities(unit), text)


#: The session's CSRF token, random by design, is in every signed-in page (a form field and
#: the htmx header): a staff id such as "B001" can occur inside it by chance.
_CSRF_TOKEN = re.compile(r'(name="csrf_token" value="|"X-CSRF-Token": ")[A-Za-z0-9_-]+"')


def leaked(secrets: list[str], text: str) -> list[str]:
    """The secrets ``text`` shows, CSRF tokens left out."""
    text = _CSRF_TOKEN.sub(r'\1"', text)
    return [s for s in secrets if s in text]


def _people(
    session: Session,
    world: World,
    unit_key: str,
    unit_code: str,
    people: dict[str, tuple[str, str, str, str]],
    home: Path | None = None,
) -> None:
    for key, (staff_id, name, email, dept) in people.items():
        person = Person(
            unit_id=world.units[unit_key],
            staff_id=staff_id,
            pseudonym=pseudonym(unit_code, staff_id, home),
            full_name=name,
            email=email,
            department_id=world.departments[dept],
            job_title="Engineer",
            status="active",
        )
        session.add(person)
        session.flush()
        world.people[key] = person.id
        world.names[key], world.staff_ids[key], world.person_emails[key] = name, staff_id, email


def build_world(session: Session, *, demo_unit_b: bool = True, home: Path | None = None) -> World:
    """Units A and B (B flagged demo), departments, people and one account per role.

    ``home`` chooses the pseudonym key (default: the current ``KEYGUARD_HOME``).
    """
    world = World()
    with actor_scope(Actor(name="test:setup")):
        body = create_supervising_body(session, code="board", name="Supervising board")
        unit_a = create_unit(
            session,
            code="unit-a",
            name="Unit A 研究所",
            timezone="Asia/Shanghai",
            supervising_body=body,
        )
        unit_b = create_unit(
            session, code="unit-b", name="Unit B", timezone="Europe/Paris", is_demo=demo_unit_b
        )
        world.units = {"a": unit_a.id, "b": unit_b.id}
        world.unit_codes = {"a": unit_a.code, "b": unit_b.code}
        for key, unit_key, name in (
            ("research", "a", "Research 研发部"),
            ("security", "a", "Security office"),
            ("operations", "b", "Operations"),
        ):
            node = OrgNode(unit_id=world.units[unit_key], kind="department", name=name, path=name)
            session.add(node)
            session.flush()
            world.departments[key] = node.id
        team = OrgNode(
            unit_id=unit_a.id,
            kind="team",
            name="Team 1",
            path="Research 研发部 / Team 1",
            parent_id=world.departments["research"],
        )
        session.add(team)
        _people(session, world, "a", unit_a.code, PEOPLE_A, home)
        _people(session, world, "b", unit_b.code, PEOPLE_B, home)
        admin = None
        for key, (role, unit_key, person_key) in ACCOUNTS.items():
            unit_id = world.units[unit_key] if unit_key else None
            email = f"{key.replace('_', '-')}@keyguard.example"
            account = create_account(
                session,
                email=email,
                password=PASSWORD,
                display_name=key.replace("_", " ").title(),
                unit_id=unit_id,
                person_id=world.people[person_key] if person_key else None,
                roles=[(role, unit_id)],
                created_by=admin,
                supervising_body_id=body.id if role == "supervisor" else None,
            )
            admin = admin or account
            world.accounts[key] = account.id
            world.emails[key] = email
    return world
