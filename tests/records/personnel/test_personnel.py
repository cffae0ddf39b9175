"""Clearances (above-clearance check, no look-ahead), reportable events (filed by the
employee, reviewed by the officer, visible to the right people), JML tasks and priority
groups."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest
from kg_register_builders import World, add_version
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.errors import PermissionDenied, RuleViolation
from keyguard.events.schema import EVENT_SCHEMA
from keyguard.records.personnel.hooks import keyguard_jobs
from keyguard.records.personnel.jml import (
    PriorityGroups,
    complete_action,
    complete_step,
    open_tasks,
    priority_groups,
)
from keyguard.records.personnel.models import JmlTask
from keyguard.records.personnel.service import (
    above_clearance,
    accesses_above_clearance,
    file_report,
    get_report,
    record_clearance,
    reports_visible_to,
    review_report,
)
from keyguard.records.register.grants import (
    Grantee,
    Scope,
    grant_table,
    need_to_know,
    new_grant,
)
from keyguard.records.register.service import create_item

D = dt.date


@pytest.mark.pg
def test_clearance_checks_use_what_was_known(session: Session, world: World) -> None:
    ali = world.people["ALI0001"]
    record_clearance(
        session,
        person=ali,
        level="secret",
        granted_on=D(2024, 1, 1),
        expires_on=D(2029, 1, 1),
        vetting_started_on=D(2023, 10, 1),
        vetting_completed_on=D(2023, 12, 1),
        known_from=D(2024, 2, 1),
    )
    assert above_clearance(session, person=ali, level="confidential", day=D(2024, 1, 15))
    assert not above_clearance(session, person=ali, level="secret", day=D(2024, 2, 1))
    assert above_clearance(session, person=ali, level="top secret", day=D(2024, 2, 1))
    assert above_clearance(session, person=ali, level="internal", day=D(2029, 1, 1))  # expired
    with pytest.raises(RuleViolation, match="after vetting completes"):
        record_clearance(
            session,
            person=ali,
            level="secret",
            granted_on=D(2024, 1, 1),
            vetting_completed_on=D(2024, 3, 1),
        )
    item = create_item(
        session,
        unit=world.unit,
        reference="TS-1",
        title="T",
        level="top secret",
        locations=[r"\\fs\ts\*"],
    )
    create_item(
        session,
        unit=world.unit,
        reference="S-1",
        title="S",
        level="secret",
        locations=[r"\\fs\s\*"],
    )
    rows = [
        {f.name: None for f in EVENT_SCHEMA}
        | {
            "event_id": f"e{i}",
            "local_date": day,
            "source_user": "DTAA/ALI0001",
            "object": obj,
            "category": "file",
        }
        for i, (day, obj) in enumerate(
            [
                (D(2024, 1, 20), r"\\fs\s\a.doc"),
                (D(2024, 2, 20), r"\\fs\s\a.doc"),
                (D(2024, 2, 20), r"\\fs\ts\a.doc"),
            ]
        )
    ]
    con = duckdb.connect()
    con.register("events", pa.Table.from_pylist(rows, schema=EVENT_SCHEMA))
    flagged = sorted(r[0] for r in accesses_above_clearance(con, "u1", session=session).fetchall())
    assert flagged == ["e0", "e2"]
    assert item.level == "top secret"


@pytest.mark.pg
def test_reportable_events_file_review_and_visibility(session: Session, world: World) -> None:
    w = world
    alice, bob, dan, eve = (w.accounts[k] for k in ("alice", "bob", "dan", "eve"))
    with pytest.raises(RuleViolation, match="which country"):
        file_report(
            session,
            account=alice,
            kind="foreign_travel",
            occurred_on=D(2026, 2, 1),
            details="conference",
        )
    report = file_report(
        session,
        account=alice,
        kind="foreign_travel",
        occurred_on=D(2026, 2, 1),
        until_on=D(2026, 2, 5),
        country="Freedonia",
        details="conference talk",
    )
    assert report.person_id == w.people["ALI0001"].id and report.status == "filed"
    assert [r.id for r in reports_visible_to(session, account=alice, unit_id=w.unit.id)] == [
        report.id
    ]
    assert reports_visible_to(session, account=bob, unit_id=w.unit.id) == []
    assert reports_visible_to(session, account=eve, unit_id=w.unit.id) == []  # department head
    assert [r.id for r in reports_visible_to(session, account=dan, unit_id=w.unit.id)] == [
        report.id
    ]
    with pytest.raises(Exception, match="no report"):
        get_report(session, account=bob, report_id=report.id)
    with pytest.raises(PermissionDenied):
        review_report(session, report=report, reviewer=alice, outcome="no_concern", note="")
    review_report(
        session, report=report, reviewer=dan, outcome="advice_given", note="briefed before travel"
    )
    assert (report.status, report.outcome) == ("reviewed", "advice_given")
    own = file_report(
        session,
        account=dan,
        kind="approach",
        occurred_on=D(2026, 2, 3),
        details="asked about project at a fair",
    )
    with pytest.raises(RuleViolation, match="own report"):
        review_report(session, report=own, reviewer=dan, outcome="no_concern", note="")
    review_report(session, report=own, reviewer=w.accounts["fay"], outcome="referred", note="")


@pytest.mark.pg
def test_leaver_and_mover_tasks_track_revocation(session: Session, world: World, now) -> None:  # type: ignore[no-untyped-def]
    w = world
    now("2026-03-02T10:00:00")
    item = create_item(
        session,
        unit=w.unit,
        reference="S-1",
        title="S",
        level="top secret",
        locations=[r"\\fs\s\*"],
    )
    ali, bob = w.people["ALI0001"], w.people["BOB0002"]
    g = new_grant(
        session,
        unit=w.unit,
        grantee=Grantee("person", person=ali),
        scope=Scope("item", item=item),
        purpose="work",
        start=D(2024, 1, 1),
        end=None,
        status="approved",
        known_from=D(2024, 1, 1),
        source="t",
    )
    new_grant(
        session,
        unit=w.unit,
        grantee=Grantee("person", person=bob),
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
        ali,
        valid_from=D(2026, 2, 20),
        known_from=D(2026, 2, 21),
        status="notice",
        notice_date=D(2026, 2, 20),
        end_date=D(2026, 3, 31),
    )
    add_version(
        session,
        bob,
        valid_from=D(2026, 2, 1),
        known_from=D(2026, 2, 1),
        department_id=w.nodes["finance"].id,
        team_id=w.nodes["fin_alpha"].id,
    )
    job = next(j for j in keyguard_jobs() if j.name == "personnel.jml")
    assert job.run(session, dt.datetime(2026, 3, 2, tzinfo=dt.UTC)) == {
        "u1": {"joiner": 0, "mover": 1, "leaver": 1}
    }
    assert job.run(session, dt.datetime(2026, 3, 2, tzinfo=dt.UTC)) == {
        "u1": {"joiner": 0, "mover": 0, "leaver": 0}
    }
    tasks = {t.kind: t for t in open_tasks(session, unit=w.unit)}
    leaver = tasks["leaver"]
    assert leaver.person_id == ali.id and [s.grant_id for s in leaver.steps] == [g.id]
    with pytest.raises(RuleViolation, match="why"):
        complete_step(session, step_id=leaver.steps[0].id, action="keep")
    complete_step(session, step_id=leaver.steps[0].id, action="revoke", note="leaving")
    assert leaver.status == "open" and g.status == "revoked"  # her account is still listed
    [account_step] = leaver.actions
    complete_action(session, step_id=account_step.id, action="disable", by=w.accounts["dan"])
    assert leaver.status == "done" and not w.accounts["alice"].is_active
    assert not need_to_know(session, ali, item, D(2026, 3, 2))
    mover = tasks["mover"]
    complete_step(session, step_id=mover.steps[0].id, action="keep", note="still needed")
    assert session.scalar(select(JmlTask.status).where(JmlTask.id == mover.id)) == "done"


@pytest.mark.pg
def test_priority_groups_from_the_day_known(session: Session, world: World) -> None:
    w = world
    ali = w.people["ALI0001"]
    add_version(
        session,
        ali,
        valid_from=D(2026, 2, 20),
        known_from=D(2026, 2, 25),
        status="notice",
        notice_date=D(2026, 2, 20),
        end_date=D(2026, 3, 31),
    )
    record_clearance(
        session,
        person=w.people["BOB0002"],
        level="top secret",
        granted_on=D(2025, 1, 1),
        known_from=D(2025, 1, 1),
    )

    def groups(day: dt.date) -> set[tuple[str, str]]:
        return {(r["staff_id"], r["group"]) for r in priority_groups(session, w.unit.id, day)}

    assert ("ALI0001", "departing") not in groups(D(2026, 2, 24))  # not known yet
    assert ("ALI0001", "departing") in groups(D(2026, 2, 25))
    g = groups(D(2026, 2, 25))
    assert ("DAN0004", "privileged") in g and ("EVE0005", "privileged") not in g
    assert ("BOB0002", "top_level_access") in g
    assert ("BOB0002", "top_level_access") not in groups(D(2024, 12, 31))


@pytest.mark.pg
def test_later_records_change_no_earlier_day(session: Session, world: World) -> None:
    """Priority groups of a day use what was known that day: LDAP months and records
    learnt later (a move, a departure, a privileged position, a new top-level grant
    back-dated) change no earlier day's groups."""
    w = world
    dan, ali = w.people["DAN0004"], w.people["ALI0001"]
    item = create_item(
        session,
        unit=w.unit,
        reference="TS-9",
        title="T",
        level="top secret",
        locations=[r"\\fs\ts9\*"],
    )
    new_grant(
        session,
        unit=w.unit,
        grantee=Grantee("department", node=w.nodes["research"]),
        scope=Scope("item", item=item),
        purpose="work",
        start=D(2024, 1, 1),
        end=None,
        status="approved",
        known_from=D(2024, 1, 1),
        source="t",
    )
    days = [D(2025, 6, 1), D(2025, 12, 31), D(2026, 1, 15), D(2026, 2, 1)]

    def snapshot() -> dict[dt.date, set[tuple[str, str]]]:
        pg = PriorityGroups(session, w.unit.id)
        return {d: {(r["staff_id"], r["group"]) for r in pg.on(d)} for d in days}

    before = snapshot()
    assert ("DAN0004", "privileged") in before[D(2026, 1, 15)]
    assert ("ALI0001", "top_level_access") in before[D(2026, 1, 15)]  # research grant
    # learnt on 2026-02-01: Dan left the security office on 2025-12-01 (back-dated) and
    # Ali moved to finance on 2025-12-01; both recorded as later LDAP months.
    add_version(
        session,
        dan,
        valid_from=D(2025, 12, 1),
        known_from=D(2026, 2, 1),
        position_id=None,
        status="left",
        end_date=D(2025, 11, 30),
    )
    add_version(
        session,
        ali,
        valid_from=D(2025, 12, 1),
        known_from=D(2026, 2, 1),
        department_id=w.nodes["finance"].id,
        team_id=w.nodes["fin_alpha"].id,
    )
    after = snapshot()
    for d in days[:-1]:
        assert after[d] == before[d], d
    # from the day it is known, the new facts count
    assert ("DAN0004", "privileged") not in after[D(2026, 2, 1)]
    assert ("DAN0004", "departing") in after[D(2026, 2, 1)]
    assert ("ALI0001", "top_level_access") not in after[D(2026, 2, 1)]
    # the one-day function agrees with the range object
    assert {
        (r["staff_id"], r["group"]) for r in priority_groups(session, w.unit.id, D(2026, 1, 15))
    } == after[D(2026, 1, 15)]


