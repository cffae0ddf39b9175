"""Register items: create and update, locations, audited views, check-out and return of
physical items, destruction and downgrade records with two witnesses, and each item's level
over time. Grants are in ``grants``, hosts in ``hosts``, imports in ``imports``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from keyguard import audit
from keyguard.config import utcnow
from keyguard.errors import NotFound, RuleViolation
from keyguard.records.org.models import Person, Unit
from keyguard.records.register.common import (
    canonical_level,
    facts_on,
    gone_on,
    level_rank,
    local_today,
)
from keyguard.records.register.models import ITEM_STATUSES, CheckOut, Disposal, Item, ItemLocation
from keyguard.records.register.patterns import PatternError, compile_pattern


def _actor() -> str:
    return audit.current_actor().name


def parse_location(text: str) -> tuple[str | None, str | None, list[str]]:
    """Split a location cell into (room, safe, digital locations). ``physical:ROOM`` or
    ``physical:ROOM/SAFE`` names a physical place; several locations are joined by `` | ``."""
    room = safe = None
    digital: list[str] = []
    for part in [p.strip() for p in text.split(" | ") if p.strip()]:
        if part.casefold().startswith("physical:"):
            where = part.split(":", 1)[1].strip()
            room, _, rest = where.partition("/")
            room, safe = room.strip() or None, rest.strip() or None
            if room is None:
                raise RuleViolation("physical: needs a room (physical:ROOM or physical:ROOM/SAFE)")
        else:
            digital.append(part)
    return room, safe, digital


def add_locations(session: Session, item: Item, patterns: list[str]) -> int:
    """Add digital locations to ``item`` (already present ones are kept); returns how many
    were new. An invalid pattern raises :class:`RuleViolation` naming it."""
    known = {loc.normalised for loc in item.locations}
    added = 0
    for text in patterns:
        try:
            p = compile_pattern(text)
        except PatternError as exc:
            raise RuleViolation(f"invalid location: {exc}") from None
        if p.normalised in known:
            continue
        known.add(p.normalised)
        item.locations.append(
            ItemLocation(
                unit_id=item.unit_id,
                kind=p.kind,
                pattern=p.original,
                normalised=p.normalised,
                anchor=p.anchor,
                exact=p.exact,
            )
        )
        added += 1
    return added


def create_item(
    session: Session,
    *,
    unit: Unit,
    reference: str,
    title: str,
    level: str,
    locations: list[str] | None = None,
    compartment: str | None = None,
    owner_department_id: int | None = None,
    owner: Person | None = None,
    custodian: Person | None = None,
    created_on: dt.date | None = None,
    review_date: dt.date | None = None,
    room: str | None = None,
    safe: str | None = None,
    source: str = "",
) -> Item:
    """Register a classified item (digital locations and/or a room and safe)."""
    reference = reference.strip()
    if not reference or not title.strip():
        raise RuleViolation("an item needs a reference and a title")
    if session.scalar(
        select(Item.id).where(
            Item.unit_id == unit.id, func.lower(Item.reference) == reference.lower()
        )
    ):
        raise RuleViolation(f"reference {reference!r} is already in the register")
    if not locations and not room:
        raise RuleViolation(f"item {reference}: give a path/URL pattern, doc:ID or physical:ROOM")
    item = Item(
        unit_id=unit.id,
        reference=reference,
        title=title.strip(),
        level=canonical_level(unit, level),
        compartment=(compartment or "").strip() or None,
        owner_department_id=owner_department_id,
        owner_id=owner.id if owner else None,
        custodian_id=custodian.id if custodian else None,
        created_on=created_on or local_today(unit),
        review_date=review_date,
        status="active",
        room=room,
        safe=safe,
        source=source,
    )
    session.add(item)
    add_locations(session, item, locations or [])
    session.flush()
    return item


def get_item(session: Session, *, unit_id: int, item_id: int, view: bool = True) -> Item:
    """An item of the unit; ``view=True`` writes the look into the audit chain."""
    item = session.scalar(
        select(Item)
        .options(selectinload(Item.locations))
        .where(Item.id == item_id, Item.unit_id == unit_id)
    )
    if item is None:
        raise NotFound(f"no register item {item_id}")
    if view:
        audit.record(
            session,
            "view",
            "register_item",
            item.id,
            {"reference": item.reference},
            unit_id=unit_id,
        )
    return item


def item_by_reference(session: Session, unit_id: int, reference: str) -> Item:
    item = session.scalar(
        select(Item).where(
            Item.unit_id == unit_id, func.lower(Item.reference) == reference.strip().lower()
        )
    )
    if item is None:
        raise NotFound(f"no register item with reference {reference.strip()!r}")
    return item


def list_items(
    session: Session,
    *,
    unit: Unit,
    level: str | None = None,
    status: str | None = None,
    text: str | None = None,
    limit: int = 500,
) -> list[Item]:
    """Items of the unit, filtered; every listing is recorded in the audit chain."""
    q = select(Item).options(selectinload(Item.locations)).where(Item.unit_id == unit.id)
    if level:
        q = q.where(Item.level == canonical_level(unit, level))
    if status:
        if status not in ITEM_STATUSES:
            raise RuleViolation(f"status must be one of {', '.join(ITEM_STATUSES)}")
        q = q.where(Item.status == status)
    if text:
        like = f"%{text.strip().lower()}%"
        q = q.where(
            or_(
                func.lower(Item.reference).like(like),
                func.lower(Item.title).like(like),
                func.lower(Item.compartment).like(like),
            )
        )
    items = list(session.scalars(q.order_by(Item.reference).limit(limit)))
    audit.record(
        session,
        "view",
        "register",
        None,
        {"level": level, "status": status, "text": text, "shown": len(items)},
        unit_id=unit.id,
    )
    return items


def _person_in_unit(session: Session, unit_id: int, person: Person) -> Person:
    if person.unit_id != unit_id:
        raise RuleViolation(f"{person.staff_id} is not a member of this unit")
    return person


def check_out(
    session: Session,
    *,
    item: Item,
    person: Person,
    due_on: dt.date,
    purpose: str = "",
) -> CheckOut:
    """Hand a physical item to a person until ``due_on``."""
    _person_in_unit(session, item.unit_id, person)
    if not item.room:
        raise RuleViolation(f"{item.reference} is not a physical item")
    if item.status not in ("active", "downgraded"):
        raise RuleViolation(f"{item.reference} is {item.status.replace('_', ' ')}")
    unit = session.get(Unit, item.unit_id)
    assert unit is not None
    if due_on < local_today(unit):
        raise RuleViolation("the due date is in the past")
    co = CheckOut(
        unit_id=item.unit_id,
        item_id=item.id,
        person_id=person.id,
        checked_out_at=utcnow(),
        due_on=due_on,
        issued_by=_actor(),
        purpose=purpose,
    )
    session.add(co)
    item.status = "checked_out"
    session.flush()
    return co


def _status_at_rest(session: Session, item: Item) -> str:
    downgraded = session.scalar(
        select(Disposal.id).where(Disposal.item_id == item.id, Disposal.kind == "downgrade")
    )
    return "downgraded" if downgraded else "active"


def return_item(session: Session, *, checkout: CheckOut) -> CheckOut:
    """Record the return of a checked-out item."""
    if checkout.returned_at is not None:
        raise RuleViolation("this check-out was already returned")
    checkout.returned_at = utcnow()
    checkout.received_by = _actor()
    item = session.get(Item, checkout.item_id)
    assert item is not None
    item.status = _status_at_rest(session, item)
    session.flush()
    return checkout


@dataclass(frozen=True)
class Overdue:
    checkout: CheckOut
    item: Item
    person: Person
    days_late: int


def overdue(session: Session, *, unit: Unit, day: dt.date | None = None) -> list[Overdue]:
    """Physical items not returned by their due date (``day``: default today)."""
    day = day or local_today(unit)
    rows = session.execute(
        select(CheckOut, Item, Person)
        .join(Item, Item.id == CheckOut.item_id)
        .join(Person, Person.id == CheckOut.person_id)
        .where(CheckOut.unit_id == unit.id, CheckOut.returned_at.is_(None), CheckOut.due_on < day)
        .order_by(CheckOut.due_on)
    ).all()
    return [Overdue(c, i, p, (day - c.due_on).days) for c, i, p in rows]


def open_checkouts(session: Session, *, item: Item) -> list[CheckOut]:
    return list(
        session.scalars(
            select(CheckOut).where(CheckOut.item_id == item.id, CheckOut.returned_at.is_(None))
        )
    )


def _witnesses(session: Session, item: Item, w1: Person, w2: Person, on_day: dt.date) -> None:
    """Two different members of the unit, neither gone (left) by ``on_day``, on a day that
    is not in the future."""
    _person_in_unit(session, item.unit_id, w1)
    _person_in_unit(session, item.unit_id, w2)
    if w1.id == w2.id:
        raise RuleViolation("two different people must witness it")
    unit = session.get(Unit, item.unit_id)
    assert unit is not None
    if on_day > local_today(unit):
        raise RuleViolation(f"{on_day} is in the future: record it on or after the day")
    for w in (w1, w2):
        facts = facts_on(session, w.id, on_day)
        if facts is not None and gone_on(facts, on_day):
            raise RuleViolation(f"{w.staff_id} had left by {on_day} and cannot witness it")


def record_destruction(
    session: Session,
    *,
    item: Item,
    on_day: dt.date,
    witness1: Person,
    witness2: Person,
    method: str,
) -> Disposal:
    """Record that an item was destroyed, with the two people who witnessed it."""
    _witnesses(session, item, witness1, witness2, on_day)
    if item.status == "destroyed":
        raise RuleViolation(f"{item.reference} is already destroyed")
    if item.status == "checked_out" or open_checkouts(session, item=item):
        raise RuleViolation(f"{item.reference} is checked out: record its return first")
    if not method.strip():
        raise RuleViolation("say how it was destroyed")
    d = Disposal(
        unit_id=item.unit_id,
        item_id=item.id,
        kind="destruction",
        on_day=on_day,
        from_level=item.level,
        to_level=None,
        method=method.strip(),
        witness1_id=witness1.id,
        witness2_id=witness2.id,
        recorded_by=_actor(),
        recorded_at=utcnow(),
    )
    session.add(d)
    item.status = "destroyed"
    session.flush()
    return d


def record_downgrade(
    session: Session,
    *,
    item: Item,
    to_level: str,
    on_day: dt.date,
    witness1: Person,
    witness2: Person,
    method: str = "",
) -> Disposal:
    """Lower an item's level from ``on_day`` on, witnessed by two different people."""
    _witnesses(session, item, witness1, witness2, on_day)
    unit = session.get(Unit, item.unit_id)
    assert unit is not None
    if item.status == "destroyed":
        raise RuleViolation(f"{item.reference} is destroyed")
    new = canonical_level(unit, to_level)
    if level_rank(unit, new) >= level_rank(unit, item.level):
        raise RuleViolation(f"{new} is not below the item's level ({item.level})")
    last = session.scalar(select(func.max(Disposal.on_day)).where(Disposal.item_id == item.id))
    if last is not None and on_day < last:
        raise RuleViolation(f"{item.reference} already has a record dated {last}")
    d = Disposal(
        unit_id=item.unit_id,
        item_id=item.id,
        kind="downgrade",
        on_day=on_day,
        from_level=item.level,
        to_level=new,
        method=method.strip(),
        witness1_id=witness1.id,
        witness2_id=witness2.id,
        recorded_by=_actor(),
        recorded_at=utcnow(),
    )
    session.add(d)
    item.level = new
    if item.status != "checked_out":
        item.status = "downgraded"
    session.flush()
    return d


