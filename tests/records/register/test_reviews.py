"""Access reviews: owners confirm or revoke; unreviewed grants stay visible and escalate
through the scheduled job."""

from __future__ import annotations

import datetime as dt

import pytest
from kg_register_builders import World
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.errors import PermissionDenied
from keyguard.records.register.grants import Grantee, Scope, need_to_know, new_grant
from keyguard.records.register.hooks import keyguard_jobs
from keyguard.records.register.reviews import (
    decide,
    review_queue,
    start_campaign,
    unreviewed_grants,
)
from keyguard.records.register.service import create_item
from keyguard.scheduler.models import Notification

D = dt.date


@pytest.mark.pg
def test_campaign_confirm_revoke_and_escalation(session: Session, world: World, now) -> None:  # type: ignore[no-untyped-def]
    w = world
    now("2026-03-02T10:00:00")
    item = create_item(
        session,
        unit=w.unit,
        reference="R-1",
        title="Plans",
        level="secret",
        locations=[r"\\fs\plans\*"],
        owner=w.people["EVE0005"],
    )
    g1, g2, g3 = (
        new_grant(
            session,
            unit=w.unit,
            grantee=Grantee("person", person=w.people[s]),
            scope=Scope("item", item=item),
            purpose="work",
            start=D(2026, 1, 1),
            end=None,
            status="approved",
            known_from=D(2026, 1, 1),
            source="t",
        )
        for s in ("ALI0001", "BOB0002", "CAR0003")
    )
    camp = start_campaign(session, unit=w.unit, name="Q1 review", due_on=D(2026, 3, 16))
    eve = w.accounts["eve"]
    queue = review_queue(session, unit=w.unit, account=eve)
    assert sorted(r.grant.id for r in queue) == [g1.id, g2.id, g3.id]
    assert review_queue(session, unit=w.unit, account=w.accounts["alice"]) == []
    with pytest.raises(PermissionDenied):
        decide(
            session,
            unit=w.unit,
            task_id=queue[0].task.id,
            account=w.accounts["alice"],
            decision="confirm",
        )
    by_grant = {r.grant.id: r.task.id for r in queue}
    decide(session, unit=w.unit, task_id=by_grant[g1.id], account=eve, decision="confirm")
    decide(
        session,
        unit=w.unit,
        task_id=by_grant[g2.id],
        account=eve,
        decision="revoke",
        note="left the project",
    )
    assert g1.last_reviewed_at is not None
    assert g2.status == "revoked" and not need_to_know(
        session, w.people["BOB0002"], item, D(2026, 3, 2)
    )
    assert [g.id for g in unreviewed_grants(session, unit=w.unit)] == [g3.id]
    job = next(j for j in keyguard_jobs() if j.name == "register.access_reviews")
    late = dt.datetime(2026, 3, 20, 9, tzinfo=dt.UTC)
    assert job.run(session, late) == {"overdue_tasks": 1, "escalated": 1}
    assert job.run(session, late) == {"overdue_tasks": 1, "escalated": 0}  # once a day
    notes = session.scalars(
        select(Notification).where(
            Notification.kind == "access_review", Notification.subject.like("Overdue%")
        )
    ).all()
    assert {n.account_id for n in notes} == {w.accounts["dan"].id, w.accounts["fay"].id}
    assert camp.status == "open"
    decide(
        session, unit=w.unit, task_id=by_grant[g3.id], account=w.accounts["dan"], decision="confirm"
    )
    assert camp.status == "closed" and unreviewed_grants(session, unit=w.unit) == []