@pytest.mark.pg
def test_leaver_is_member_of_nothing_from_leaving_day(session: Session, world: World) -> None:
    """A leaver's "left" version keeps the department, but group grants (department,
    team, position) stop on the leaving day; a person grant stays until revoked."""
    w = world
    bob = w.people["BOB0002"]
    item = create_item(
        session, unit=w.unit, reference="C-1", title="C", level="secret", locations=[r"\\fs\c\*"]
    )
    for grantee in (
        Grantee("department", node=w.nodes["research"]),
        Grantee("team", node=w.nodes["beta"]),
        Grantee("position", title="Scientist"),
    ):
        new_grant(
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
    # notice with a last working day, then "left" (department kept)
    add_version(
        session,
        bob,
        valid_from=D(2026, 1, 10),
        known_from=D(2026, 1, 10),
        status="notice",
        end_date=D(2026, 1, 31),
    )
    add_version(session, bob, valid_from=D(2026, 2, 1), known_from=D(2026, 2, 3), status="left")
    assert need_to_know(session, bob, item, D(2026, 1, 31))
    assert not need_to_know(session, bob, item, D(2026, 2, 1))  # end date passed
    assert not need_to_know(session, bob, item, D(2026, 3, 1))
    rows = [r for r in grant_table(session, w.unit.id).to_pylist() if r["person_id"] == bob.id]
    assert {r["grantee_type"] for r in rows} == {"department", "team", "position"}
    assert all(r["valid_to"] == D(2026, 2, 1) for r in rows)
    # a leaver whose departure is learnt late: member until it is known
    ali = w.people["ALI0001"]
    add_version(session, ali, valid_from=D(2026, 2, 1), known_from=D(2026, 2, 10), status="left")
    assert need_to_know(session, ali, item, D(2026, 2, 5))  # not known yet: still in research
    assert not need_to_know(session, ali, item, D(2026, 2, 10))
    ali_rows = [r for r in grant_table(session, w.unit.id).to_pylist() if r["person_id"] == ali.id]
    assert max(r["valid_to"] for r in ali_rows) == D(2026, 2, 10)
