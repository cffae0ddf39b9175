"""What is due: a person's duty items (statement and attestations) on a day, with status.

An item is ``done`` when its evidence exists (signed on or before the day), ``overdue`` when
its due date has passed without evidence, ``due`` when its due date is within the unit's
reminder window, ``open`` otherwise.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.records.duties.assign import assignments_by_position, position_on
from keyguard.records.duties.models import (
    Attestation,
    DutyAssignment,
    Framework,
    FrameworkObject,
    ResponsibilityStatement,
)
from keyguard.records.duties.periods import Period, due_date, period_of, previous_period
from keyguard.records.duties.settings import DutySettings, duty_settings
from keyguard.records.org.models import Person, Unit

STATEMENT = "statement"
ATTESTATION = "attestation"


@dataclass
class DutyItem:
    """One thing a person owes: their responsibility statement or one duty's attestation."""

    kind: str  # statement | attestation
    person_id: int
    position_id: int
    period: str
    period_start: dt.date
    due_on: dt.date
    status: str  # done | overdue | due | open
    duty: FrameworkObject | None = None
    framework_urn: str = ""
    framework_version: int = 0
    evidence_id: int | None = None
    evidence_at: dt.datetime | None = None
    evidence_version: int | None = None
    days_overdue: int = 0
    duties: list[FrameworkObject] = field(default_factory=list)

    @property
    def key(self) -> str:
        """A stable short key of the item (used in notification dedupe keys)."""
        if self.duty is None:
            return f"{self.person_id}:s:{self.period_start}"
        digest = hashlib.sha256(self.duty.urn.encode()).hexdigest()[:12]
        return f"{self.person_id}:{digest}:{self.period}"


@dataclass
class _Evidence:
    statements: dict[int, list[ResponsibilityStatement]]
    attestations: dict[tuple[int, str, str], Attestation]
    versions: dict[int, tuple[str, int]]  # duty id -> (framework urn, version)


def _load_evidence(session: Session, unit_id: int, person_ids: Iterable[int]) -> _Evidence:
    ids = list(person_ids)
    statements: dict[int, list[ResponsibilityStatement]] = defaultdict(list)
    attestations: dict[tuple[int, str, str], Attestation] = {}
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        for s in session.scalars(
            select(ResponsibilityStatement)
            .where(ResponsibilityStatement.person_id.in_(part))
            .order_by(ResponsibilityStatement.signed_at)
        ):
            statements[s.person_id].append(s)
        for a in session.scalars(select(Attestation).where(Attestation.person_id.in_(part))):
            attestations[(a.person_id, a.duty_urn, a.period)] = a
    versions = {
        oid: (urn, version)
        for oid, urn, version in session.execute(
            select(FrameworkObject.id, Framework.urn, Framework.version)
            .join(Framework, Framework.id == FrameworkObject.framework_id)
            .where(Framework.unit_id == unit_id)
        )
    }
    return _Evidence(statements, attestations, versions)


def evidence_for(session: Session, *, person_id: int, duty: FrameworkObject) -> _Evidence:
    """The evidence one person gave for one duty (any version of it)."""
    attestations = {
        (a.person_id, a.duty_urn, a.period): a
        for a in session.scalars(
            select(Attestation).where(
                Attestation.person_id == person_id, Attestation.duty_urn == duty.urn
            )
        )
    }
    fw = session.get(Framework, duty.framework_id)
    assert fw is not None
    return _Evidence({}, attestations, {duty.id: (fw.urn, fw.version)})


def _status(due: dt.date, done: bool, day: dt.date, settings: DutySettings) -> str:
    if done:
        return "done"
    if due < day:
        return "overdue"
    if (due - day).days <= settings.remind_before_days:
        return "due"
    return "open"


