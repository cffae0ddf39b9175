"""Physical items: check-out, return and the overdue list; destruction and downgrade with
two witnesses; every view of the register is in the audit chain."""

from __future__ import annotations

import datetime as dt

import pytest
from kg_register_builders import World, add_version
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.audit.models import AuditEntry
from keyguard.errors import RuleViolation
from keyguard.records.register.service import (
    check_out,
    create_item,
    get_item,
    list_items,
    overdue,
    record_destruction,
    record_downgrade,
    return_item,
)

D = dt.date


@pytest.mark.pg
def test_checkout_return_and_overdue(session: Session, world: World, now) -> None:  # type: ignore[no-untyped-def]
    w = world
    now("2026-03-02T10:00:00")
    safe = create_item(
        session,
        unit=w.unit,
        reference="PHY-1",
        title="Paper file",
        level="secret",
        room="B2.14",
        safe="S3",
    )
    digital = create_item(
        session,
        unit=w.unit,
        reference="DIG-1",
        title="Share",
        level="secret",
        locations=[r"\\fs\x\*"],
    )
    with pytest.raises(RuleViolation, match="not a physical item"):
        check_out(session, item=digital, person=w.people["ALI0001"], due_on=D(2026, 3, 5))
    co = check_out(session, item=safe, person=w.people["ALI0001"], due_on=D(2026, 3, 5))
    assert safe.status == "checked_out"
    with pytest.raises(RuleViolation, match="checked out"):
        check_out(session, item=safe, person=w.people["BOB0002"], due_on=D(2026, 3, 5))
    assert overdue(session, unit=w.unit, day=D(2026, 3, 5)) == []
    late = overdue(session, unit=w.unit, day=D(2026, 3, 8))
    assert [(o.item.reference, o.person.staff_id, o.days_late) for o in late] == [
        ("PHY-1", "ALI0001", 3)
    ]
    with pytest.raises(RuleViolation, match="checked out"):
        record_destruction(
            session,
            item=safe,
            on_day=D(2026, 3, 2),
            witness1=w.people["DAN0004"],
            witness2=w.people["EVE0005"],
            method="shredded",
        )
    return_item(session, checkout=co)
    assert safe.status == "active" and overdue(session, unit=w.unit, day=D(2026, 3, 8)) == []


@pytest.mark.pg
def test_destruction_and_downgrade_need_two_witnesses(session: Session, world: World) -> None:
    w = world
    item = create_item(
        session, unit=w.unit, reference="PHY-2", title="Old plans", level="top secret", room="Vault"
    )
    dan, eve = w.people["DAN0004"], w.people["EVE0005"]
    with pytest.raises(RuleViolation, match="two different people"):
        record_downgrade(
            session, item=item, to_level="secret", on_day=D(2025, 1, 1), witness1=dan, witness2=dan
        )
    with pytest.raises(RuleViolation, match="not below"):
        record_downgrade(
            session,
            item=item,
            to_level="top secret",
            on_day=D(2025, 1, 1),
            witness1=dan,
            witness2=eve,
        )
    with pytest.raises(RuleViolation, match="in the future"):
        record_downgrade(
            session,
            item=item,
            to_level="secret",
            on_day=D(2999, 1, 1),
            witness1=dan,
            witness2=eve,
        )
    car = w.people["CAR0003"]
    add_version(session, car, valid_from=D(2024, 7, 1), known_from=D(2024, 7, 1), status="left")
    with pytest.raises(RuleViolation, match="CAR0003 had left"):
        record_downgrade(
            session, item=item, to_level="secret", on_day=D(2025, 1, 1), witness1=dan, witness2=car
        )
    d = record_downgrade(
        session, item=item, to_level="secret", on_day=D(2025, 1, 1), witness1=dan, witness2=eve
    )
    assert (d.from_level, d.to_level, item.level, item.status) == (
        "top secret",
        "secret",
        "secret",
        "downgraded",
    )
    x = record_destruction(
        session,
        item=item,
        on_day=D(2025, 6, 1),
        witness1=dan,
        witness2=eve,
        method="cross-cut shredder",
    )
    assert (x.witness1_id, x.witness2_id, item.status) == (dan.id, eve.id, "destroyed")
    with pytest.raises(RuleViolation, match="already destroyed"):
        record_destruction(
            session, item=item, on_day=D(2025, 6, 2), witness1=dan, witness2=eve, method="again"
        )


@pytest.mark.pg
def test_register_views_are_audited(session: Session, world: World) -> None:
    w = world
    item = create_item(
        session,
        unit=w.unit,
        reference="R-1",
        title="Plans",
        level="secret",
        locations=[r"\\fs\plans\*"],
    )
    list_items(session, unit=w.unit, level="secret")
    get_item(session, unit_id=w.unit.id, item_id=item.id)
    views = session.execute(
        select(AuditEntry.object_type, AuditEntry.object_id)
        .where(AuditEntry.action == "view")
        .order_by(AuditEntry.seq)
    ).all()
    assert [tuple(v) for v in views] == [("register", None), ("register_item", str(item.id))]
