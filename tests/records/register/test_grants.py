"""need_to_know with person, team, department and position grants, no look-ahead, expiry;
request → approve with two different people at the top level; revocation."""

from __future__ import annotations

import datetime as dt

import pytest
from kg_register_builders import World, account, add_version
from sqlalchemy.orm import Session

from keyguard.errors import PermissionDenied, RuleViolation
from keyguard.identity.service import assign_role, create_account
from keyguard.records.register.grants import (
    Grantee,
    Scope,
    approve_grant,
    grant_table,
    need_to_know,
    new_grant,
    refuse_grant,
    request_grant,
    revoke_grant,
)
from keyguard.records.register.service import create_item, record_downgrade

D = dt.date


def _item(
    session: Session,
    w: World,
    ref: str = "REG-1",
    level: str = "secret",
    compartment: str | None = None,
):  # type: ignore[no-untyped-def]
    return create_item(
        session,
        unit=w.unit,
        reference=ref,
        title=f"Item {ref}",
        level=level,
        locations=[rf"\\fs\research\{ref}\*"],
        compartment=compartment,
        owner=w.people["EVE0005"],
        owner_department_id=w.nodes["research"].id,
    )


def _grant(
    session: Session,
    w: World,
    grantee: Grantee,
    scope: Scope,
    start: D,
    end: D | None = None,
    known: D | None = None,
):  # type: ignore[no-untyped-def]
    return new_grant(
        session,
        unit=w.unit,
        grantee=grantee,
        scope=scope,
        purpose="work",
        start=start,
        end=end,
        status="approved",
        known_from=known or start,
        source="test",
    )


@pytest.mark.pg
def test_person_team_department_and_position_grants(session: Session, world: World) -> None:
    w = world
    item = _item(session, w)
    ali, bob, car, fay = (w.people[s] for s in ("ALI0001", "BOB0002", "CAR0003", "FAY0006"))
    day = D(2024, 3, 1)
    assert not need_to_know(session, ali, item, day)
    _grant(
        session, w, Grantee("team", node=w.nodes["alpha"]), Scope("item", item=item), D(2024, 1, 1)
    )
    assert need_to_know(session, ali, item, day)  # alpha member
    assert not need_to_know(session, bob, item, day)  # beta
    assert not need_to_know(session, car, item, day)  # finance's "1 - Alpha" is another team
    _grant(
        session,
        w,
        Grantee("department", node=w.nodes["research"]),
        Scope("item", item=item),
        D(2024, 1, 1),
    )
    assert need_to_know(session, bob, item, day)
    assert not need_to_know(session, car, item, day)
    _grant(
        session,
        w,
        Grantee("position", title="securityofficer"),
        Scope("item", item=item),
        D(2024, 1, 1),
    )
    assert need_to_know(session, fay, item, day)  # job title (CERT role)
    dan = w.people["DAN0004"]
    assert not need_to_know(session, dan, item, day)
    _grant(
        session,
        w,
        Grantee("position", title="Security officer"),
        Scope("item", item=item),
        D(2024, 1, 1),
    )
    assert need_to_know(session, dan, item, day)  # Position.title
    _grant(session, w, Grantee("person", person=car), Scope("item", item=item), D(2024, 2, 1))
    answer = need_to_know(session, car, item, day)
    assert answer and len(answer.grant_ids) == 1


@pytest.mark.pg
def test_no_look_ahead_and_expiry(session: Session, world: World) -> None:
    w = world
    item = _item(session, w)
    car = w.people["CAR0003"]
    # valid from January, but keyguard learned of it only on 1 March
    _grant(
        session,
        w,
        Grantee("person", person=car),
        Scope("item", item=item),
        D(2024, 1, 1),
        end=D(2024, 3, 31),
        known=D(2024, 3, 1),
    )
    assert not need_to_know(session, car, item, D(2024, 2, 15))
    assert need_to_know(session, car, item, D(2024, 3, 1))
    assert need_to_know(session, car, item, D(2024, 3, 31))  # end is the last day
    assert not need_to_know(session, car, item, D(2024, 4, 1))  # expired grant used
    assert not need_to_know(session, car, item, D(2023, 12, 31))


