"""Joiner, mover and leaver tasks list real steps and are tracked to completion: a joiner
is enrolled in training, signs (or is excused from) the statement and requests the access
their position needs; a mover's old-department grants are listed (not another
department's); a leaver's grants and keyguard accounts are listed and disabled."""

from __future__ import annotations

import datetime as dt

import pytest
from kg_register_builders import World, add_version, person
from sqlalchemy.orm import Session

from keyguard.errors import RuleViolation
from keyguard.records.education import service as education
from keyguard.records.personnel.jml import complete_action, create_tasks, open_tasks
from keyguard.records.register.grants import Grantee, Scope, new_grant, request_grant
from keyguard.records.register.service import create_item

D = dt.date


def _grant(session: Session, w: World, who: str, item) -> object:  # type: ignore[no-untyped-def]
    return new_grant(
        session,
        unit=w.unit,
        grantee=Grantee("person", person=w.people[who]),
        scope=Scope("item", item=item),
        purpose="work",
        start=D(2024, 1, 1),
        end=None,
        status="approved",
        known_from=D(2024, 1, 1),
        source="t",
    )


@pytest.mark.pg
def test_joiner_steps_are_tracked_to_completion(session: Session, world: World, now) -> None:  # type: ignore[no-untyped-def]
    w = world
    now("2026-03-02T10:00:00")
    research = create_item(
        session,
        unit=w.unit,
        reference="R-1",
        title="Research plans",
        level="secret",
        locations=[r"\\fs\r\*"],
        owner_department_id=w.nodes["research"].id,
    )
    _grant(session, w, "ALI0001", research)  # Ali holds the engineer position
    joiner = person(
        session,
        w,
        "GUS0007",
        dept="research",
        team="alpha",
        position="engineer",
        since=D(2026, 2, 20),
    )
    made = create_tasks(session, unit=w.unit)
    assert made["joiner"] == 1
    task = next(t for t in open_tasks(session, unit=w.unit) if t.person_id == joiner.id)
    kinds = {(a.kind, a.subject) for a in task.actions}
    assert kinds == {
        ("training", "person"),
        ("statement", "person"),
        ("request_grant", f"item:{research.id}"),
    }
    training = next(a for a in task.actions if a.kind == "training")
    with pytest.raises(RuleViolation, match="no active campaign"):
        complete_action(session, step_id=training.id, action="enrol")
    education.load_builtin_courses(session, unit=w.unit)
    education.create_campaign(
        session,
        unit=w.unit,
        name="New staff",
        course_urn="urn:keyguard:course:reporting",
        audience_key="new-staff",
        starts_on=D(2026, 1, 1),
    )
    complete_action(session, step_id=training.id, action="enrol")
    assert training.outcome == "done"
    statement = next(a for a in task.actions if a.kind == "statement")
    with pytest.raises(RuleViolation, match="say why"):
        complete_action(session, step_id=statement.id, action="not_needed")
    with pytest.raises(RuleViolation, match="done by"):
        complete_action(session, step_id=statement.id, action="disable")
    complete_action(session, step_id=statement.id, action="not_needed", note="signed on paper")
    assert task.status == "open"  # the access request is still open
    # a request for that access completes the step (found in the records)
    dan = w.accounts["dan"]  # the security officer asks for the joiner
    request_grant(
        session,
        unit=w.unit,
        requester=dan,
        grantee=Grantee("person", person=joiner),
        scope=Scope("item", item=research),
        purpose="engineering work",
        start=D(2026, 3, 2),
        end=None,
    )
    assert create_tasks(session, unit=w.unit)["joiner"] == 0  # idempotent, refreshes
    assert task.status == "done"
    assert {a.outcome for a in task.actions} == {"done", "not_needed"}


@pytest.mark.pg
def test_mover_and_leaver_steps(session: Session, world: World, now) -> None:  # type: ignore[no-untyped-def]
    w = world
    now("2026-03-02T10:00:00")
    research = create_item(
        session,
        unit=w.unit,
        reference="R-2",
        title="R",
        level="secret",
        locations=[r"\\fs\r2\*"],
        owner_department_id=w.nodes["research"].id,
    )
    finance = create_item(
        session,
        unit=w.unit,
        reference="F-2",
        title="F",
        level="secret",
        locations=[r"\\fs\f2\*"],
        owner_department_id=w.nodes["finance"].id,
    )
    g_research = _grant(session, w, "BOB0002", research)
    _grant(session, w, "BOB0002", finance)  # another department's: not the mover's to drop
    add_version(
        session,
        w.people["BOB0002"],
        valid_from=D(2026, 2, 1),
        known_from=D(2026, 2, 1),
        department_id=w.nodes["finance"].id,
        team_id=w.nodes["fin_alpha"].id,
    )
    g_ali = _grant(session, w, "ALI0001", research)
    add_version(
        session,
        w.people["ALI0001"],
        valid_from=D(2026, 2, 25),
        known_from=D(2026, 2, 25),
        status="left",
        end_date=D(2026, 2, 24),
    )
    assert create_tasks(session, unit=w.unit) == {"joiner": 0, "mover": 1, "leaver": 1}
    tasks = {t.kind: t for t in open_tasks(session, unit=w.unit)}
    assert [s.grant_id for s in tasks["mover"].steps] == [g_research.id]  # type: ignore[attr-defined]
    leaver = tasks["leaver"]
    assert [s.grant_id for s in leaver.steps] == [g_ali.id]  # type: ignore[attr-defined]
    alice = w.accounts["alice"]
    assert [(a.kind, a.subject) for a in leaver.actions] == [("account", f"account:{alice.id}")]
    step = leaver.actions[0]
    with pytest.raises(RuleViolation, match="say why"):
        complete_action(session, step_id=step.id, action="keep")
    complete_action(session, step_id=step.id, action="disable", by=w.accounts["dan"])
    assert step.outcome == "disabled" and not alice.is_active
    assert leaver.status == "open"  # the grant is still listed
