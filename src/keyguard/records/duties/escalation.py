"""Reminders and escalation of overdue duty items (run by the ``duties.escalate`` job).

For each item: a reminder to the person when it falls due within the reminder window and
again when it is overdue; after ``escalate_after_days`` overdue a notice to the holder(s) of
the position above (else the person's manager); after ``security_after_days`` a notice to
the security office (its officers, see :func:`security_office`). Every notice has a dedupe
key naming the exact set of items, so running the job again sends nothing twice; one notice
per recipient, person and stage lists the items. Notifications are in-app and by e-mail
when an address is known.
"""

from __future__ import annotations

import datetime as dt
import hashlib
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


STAGES = {
    # stage: (notification kind, subject prefix, who is told)
    "soon": ("duty.due", "Due soon", "person"),
    "overdue": ("duty.overdue", "Overdue", "person"),
    "manager": ("duty.escalated", "Escalated", "manager"),
    "security": ("duty.escalated", "Escalated to the security office", "security"),
}


def _line(item: DutyItem) -> str:
    late = f", {item.days_overdue} days overdue" if item.days_overdue else ""
    return f"- {_what(item)}: due {item.due_on}{late}"


def _digest(
    session: Session,
    unit: Unit,
    to: Recipient,
    person: Person,
    stage: str,
    items: list[DutyItem],
) -> bool:
    """One notice to ``to`` about ``person``'s items at ``stage``; its dedupe key names the
    exact set of items, so the same set is never sent twice and a new item sends a new one."""
    kind, prefix, audience = STAGES[stage]
    keys = hashlib.sha256("|".join(sorted(i.key for i in items)).encode()).hexdigest()[:16]
    suffix = f"a{to.account_id}" if to.account_id else f"p{to.person_id}"
    what = _what(items[0]) if len(items) == 1 else f"{len(items)} duty items"
    lines = "\n".join(_line(i) for i in items[:25])
    more = f"\n… and {len(items) - 25} more" if len(items) > 25 else ""
    if audience == "person":
        subject = f"{prefix}: {what}"
        body = f"Please sign these in My duties:\n{lines}{more}"
        link = f"/units/{unit.id}/duties/my"
    else:
        subject = f"{prefix}: {person.full_name} — {what}"
        body = f"{person.full_name} has not signed:\n{lines}{more}\n" + (
            "As the position above, please follow it up."
            if audience == "manager"
            else "The position above was told without effect."
        )
        link = f"/units/{unit.id}/duties/department"
    note = notify(
        session,
        kind=kind,
        subject=subject[:300],
        body=body,
        unit_id=unit.id,
        account_id=to.account_id,
        person_id=to.person_id,
        link=link,
        email_to=to.email,
        dedupe_key=f"duty:{stage}:{person.id}:{keys}:{suffix}",
    )
    return note is not None


def escalate_unit(session: Session, unit: Unit, now: dt.datetime) -> Counter[str]:
    """Send the due reminders and escalations of one unit (one notice per recipient, person
    and stage, listing the items)."""
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
    staged: dict[tuple[int, str], list[DutyItem]] = {}
    for item in items_for_people(
        session, unit=unit, people=people.values(), day=day, with_previous=True
    ):
        stages = []
        if item.status == "due":
            stages.append("soon")
        if item.status == "overdue":
            stages.append("overdue")
            if item.days_overdue >= settings.escalate_after_days:
                stages.append("manager")
            if item.days_overdue >= settings.security_after_days:
                stages.append("security")
        for stage in stages:
            staged.setdefault((item.person_id, stage), []).append(item)
    counts: Counter[str] = Counter()
    office: list[Recipient] | None = None
    for (person_id, stage), items in staged.items():
        person = people[person_id]
        audience = STAGES[stage][2]
        if audience == "person":
            recipients = recipients_for_people(session, [person])
        elif audience == "manager":
            recipients = recipients_for_people(session, managers_of(session, person))
        else:
            if office is None:
                office = security_office(session, unit)
            recipients = [r for r in office if r.person_id != person.id]
        for to in recipients:
            counts[stage] += _digest(session, unit, to, person, stage, items)
    return counts


def escalate_all(session: Session, now: dt.datetime) -> dict[str, int]:
    """The job: reminders and escalations in every unit."""
    total: Counter[str] = Counter()
    for unit in session.scalars(select(Unit).order_by(Unit.id)):
        total.update(escalate_unit(session, unit, now))
    return dict(total)