@pytest.mark.pg
def test_group_grants_follow_the_persons_known_facts(session: Session, world: World) -> None:
    w = world
    item = _item(session, w)
    car = w.people["CAR0003"]
    _grant(
        session, w, Grantee("team", node=w.nodes["beta"]), Scope("item", item=item), D(2020, 1, 1)
    )
    # Carol moves into Beta on 1 June; keyguard learns it on 10 June.
    add_version(
        session,
        car,
        valid_from=D(2024, 6, 1),
        known_from=D(2024, 6, 10),
        department_id=w.nodes["research"].id,
        team_id=w.nodes["beta"].id,
    )
    assert not need_to_know(session, car, item, D(2024, 5, 31))
    assert not need_to_know(session, car, item, D(2024, 6, 5))  # not known yet
    assert need_to_know(session, car, item, D(2024, 6, 10))
    rows = [r for r in grant_table(session, w.unit.id).to_pylist() if r["staff_id"] == "CAR0003"]
    assert rows == [
        dict(rows[0], valid_from=D(2024, 6, 1), valid_to=None, known_from=D(2024, 6, 10))
    ]


@pytest.mark.pg
def test_compartment_and_level_grants_use_the_level_on_the_day(
    session: Session, world: World
) -> None:
    w = world
    ts = _item(session, w, "REG-TS", "top secret", compartment="KESTREL")
    conf = _item(session, w, "REG-C", "confidential")
    bob = w.people["BOB0002"]
    _grant(session, w, Grantee("person", person=bob), Scope("level", level="secret"), D(2024, 1, 1))
    assert need_to_know(session, bob, conf, D(2024, 2, 1))
    assert not need_to_know(session, bob, ts, D(2024, 2, 1))
    record_downgrade(
        session,
        item=ts,
        to_level="secret",
        on_day=D(2024, 3, 1),
        witness1=w.people["DAN0004"],
        witness2=w.people["EVE0005"],
    )
    assert not need_to_know(session, bob, ts, D(2024, 2, 29))  # still top secret then
    assert need_to_know(session, bob, ts, D(2024, 3, 1))
    ali = w.people["ALI0001"]
    _grant(
        session,
        w,
        Grantee("person", person=ali),
        Scope("compartment", compartment="kestrel"),
        D(2024, 1, 1),
    )
    assert need_to_know(session, ali, ts, D(2024, 2, 1))
    assert not need_to_know(session, ali, conf, D(2024, 2, 1))
    table = grant_table(session, w.unit.id).to_pylist()
    bob_ts = [r for r in table if r["staff_id"] == "BOB0002" and r["reference"] == "REG-TS"]
    assert [(r["valid_from"], r["valid_to"]) for r in bob_ts] == [(D(2024, 3, 1), None)]


