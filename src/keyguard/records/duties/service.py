"""The entry point of the duties domain: frameworks, assignments, a person's duties, signing
statements and attestations, and department and unit views of what is overdue.

Loading and assignment live in ``frameworks.py`` and ``assign.py``; what is due in
``items.py``; the texts people sign in ``texts.py``; escalation in ``escalation.py``; the
compliance score in ``score.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from keyguard.config import utcnow
from keyguard.errors import NotFound, RuleViolation
from keyguard.records.duties.assign import (
    AssignResult,
    assign_duties,
    assignments_by_position,
    position_on,
)
from keyguard.records.duties.frameworks import (
    LoadResult,
    list_frameworks,
    load_builtin_frameworks,
    load_framework_file,
)
from keyguard.records.duties.items import (
    ATTESTATION,
    STATEMENT,
    DutyItem,
    attestation_items,
    evidence_for,
    items_for_people,
)
from keyguard.records.duties.models import (
    Attestation,
    Framework,
    FrameworkObject,
    ResponsibilityStatement,
)
from keyguard.records.duties.settings import duty_settings, local_today
from keyguard.records.duties.texts import (
    TEMPLATE_VERSION,
    attestation_text,
    sha256_text,
    statement_text,
)
from keyguard.records.org.models import OrgNode, Person, Position, Unit

__all__ = [
    "ATTESTATION",
    "STATEMENT",
    "AssignResult",
    "DutyItem",
    "LoadResult",
    "MyDuties",
    "assign_duties",
    "attest",
    "attestation_for",
    "department_people",
    "items_for_people",
    "list_frameworks",
    "load_builtin_frameworks",
    "load_framework_file",
    "my_duties",
    "overdue_items",
    "sign_statement",
    "statement_for",
]


@dataclass
class MyDuties:
    """What one person owes on a day, with the texts they would sign."""

    person_id: int
    position: Position | None
    day: dt.date
    items: list[DutyItem] = field(default_factory=list)
    frameworks: dict[int, Framework] = field(default_factory=dict)
    statement_text: str | None = None
    statement_sha256: str | None = None

    @property
    def overdue(self) -> list[DutyItem]:
        return [i for i in self.items if i.status == "overdue"]


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"person {person_id}")
    return person


def _unit(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"unit {unit_id}")
    return unit


def _frameworks(session: Session, unit_id: int) -> dict[int, Framework]:
    return {f.id: f for f in session.scalars(select(Framework).where(Framework.unit_id == unit_id))}


def statement_for(
    session: Session, *, person_id: int, locale: str | None, day: dt.date | None = None
) -> tuple[str, str, list[FrameworkObject]]:
    """The statement text ``person_id`` would sign now, its SHA-256 and the duties it lists."""
    person = _person(session, person_id)
    unit = _unit(session, person.unit_id)
    day = day or local_today(unit)
    pos_id, _ = position_on(session, person, day)
    if pos_id is None:
        raise RuleViolation("you hold no position, so there are no duties to accept")
    position = session.get(Position, pos_id)
    assignments = assignments_by_position(
        session, unit_id=unit.id, day=day, positions={pos_id}
    ).get(pos_id, [])
    if not assignments:
        raise RuleViolation("your position carries no duties yet")
    duties = list(
        session.scalars(
            select(FrameworkObject)
            .where(FrameworkObject.id.in_([a.duty_id for a in assignments]))
            .order_by(FrameworkObject.framework_id, FrameworkObject.position)
        )
    )
    text = statement_text(
        name=person.full_name,
        position=position.title if position else "",
        duties=duties,
        frameworks=_frameworks(session, unit.id),
        locale=locale,
    )
    return text, sha256_text(text), duties


def my_duties(
    session: Session, *, person_id: int, locale: str | None = None, day: dt.date | None = None
) -> MyDuties:
    """A person's duty items today (or ``day``): what is due, when, with what evidence."""
    person = _person(session, person_id)
    unit = _unit(session, person.unit_id)
    day = day or local_today(unit)
    pos_id, _ = position_on(session, person, day)
    out = MyDuties(
        person_id=person.id,
        position=session.get(Position, pos_id) if pos_id else None,
        day=day,
        frameworks=_frameworks(session, unit.id),
    )
    out.items = items_for_people(session, unit=unit, people=[person], day=day, with_previous=True)
    statement = next((i for i in out.items if i.kind == STATEMENT), None)
    if statement is not None and statement.status != "done":
        out.statement_text, out.statement_sha256, _ = statement_for(
            session, person_id=person.id, locale=locale, day=day
        )
    return out


def sign_statement(
    session: Session,
    *,
    person_id: int,
    account_id: int | None,
    locale: str | None,
    text_sha256: str,
    at: dt.datetime | None = None,
) -> ResponsibilityStatement:
    """Record the person's signature of the statement they were shown (same SHA-256)."""
    at = at or utcnow()
    person = _person(session, person_id)
    unit = _unit(session, person.unit_id)
    day = local_today(unit, at)
    text, digest, duties = statement_for(session, person_id=person_id, locale=locale, day=day)
    if digest != text_sha256:
        raise RuleViolation("the statement changed since it was shown; read it again and sign")
    urns = {d.urn for d in duties}
    for earlier in session.scalars(
        select(ResponsibilityStatement).where(ResponsibilityStatement.person_id == person.id)
    ):
        if urns <= set(earlier.duty_urns):
            raise RuleViolation("your statement is already signed and covers all your duties")
    pos_id, _ = position_on(session, person, day)
    frameworks = _frameworks(session, unit.id)
    row = ResponsibilityStatement(
        unit_id=unit.id,
        person_id=person.id,
        position_id=pos_id,
        account_id=account_id,
        signed_at=at,
        locale=locale or "en",
        text=text,
        text_sha256=digest,
        template_version=TEMPLATE_VERSION,
        duty_ids=[d.id for d in duties],
        duty_urns=[d.urn for d in duties],
        framework_versions={
            frameworks[d.framework_id].urn: frameworks[d.framework_id].version for d in duties
        },
    )
    session.add(row)
    session.flush()
    return row