def attestation_items(
    person: Person,
    pos_id: int,
    held_since: dt.date,
    assignment: DutyAssignment,
    duty: FrameworkObject,
    day: dt.date,
    settings: DutySettings,
    ev: _Evidence,
    with_previous: bool,
) -> list[DutyItem]:
    since = max(held_since, assignment.valid_from)
    freq = duty.frequency or "once"
    if freq == "on_start" and person.start_date is not None:
        since = max(person.start_date, assignment.valid_from)
    periods: list[Period] = [period_of(freq, day, since)]
    prev = previous_period(freq, periods[0])
    if with_previous and prev is not None and prev.end >= since:
        periods.append(prev)
    urn, version = ev.versions.get(duty.id, ("", 0))
    out = []
    for period in periods:
        due = due_date(freq, period, since, settings.grace_days)
        found = ev.attestations.get((person.id, duty.urn, period.key))
        done = found is not None and found.signed_at.date() <= day
        item = DutyItem(
            kind=ATTESTATION,
            person_id=person.id,
            position_id=pos_id,
            period=period.key,
            period_start=period.start,
            due_on=due,
            status=_status(due, done, day, settings),
            duty=duty,
            framework_urn=urn,
            framework_version=version,
        )
        if done and found is not None:
            item.evidence_id, item.evidence_at = found.id, found.signed_at
            item.evidence_version = found.framework_version
        if item.status == "overdue":
            item.days_overdue = (day - due).days
        out.append(item)
    return out


def _statement_item(
    person: Person,
    pos_id: int,
    held_since: dt.date,
    pairs: list[tuple[DutyAssignment, FrameworkObject]],
    day: dt.date,
    settings: DutySettings,
    ev: _Evidence,
) -> DutyItem:
    urns = {d.urn for _, d in pairs}
    since = max([held_since, *(a.valid_from for a, _ in pairs)])
    due = since + dt.timedelta(days=settings.grace_days)
    signed = [
        s
        for s in ev.statements.get(person.id, [])
        if s.signed_at.date() <= day and urns <= set(s.duty_urns)
    ]
    item = DutyItem(
        kind=STATEMENT,
        person_id=person.id,
        position_id=pos_id,
        period=f"since {since}",
        period_start=since,
        due_on=due,
        status=_status(due, bool(signed), day, settings),
        duties=[d for _, d in pairs],
    )
    if signed:
        item.evidence_id, item.evidence_at = signed[-1].id, signed[-1].signed_at
    if item.status == "overdue":
        item.days_overdue = (day - due).days
    return item


def items_for_people(
    session: Session,
    *,
    unit: Unit,
    people: Iterable[Person],
    day: dt.date,
    with_previous: bool = False,
) -> list[DutyItem]:
    """Every duty item of ``people`` on ``day`` (current periods; with ``with_previous``
    also the period before, so a closed period still counts at a period boundary)."""
    settings = duty_settings(unit)
    people = [p for p in people if p.start_date is None or p.start_date <= day]
    people = [p for p in people if p.end_date is None or p.end_date >= day]
    held = {p.id: position_on(session, p, day) for p in people}
    wanted = {pos for pos, _ in held.values() if pos is not None}
    by_pos = (
        assignments_by_position(session, unit_id=unit.id, day=day, positions=wanted)
        if wanted
        else {}
    )
    duties = (
        {
            d.id: d
            for d in session.scalars(
                select(FrameworkObject).where(
                    FrameworkObject.id.in_({a.duty_id for v in by_pos.values() for a in v})
                )
            )
        }
        if by_pos
        else {}
    )
    ev = _load_evidence(session, unit.id, [p.id for p in people])
    out: list[DutyItem] = []
    for person in people:
        pos_id, held_since = held[person.id]
        if pos_id is None or pos_id not in by_pos:
            continue
        held_since = held_since or by_pos[pos_id][0].valid_from
        pairs = [(a, duties[a.duty_id]) for a in by_pos[pos_id]]
        pairs.sort(key=lambda p: (p[1].framework_id, p[1].position))
        out.append(_statement_item(person, pos_id, held_since, pairs, day, settings, ev))
        for assignment, duty in pairs:
            out.extend(
                attestation_items(
                    person,
                    pos_id,
                    held_since,
                    assignment,
                    duty,
                    day,
                    settings,
                    ev,
                    with_previous,
                )
            )
    return out
