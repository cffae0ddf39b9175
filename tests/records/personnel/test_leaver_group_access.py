"""A leaver's access through group grants (department, team, position) ends on the
leaving day in every answer keyguard gives — ``need_to_know``, the grant table the analytics
and checks use — and the check "leaver-grants-live" then reports exactly the grants that
still need revoking: the person's own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from kg_register_builders import World, add_version
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.audit.context import Actor, actor_scope
from keyguard.controls.models import Finding
from keyguard.controls.scan import scan_unit
from keyguard.records.register.grants import Grantee, Scope, grant_table, need_to_know, new_grant
from keyguard.records.register.service import create_item

D = dt.date


@pytest.mark.pg
def test_leaver_grants_live_after_group_membership_ends(
    session: Session, world: World, home: Path
) -> None:
    w = world
    bob = w.people["BOB0002"]
    item = create_item(
        session, unit=w.unit, reference="G-1", title="G", level="secret", locations=[r"\\fs\g\*"]
    )
    made = {}
    for key, grantee in (
        ("department", Grantee("department", node=w.nodes["research"])),
        ("person", Grantee("person", person=bob)),
    ):
        made[key] = new_grant(
            session,
            unit=w.unit,
            grantee=grantee,
            scope=Scope("item", item=item),
            purpose="work",
            start=D(2024, 1, 1),
            end=None,
            status="approved",
            known_from=D(2024, 1, 1),
            source="t",
        )
    add_version(
        session,
        bob,
        valid_from=D(2026, 3, 1),
        known_from=D(2026, 3, 1),
        status="left",
        end_date=D(2026, 2, 28),
    )
    on = D(2026, 3, 10)
    answer = need_to_know(session, bob, item, on)
    assert answer.grant_ids == [made["person"].id]  # the department grant no longer counts
    live = {
        r["grant_id"]
        for r in grant_table(session, w.unit.id).to_pylist()
        if r["person_id"] == bob.id and r["valid_from"] <= on and (r["valid_to"] or on) >= on
    }
    assert live == {made["person"].id}
    with actor_scope(Actor(name="test:scan")):
        result = scan_unit(session, unit=w.unit, as_of=on, only=["leaver-grants-live"])
    assert result.outcomes[0].state == "ran"
    found = list(
        session.scalars(
            select(Finding).where(
                Finding.unit_id == w.unit.id, Finding.check_id == "leaver-grants-live"
            )
        )
    )
    assert len(found) == 1
    assert [e["id"] for e in found[0].evidence] == [made["person"].id]
