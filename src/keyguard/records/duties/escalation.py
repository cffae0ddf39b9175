"""Reminders and escalation of overdue duty items (run by the ``duties.escalate`` job).

For each item: a reminder to the person when it falls due within the reminder window and
again when it is overdue; after ``escalate_after_days`` overdue a notice to the holder(s) of
the position above (else the person's manager); after ``security_after_days`` a notice to
the security office (its officers, see :func:`security_office`). Every notice has a dedupe
key, so running the job again sends nothing twice. Notifications are in-app and by e-mail
when an address is known.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from keyguard.db.base import Base
from keyguard.records.duties.assign import position_levels
from keyguard.records.duties.items import STATEMENT, DutyItem, items_for_people
from keyguard.records.duties.settings import duty_settings, local_today
from keyguard.records.duties.texts import duty_name
from keyguard.records.org.models import Person, Position, Unit
from keyguard.scheduler.service import notify


@dataclass(frozen=True)
class Recipient:
    person_id: int | None
    account_id: int | None
    email: str | None


def _accounts_of(session: Session, person_ids: Iterable[int]) -> dict[int, list[tuple[int, str]]]:
    account = Base.metadata.tables["account"]
    out: dict[int, list[tuple[int, str]]] = {}
    ids = list(person_ids)
    if not ids:
        return out
    for aid, pid, email in session.execute(
        select(account.c.id, account.c.person_id, account.c.email).where(
            account.c.person_id.in_(ids), account.c.is_active.is_(True)
        )
    ):
        out.setdefault(pid, []).append((aid, email))
    return out


def recipients_for_people(session: Session, people: Iterable[Person]) -> list[Recipient]:
    """One recipient per account of each person (or the person alone when they have none)."""
    people = list(people)
    accounts = _accounts_of(session, [p.id for p in people])
    out = []
    for p in people:
        for aid, email in accounts.get(p.id, []):
            out.append(Recipient(p.id, aid, p.email or email))
        if p.id not in accounts:
            out.append(Recipient(p.id, None, p.email))
    return out


def managers_of(session: Session, person: Person) -> list[Person]:
    """Holders of the position above the person's (else the recorded manager)."""
    if person.position_id is not None:
        pos = session.get(Position, person.position_id)
        if pos is not None and pos.reports_to_id is not None:
            holders = list(
                session.scalars(
                    select(Person).where(
                        Person.position_id == pos.reports_to_id,
                        Person.status.in_(("active", "notice")),
                    )
                )
            )
            if holders:
                return holders
    if person.manager_id is not None:
        manager = session.get(Person, person.manager_id)
        if manager is not None and manager.status in ("active", "notice"):
            return [manager]
    return []


def security_office(session: Session, unit: Unit) -> list[Recipient]:
    """Who hears for the security office: accounts holding the security officer role in the
    unit; without any, the heads of the security office (its leadership or department-level
    positions); without those, everyone in a security-office position."""
    account = Base.metadata.tables["account"]
    roles = Base.metadata.tables["role_assignment"]
    out: list[Recipient] = []
    known: set[int] = set()
    for aid, pid, email in session.execute(
        select(account.c.id, account.c.person_id, account.c.email)
        .join(roles, roles.c.account_id == account.c.id)
        .where(
            roles.c.role == "security_officer",
            roles.c.unit_id == unit.id,
            account.c.is_active.is_(True),
        )
        .order_by(account.c.id)
    ):
        if aid not in known:
            out.append(Recipient(pid, aid, email))
            known.add(aid)
    if out:
        return out
    levels = position_levels(session, unit)
    office = {pid for pid, lv in levels.items() if "security_office" in lv}
    if not office:
        return []
    members = list(
        session.scalars(
            select(Person).where(
                Person.unit_id == unit.id,
                Person.position_id.in_(office),
                Person.status.in_(("active", "notice")),
            )
        )
    )
    heads = {
        p.id
        for p in session.scalars(
            select(Position).where(
                Position.id.in_(office), Position.level.in_(("leadership", "department"))
            )
        )
    }
    chosen = [p for p in members if p.position_id in heads] or members
    return recipients_for_people(session, chosen)