def disposals(session: Session, *, item: Item) -> list[Disposal]:
    return list(
        session.scalars(
            select(Disposal)
            .where(Disposal.item_id == item.id)
            .order_by(Disposal.on_day, Disposal.id)
        )
    )


@dataclass(frozen=True)
class LevelPeriod:
    """An item's level over ``[valid_from, valid_to)`` (``None``: unbounded)."""

    item_id: int
    level: str
    valid_from: dt.date | None
    valid_to: dt.date | None


def level_periods(session: Session, *, unit_id: int) -> list[LevelPeriod]:
    """Every item's level over time: downgrades split an item's history at their day."""
    downs: dict[int, list[Disposal]] = {}
    for d in session.scalars(
        select(Disposal)
        .where(Disposal.unit_id == unit_id, Disposal.kind == "downgrade")
        .order_by(Disposal.item_id, Disposal.on_day, Disposal.id)
    ):
        downs.setdefault(d.item_id, []).append(d)
    out: list[LevelPeriod] = []
    for item_id, level in session.execute(
        select(Item.id, Item.level).where(Item.unit_id == unit_id)
    ):
        start: dt.date | None = None
        for d in downs.get(item_id, []):
            out.append(LevelPeriod(item_id, d.from_level, start, d.on_day))
            start = d.on_day
        out.append(LevelPeriod(item_id, level, start, None))
    return out


def level_on(session: Session, *, item: Item, day: dt.date) -> str:
    """The item's level on ``day`` (before a downgrade: the level it had then)."""
    for d in disposals(session, item=item):
        if d.kind == "downgrade" and day < d.on_day:
            return d.from_level
    return item.level
