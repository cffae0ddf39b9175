"""Overdue items escalate (person → position above → security office) through the scheduler
with a controlled clock; the compliance score counts only evidence and says how."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from keyguard.config import utcnow
from keyguard.db.session import sessionmaker_for
from keyguard.records.duties import service
from keyguard.records.duties.hooks import keyguard_jobs
from keyguard.records.duties.models import ComplianceSnapshot
from keyguard.records.duties.score import history, unit_score
from keyguard.scheduler.models import Notification
from keyguard.scheduler.service import tick


def _setup(session: Session, org) -> None:
    service.load_builtin_frameworks(session, unit=org.unit)
    service.assign_duties(session, unit=org.unit, day=dt.date(2026, 1, 5))
    session.commit()


def _subjects(session: Session, person) -> list[str]:
    """Subject and body of every notice to ``person``."""
    return [
        f"{n.subject}\n{n.body}"
        for n in session.scalars(
            select(Notification)
            .where(Notification.person_id == person.id)
            .order_by(Notification.id)
        )
    ]


@pytest.mark.pg
def test_overdue_statement_escalates_step_by_step(
    engine: Engine, session: Session, org, now
) -> None:
    _setup(session, org)
    # everyone but the engineer has signed their statement
    for key in ("pres", "cso", "officer", "head", "lead"):
        _, digest, _ = service.statement_for(
            session, person_id=org.people[key].id, locale="en", day=dt.date(2026, 1, 6)
        )
        service.sign_statement(
            session,
            person_id=org.people[key].id,
            account_id=None,
            locale="en",
            text_sha256=digest,
            at=dt.datetime(2026, 1, 6, 9, tzinfo=dt.UTC),
        )
    session.commit()
    jobs = [j for j in keyguard_jobs() if j.name == "duties.escalate"]
    factory = sessionmaker_for(engine)
    stmt = "responsibility statement"

    now("2026-02-05T08:00:00")  # due 4 Feb (5 Jan + 30 days): one day overdue
    runs = tick(factory, jobs, now=utcnow())
    assert runs[0].status == "ok", runs[0].error
    session.expire_all()
    assert any(stmt in s and "Overdue" in s for s in _subjects(session, org.people["eng"]))
    assert not any("Erik" in s for s in _subjects(session, org.people["lead"]))

    now("2026-02-12T08:00:00")  # 8 days overdue: the position above (team leader) hears
    tick(factory, jobs, now=utcnow(), force=True)
    session.expire_all()
    lead = [s for s in _subjects(session, org.people["lead"]) if "Erik Engineer" in s]
    assert any(stmt in s for s in lead)
    assert len(lead) == 1  # one notice per person and stage, listing the items
    assert not any("Erik" in s for s in _subjects(session, org.people["cso"]))

    now("2026-02-26T08:00:00")  # 22 days overdue: the security office hears
    tick(factory, jobs, now=utcnow(), force=True)
    session.expire_all()
    # no account holds the security officer role here: the head of the office hears
    assert any(
        "security office" in s and "Erik Engineer" in s and stmt in s
        for s in _subjects(session, org.people["cso"])
    )
    assert not any("Erik Engineer" in s for s in _subjects(session, org.people["officer"]))
    count = len(list(session.scalars(select(Notification.id))))
    tick(factory, jobs, now=utcnow(), force=True)  # nothing is sent twice
    session.expire_all()
    assert len(list(session.scalars(select(Notification.id)))) == count
    keys = list(session.scalars(select(Notification.dedupe_key)))
    assert all(k and k.startswith("duty:") for k in keys)


@pytest.mark.pg
def test_score_counts_only_evidence(session: Session, org, now) -> None:
    empty = unit_score(session, unit=org.unit, day=dt.date(2026, 3, 2))
    assert empty.score == 0
    assert "no evidence" in empty.formula
    assert "access reviews" in empty.formula  # terms with nothing owed yet are named
    _setup(session, org)
    day = dt.date(2026, 3, 2)
    before = unit_score(session, unit=org.unit, day=day)
    assert before.score == 0
    terms = {t.key: t for t in before.terms}
    assert terms["statements"].possible == 6 and terms["statements"].earned == 0
    for key in ("eng", "lead", "head"):
        _, digest, _ = service.statement_for(
            session, person_id=org.people[key].id, locale="en", day=day
        )
        service.sign_statement(
            session,
            person_id=org.people[key].id,
            account_id=None,
            locale="en",
            text_sha256=digest,
            at=dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC),
        )
    after = unit_score(session, unit=org.unit, day=day)
    terms = {t.key: t for t in after.terms}
    assert terms["statements"].earned == 3
    assert after.score > 0
    assert "3/6 responsibility statements signed" in after.formula
    research = org.nodes["res"].id
    dept = unit_score(session, unit=org.unit, department_id=research, day=day)
    assert {t.key: t for t in dept.terms}["statements"].earned == 3
    assert {t.key: t for t in dept.terms}["statements"].possible == 3
    rows = [r for t in after.terms for r in t.rows if r.present]
    assert all(r.at for r in rows)


@pytest.mark.pg
def test_snapshots_job_stores_daily_scores(engine: Engine, session: Session, org, now) -> None:
    _setup(session, org)
    jobs = [j for j in keyguard_jobs() if j.name == "compliance.snapshot"]
    factory = sessionmaker_for(engine)
    for day in ("2026-03-01", "2026-03-02", "2026-03-02"):
        now(f"{day}T12:00:00")
        runs = tick(factory, jobs, now=utcnow(), force=True)
        assert runs[0].status == "ok", runs[0].error
    session.expire_all()
    rows = history(session, unit_id=org.unit.id)
    assert [r.day for r in rows] == [dt.date(2026, 3, 1), dt.date(2026, 3, 2)]
    depts = list(
        session.scalars(select(ComplianceSnapshot).where(ComplianceSnapshot.scope != "unit"))
    )
    assert {r.department_id for r in depts} == {org.nodes["sec"].id, org.nodes["res"].id}
