"""Rectification actions: owner, deadline, evidence of completion; the unit's open list;
overdue escalation (owner, then the level above or the security office) sent once; and the
compliance-score term of actions done on time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyguard.audit.context import Actor, actor_scope
from keyguard.cases import rectification as rect
from keyguard.cases import service
from keyguard.cases.evidence import actions_done
from keyguard.cases.models import CaseAction
from keyguard.config import utcnow
from keyguard.errors import NotFound, RuleViolation
from keyguard.records.duties.score import Scope
from keyguard.scheduler.models import Notification

from .support import TODAY, Prepared, as_account, make_finding

pytestmark = pytest.mark.pg


def test_actions_need_a_deadline_and_evidence(session: Session, p: Prepared) -> None:
    unit = p.unit(session)
    officer = p.person(session, "accented")
    finding = make_finding(session, unit, p.person(session))
    with actor_scope(as_account(p.account(session, "analyst"))):
        case = service.open_case(session, unit=unit, kind="alert", ref=p.alert_id)
        with pytest.raises(RuleViolation, match="past"):
            rect.create_action(
                session, unit=unit, title="x", owner=officer, due_on=TODAY - dt.timedelta(days=1)
            )
        with pytest.raises(NotFound):
            rect.create_action(
                session, unit=unit, title="x", owner=officer, due_on=TODAY, finding_id="missing"
            )
        with pytest.raises(RuleViolation, match="not a member"):
            rect.create_action(
                session, unit=unit, title="x", due_on=TODAY, owner=p.person(session, "li")
            )
        a = rect.create_action(
            session,
            unit=unit,
            title="Record the grants of Falcon",
            owner=officer,
            due_on=TODAY + dt.timedelta(days=14),
            case=case,
            finding_id=finding.id,
        )
        with pytest.raises(RuleViolation, match="evidence"):
            rect.complete_action(session, unit=unit, action=a, evidence="done")
        rect.complete_action(
            session, unit=unit, action=a, evidence="Grants G-17 and G-18 recorded in the register"
        )
        with pytest.raises(RuleViolation, match="no longer open"):
            rect.complete_action(session, unit=unit, action=a, evidence="again and again")
    assert a.status == "done" and a.completed_on == TODAY
    assert rect.list_actions(session, unit=unit) == []
    assert rect.list_actions(session, unit=unit, status="done") == [a]
    kinds = set(session.scalars(select(CaseAction.kind).where(CaseAction.case_id == case.id)))
    assert {"action_created", "action_done"} <= kinds


def _count(session: Session, kind: str) -> int:
    return int(
        session.scalar(select(func.count(Notification.id)).where(Notification.kind == kind)) or 0
    )


def test_overdue_actions_escalate_once(
    session: Session, p: Prepared, now: Callable[[str], None]
) -> None:
    unit = p.unit(session)
    with actor_scope(Actor(name="test:setup")):
        owned = rect.create_action(
            session,
            unit=unit,
            title="Lock USB on PC-0101",
            owner=p.person(session, "head"),
            due_on=TODAY + dt.timedelta(days=1),
        )
        orphan = rect.create_action(
            session,
            unit=unit,
            title="Review Falcon grants",
            owner=None,
            due_on=TODAY + dt.timedelta(days=1),
        )
    session.commit()
    assert rect.escalate_overdue(session, unit, utcnow()) == {}
    now("2026-11-23T09:00:00")  # two days late
    first = rect.escalate_overdue(session, unit, utcnow())
    assert first["owner"] == 1  # the head's account
    assert first["escalated"] >= 1  # the orphan goes to the security office at once
    again = rect.escalate_overdue(session, unit, utcnow())
    assert again == {}  # dedupe keys: never twice
    now("2026-12-01T09:00:00")  # ten days late: the owned one goes above too
    later = rect.escalate_overdue(session, unit, utcnow())
    assert later.get("escalated", 0) >= 1
    assert _count(session, "rectification.overdue") == 1
    link = session.scalar(
        select(Notification.link).where(Notification.kind == "rectification.overdue")
    )
    assert link == f"/units/{unit.id}/rectification/mine#action-{owned.id}"
    assert rect.list_actions(session, unit=unit, overdue=True) == [owned, orphan]


def test_compliance_term_counts_actions_done_on_time(
    session: Session, p: Prepared, now: Callable[[str], None]
) -> None:
    unit = p.unit(session)
    with actor_scope(Actor(name="test:setup")):
        on_time = rect.create_action(
            session, unit=unit, title="A", owner=None, due_on=TODAY + dt.timedelta(days=2)
        )
        late = rect.create_action(
            session, unit=unit, title="B", owner=None, due_on=TODAY + dt.timedelta(days=1)
        )
        pending = rect.create_action(
            session, unit=unit, title="C", owner=None, due_on=TODAY + dt.timedelta(days=30)
        )
        rect.complete_action(session, unit=unit, action=on_time, evidence="done with proof A")
    session.commit()
    now("2026-11-25T09:00:00")
    with actor_scope(Actor(name="test:setup")):
        rect.complete_action(session, unit=unit, action=late, evidence="done with proof B")
    count = actions_done(session, Scope(unit=unit, day=dt.date(2026, 11, 25), people=[]))
    assert (count.earned, count.possible) == (1, 2)
    assert pending.id not in {int(r.what.split()[2].rstrip(":")) for r in count.rows}