@pytest.mark.pg
def test_top_level_needs_two_different_people(session: Session, world: World, now) -> None:  # type: ignore[no-untyped-def]
    w = world
    now("2026-03-02T10:00:00")
    item = _item(session, w, "REG-TS", "top secret")
    alice = w.accounts["alice"]
    g = request_grant(
        session,
        unit=w.unit,
        requester=alice,
        grantee=Grantee("person", person=w.people["ALI0001"]),
        scope=Scope("item", item=item),
        purpose="analysis",
        start=D(2026, 3, 2),
        end=D(2026, 6, 30),
    )
    assert g.approvals_required == 2 and g.status == "requested"
    # alice's second account (same person) with approver rights may not approve
    alice2 = create_account(
        session,
        email="alice.alt@u.example",
        password="a-long-Passw0rd!",
        unit_id=w.unit.id,
        person_id=w.people["ALI0001"].id,
        roles=[("security_officer", w.unit.id)],
    )
    with pytest.raises(RuleViolation, match="same person"):
        approve_grant(session, grant=g, approver=alice2)
    # an account alice promoted may not approve either
    crony = account(session, w, "crony", "CAR0003", "employee")
    assign_role(
        session, account=crony, role="security_officer", unit_id=w.unit.id, granted_by=alice
    )
    with pytest.raises(RuleViolation, match="given a role by the requester"):
        approve_grant(session, grant=g, approver=crony)
    # an employee without grants.approve may not approve
    with pytest.raises(PermissionDenied):
        approve_grant(session, grant=g, approver=w.accounts["bob"])
    approve_grant(session, grant=g, approver=w.accounts["dan"])
    assert g.status == "requested"  # one of two
    with pytest.raises(RuleViolation, match="already approved"):
        approve_grant(session, grant=g, approver=w.accounts["dan"])
    approve_grant(session, grant=g, approver=w.accounts["eve"])
    assert g.status == "approved" and g.known_from == D(2026, 3, 2)
    assert need_to_know(session, w.people["ALI0001"], item, D(2026, 3, 2))
    now("2026-04-01T10:00:00")
    revoke_grant(session, grant=g, reason="project ended", by="test")
    assert g.valid_to == D(2026, 4, 1)
    assert need_to_know(session, w.people["ALI0001"], item, D(2026, 3, 31))
    assert not need_to_know(session, w.people["ALI0001"], item, D(2026, 4, 1))


@pytest.mark.pg
def test_nobody_approves_their_own_request(session: Session, world: World, now) -> None:  # type: ignore[no-untyped-def]
    w = world
    now("2026-03-02T10:00:00")
    item = _item(session, w, "REG-S", "secret")
    dan = w.accounts["dan"]
    g = request_grant(
        session,
        unit=w.unit,
        requester=dan,
        grantee=Grantee("person", person=w.people["DAN0004"]),
        scope=Scope("item", item=item),
        purpose="audit",
        start=D(2026, 3, 2),
        end=None,
    )
    assert g.approvals_required == 1
    with pytest.raises(RuleViolation, match="same person"):
        approve_grant(session, grant=g, approver=dan)
    # a request made for someone else cannot be approved by that someone either
    g2 = request_grant(
        session,
        unit=w.unit,
        requester=dan,
        grantee=Grantee("person", person=w.people["FAY0006"]),
        scope=Scope("item", item=item),
        purpose="audit",
        start=D(2026, 3, 2),
        end=None,
    )
    with pytest.raises(RuleViolation, match="own"):
        approve_grant(session, grant=g2, approver=w.accounts["fay"])
    refuse_grant(session, grant=g, approver=w.accounts["fay"], note="not needed")
    assert g.status == "refused"
    assert not need_to_know(session, w.people["DAN0004"], item, D(2026, 3, 3))


@pytest.mark.pg
def test_requests_for_others_need_manage_and_expired_periods_are_refused(
    session: Session,
    world: World,
    now,  # type: ignore[no-untyped-def]
) -> None:
    w = world
    now("2026-03-02T10:00:00")
    item = _item(session, w)
    with pytest.raises(PermissionDenied, match="yourself"):
        request_grant(
            session,
            unit=w.unit,
            requester=w.accounts["alice"],
            grantee=Grantee("person", person=w.people["BOB0002"]),
            scope=Scope("item", item=item),
            purpose="x",
            start=D(2026, 3, 2),
            end=None,
        )
    with pytest.raises(RuleViolation, match="already ended"):
        request_grant(
            session,
            unit=w.unit,
            requester=w.accounts["alice"],
            grantee=Grantee("person", person=w.people["ALI0001"]),
            scope=Scope("item", item=item),
            purpose="x",
            start=D(2026, 1, 1),
            end=D(2026, 2, 1),
        )
    g = request_grant(
        session,
        unit=w.unit,
        requester=w.accounts["alice"],
        grantee=Grantee("person", person=w.people["ALI0001"]),
        scope=Scope("item", item=item),
        purpose="x",
        start=D(2026, 3, 2),
        end=D(2026, 3, 10),
    )
    now("2026-03-20T10:00:00")
    with pytest.raises(RuleViolation, match="expired"):
        approve_grant(session, grant=g, approver=w.accounts["dan"])