def _open_item(
    session: Session, person: Person, duty_id: int, period: str, day: dt.date
) -> DutyItem:
    """The person's open attestation item for one duty and period (computed for that duty
    alone, so signing stays cheap in large units)."""
    unit = _unit(session, person.unit_id)
    pos_id, held_since = position_on(session, person, day)
    assignment = None
    if pos_id is not None:
        assignment = next(
            (
                a
                for a in assignments_by_position(
                    session, unit_id=unit.id, day=day, positions={pos_id}
                ).get(pos_id, [])
                if a.duty_id == duty_id
            ),
            None,
        )
    duty = session.get(FrameworkObject, duty_id)
    if assignment is None or duty is None or pos_id is None:
        raise RuleViolation(f"duty {duty_id} is not one of your duties for period {period}")
    ev = evidence_for(session, person_id=person.id, duty=duty)
    items = attestation_items(
        person,
        pos_id,
        held_since or assignment.valid_from,
        assignment,
        duty,
        day,
        duty_settings(unit),
        ev,
        with_previous=True,
    )
    for item in items:
        if item.period == period:
            if item.status == "done":
                raise RuleViolation(f"you already attested this duty for {period}")
            return item
    raise RuleViolation(f"duty {duty_id} is not one of your duties for period {period}")


def attestation_for(
    session: Session,
    *,
    person_id: int,
    duty_id: int,
    period: str,
    locale: str | None,
    day: dt.date | None = None,
) -> tuple[str, str]:
    """The attestation text for one of the person's open items, and its SHA-256."""
    person = _person(session, person_id)
    day = day or local_today(_unit(session, person.unit_id))
    item = _open_item(session, person, duty_id, period, day)
    assert item.duty is not None
    fw = session.get(Framework, item.duty.framework_id)
    assert fw is not None
    text = attestation_text(
        name=person.full_name, duty=item.duty, framework=fw, period=period, locale=locale
    )
    return text, sha256_text(text)


def attest(
    session: Session,
    *,
    person_id: int,
    account_id: int | None,
    duty_id: int,
    period: str,
    locale: str | None,
    text_sha256: str,
    evidence_note: str = "",
    at: dt.datetime | None = None,
) -> Attestation:
    """Record the person's attestation of one duty for one period (text hash checked)."""
    at = at or utcnow()
    person = _person(session, person_id)
    unit = _unit(session, person.unit_id)
    day = local_today(unit, at)
    text, digest = attestation_for(
        session, person_id=person_id, duty_id=duty_id, period=period, locale=locale, day=day
    )
    if digest != text_sha256:
        raise RuleViolation("the attestation text changed since it was shown; read it again")
    duty = session.get(FrameworkObject, duty_id)
    assert duty is not None
    fw = session.get(Framework, duty.framework_id)
    assert fw is not None
    pos_id, _ = position_on(session, person, day)
    row = Attestation(
        unit_id=unit.id,
        person_id=person.id,
        position_id=pos_id,
        account_id=account_id,
        duty_id=duty.id,
        duty_urn=duty.urn,
        framework_urn=fw.urn,
        framework_version=fw.version,
        period=period,
        signed_at=at,
        locale=locale or "en",
        text=text,
        text_sha256=digest,
        evidence_note=evidence_note.strip()[:2000],
    )
    session.add(row)
    session.flush()
    return row


def department_ids(session: Session, *, unit_id: int, department_id: int) -> set[int]:
    """The node ``department_id`` and every node below it."""
    children: dict[int | None, list[int]] = {}
    for nid, parent in session.execute(
        select(OrgNode.id, OrgNode.parent_id).where(OrgNode.unit_id == unit_id)
    ):
        children.setdefault(parent, []).append(nid)
    out, todo = set(), [department_id]
    while todo:
        nid = todo.pop()
        if nid not in out:
            out.add(nid)
            todo.extend(children.get(nid, []))
    return out


def department_people(
    session: Session, *, unit_id: int, department_id: int | None = None
) -> list[Person]:
    """Active people of the unit, or of one department (its subtree)."""
    q = (
        select(Person)
        .options(selectinload(Person.versions))
        .where(Person.unit_id == unit_id, Person.status.in_(("active", "notice")))
    )
    if department_id is not None:
        nodes = department_ids(session, unit_id=unit_id, department_id=department_id)
        q = q.where(Person.department_id.in_(nodes) | Person.team_id.in_(nodes))
    return list(session.scalars(q.order_by(Person.full_name)))


def overdue_items(
    session: Session, *, unit: Unit, department_id: int | None = None, day: dt.date | None = None
) -> list[DutyItem]:
    """Overdue duty items of a unit or one department, most overdue first."""
    day = day or local_today(unit)
    people = department_people(session, unit_id=unit.id, department_id=department_id)
    items = items_for_people(session, unit=unit, people=people, day=day, with_previous=True)
    overdue = [i for i in items if i.status == "overdue"]
    return sorted(overdue, key=lambda i: (-i.days_overdue, i.person_id))
