"""Who a campaign is aimed at: named audience rules, pluggable.

A rule returns, for a day, every person in the audience and the date they joined it (from
which the campaign's due days count). Built-in rules: ``all-staff``, ``new-staff`` (started
within the last 30 days), ``classified-access`` (people holding a grant in the register — due
before their access begins — and people in positions flagged in
``Unit.settings["education"]["classified_positions"]``), ``department-heads`` and
``managers``. Another domain may replace or add a rule with :func:`register_audience`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.errors import RuleViolation
from keyguard.records.org.models import Person, Position, Unit

NEW_STAFF_DAYS = 30

Members = dict[int, dt.date]  # person id -> the day they joined the audience


@dataclass(frozen=True)
class AudienceRule:
    key: str
    label: str
    members: Callable[[Session, Unit, dt.date], Members]


_RULES: dict[str, AudienceRule] = {}


def register_audience(rule: AudienceRule) -> None:
    """Add or replace an audience rule."""
    _RULES[rule.key] = rule


def audience_rules() -> dict[str, AudienceRule]:
    return dict(_RULES)


def audience(key: str) -> AudienceRule:
    try:
        return _RULES[key]
    except KeyError:
        raise RuleViolation(
            f"unknown audience {key!r}; choose one of {', '.join(sorted(_RULES))}"
        ) from None


def _active(session: Session, unit: Unit, day: dt.date) -> list[Person]:
    return [
        p
        for p in session.scalars(
            select(Person).where(Person.unit_id == unit.id, Person.status.in_(("active", "notice")))
        )
        if (p.start_date is None or p.start_date <= day)
        and (p.end_date is None or p.end_date >= day)
    ]


def _joined(p: Person, fallback: dt.date) -> dt.date:
    return p.start_date or fallback


def all_staff(session: Session, unit: Unit, day: dt.date) -> Members:
    return {p.id: _joined(p, day) for p in _active(session, unit, day)}


def new_staff(session: Session, unit: Unit, day: dt.date) -> Members:
    floor = day - dt.timedelta(days=NEW_STAFF_DAYS)
    return {
        p.id: p.start_date
        for p in _active(session, unit, day)
        if p.start_date is not None and floor <= p.start_date <= day
    }


def _positions_of_level(session: Session, unit: Unit, levels: tuple[str, ...]) -> set[int]:
    return set(
        session.scalars(
            select(Position.id).where(Position.unit_id == unit.id, Position.level.in_(levels))
        )
    )


def department_heads(session: Session, unit: Unit, day: dt.date) -> Members:
    heads = _positions_of_level(session, unit, ("department",))
    return {p.id: _joined(p, day) for p in _active(session, unit, day) if p.position_id in heads}


def managers(session: Session, unit: Unit, day: dt.date) -> Members:
    lead = _positions_of_level(session, unit, ("leadership", "department", "team"))
    active = _active(session, unit, day)
    bosses = {p.manager_id for p in active if p.manager_id}
    return {p.id: _joined(p, day) for p in active if p.position_id in lead or p.id in bosses}


def _grant_holders(session: Session, unit: Unit, day: dt.date) -> Members | None:
    """People with a grant in force on ``day`` or starting later (known by ``day``), with the
    first day of their access; ``None`` when the register domain is not installed."""
    try:
        from keyguard.records.register.grants import grant_table
    except ImportError:
        return None
    out: Members = {}
    for row in grant_table(session, unit.id, expand_items=False).to_pylist():
        if row["person_id"] is None or row["known_from"] > day:
            continue
        if row["valid_to"] is not None and row["valid_to"] <= day:
            continue
        began = row["valid_from"] or day
        out[row["person_id"]] = min(out.get(row["person_id"], began), began)
    return out


def classified_access(session: Session, unit: Unit, day: dt.date) -> Members:
    """Grant holders from the register (training due before access begins), plus people in
    positions flagged in ``Unit.settings["education"]["classified_positions"]`` (position
    ids or words of their titles)."""
    members = _grant_holders(session, unit, day) or {}
    flagged = ((unit.settings or {}).get("education") or {}).get("classified_positions") or []
    ids = {int(f) for f in flagged if isinstance(f, int) or str(f).isdigit()}
    words = [str(f).lower() for f in flagged if not (isinstance(f, int) or str(f).isdigit())]
    positions = {
        pos.id
        for pos in session.scalars(select(Position).where(Position.unit_id == unit.id))
        if pos.id in ids or any(w in pos.title.lower() for w in words)
    }
    active = {p.id: p for p in _active(session, unit, day)}
    for p in active.values():
        if p.position_id in positions and p.id not in members:
            members[p.id] = _joined(p, day)
    return {pid: joined for pid, joined in members.items() if pid in active or joined > day}


def assigned(session: Session, unit: Unit, day: dt.date) -> Members:
    """Individually assigned items only (no one joins by rule)."""
    return {}


for _rule in (
    AudienceRule("all-staff", "All staff", all_staff),
    AudienceRule("new-staff", f"New staff (within {NEW_STAFF_DAYS} days of starting)", new_staff),
    AudienceRule(
        "classified-access",
        "Staff with classified access (before access, yearly)",
        classified_access,
    ),
    AudienceRule("department-heads", "Department heads", department_heads),
    AudienceRule("managers", "Managers and team leaders", managers),
    AudienceRule("assigned", "Individually assigned", assigned),
):
    register_audience(_rule)