def _what(item: DutyItem) -> str:
    if item.kind == STATEMENT:
        return "responsibility statement"
    assert item.duty is not None
    return f'duty {item.duty.ref_id} "{duty_name(item.duty, None)}" ({item.period})'


def _send(
    session: Session, unit: Unit, to: Recipient, *, kind: str, subject: str, body: str, key: str
) -> bool:
    suffix = f"a{to.account_id}" if to.account_id else f"p{to.person_id}"
    note = notify(
        session,
        kind=kind,
        subject=subject,
        body=body,
        unit_id=unit.id,
        account_id=to.account_id,
        person_id=to.person_id,
        link="/duties/my",
        email_to=to.email,
        dedupe_key=f"duty:{key}:{suffix}"[:200],
    )
    return note is not None


def escalate_unit(session: Session, unit: Unit, now: dt.datetime) -> Counter[str]:
    """Send the due reminders and escalations of one unit."""
    settings = duty_settings(unit)
    day = local_today(unit, now)
    people = {
        p.id: p
        for p in session.scalars(
            select(Person)
            .options(selectinload(Person.versions))
            .where(Person.unit_id == unit.id, Person.status.in_(("active", "notice")))
        )
    }
    counts: Counter[str] = Counter()
    office: list[Recipient] | None = None
    items = items_for_people(
        session, unit=unit, people=people.values(), day=day, with_previous=True
    )
    cache: dict[int, list[Recipient]] = {}

    def own(p: Person) -> list[Recipient]:
        if p.id not in cache:
            cache[p.id] = recipients_for_people(session, [p])
        return cache[p.id]

    for item in items:
        person = people[item.person_id]
        what = _what(item)
        if item.status == "due":
            for to in own(person):
                counts["reminded"] += _send(
                    session,
                    unit,
                    to,
                    kind="duty.due",
                    key=f"{item.key}:soon",
                    subject=f"Due by {item.due_on}: {what}",
                    body=f"Your {what} is due by {item.due_on}. Open My duties to sign it.",
                )
        if item.status != "overdue":
            continue
        for to in own(person):
            counts["overdue"] += _send(
                session,
                unit,
                to,
                kind="duty.overdue",
                key=f"{item.key}:overdue",
                subject=f"Overdue since {item.due_on}: {what}",
                body=f"Your {what} was due on {item.due_on}. Please sign it in My duties.",
            )
        if item.days_overdue >= settings.escalate_after_days:
            for to in [r for m in managers_of(session, person) for r in own(m)]:
                counts["manager"] += _send(
                    session,
                    unit,
                    to,
                    kind="duty.escalated",
                    key=f"{item.key}:manager",
                    subject=f"Escalated: {person.full_name} — {what}",
                    body=f"{person.full_name}'s {what} is {item.days_overdue} days overdue "
                    f"(due {item.due_on}). As the position above, please follow it up.",
                )
        if item.days_overdue >= settings.security_after_days:
            if office is None:
                office = security_office(session, unit)
            for to in office:
                if to.person_id == person.id:
                    continue
                counts["security"] += _send(
                    session,
                    unit,
                    to,
                    kind="duty.escalated",
                    key=f"{item.key}:security",
                    subject=f"Escalated to the security office: {person.full_name} — {what}",
                    body=f"{person.full_name}'s {what} is {item.days_overdue} days overdue "
                    f"(due {item.due_on}) and was escalated to their manager without effect.",
                )
    return counts


def escalate_all(session: Session, now: dt.datetime) -> dict[str, int]:
    """The job: reminders and escalations in every unit."""
    total: Counter[str] = Counter()
    for unit in session.scalars(select(Unit).order_by(Unit.id)):
        total.update(escalate_unit(session, unit, now))
    return dict(total)
