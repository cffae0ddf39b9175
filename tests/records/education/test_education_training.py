"""Courses, quizzes, certificates, campaigns by audience, refreshers and reminders."""

from __future__ import annotations

import datetime as dt
import re
import zlib

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from keyguard.config import utcnow
from keyguard.db.session import sessionmaker_for
from keyguard.errors import RuleViolation
from keyguard.records.duties.score import unit_score
from keyguard.records.education import service
from keyguard.records.education.hooks import keyguard_jobs
from keyguard.records.education.models import RefresherReason, TrainingAssignment
from keyguard.scheduler.models import Notification
from keyguard.scheduler.service import tick

URN = "urn:keyguard:course:reporting"
T0 = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)


def _right(questions) -> dict[str, list[int]]:
    return {q.id: list(q.correct_ids) for q in questions}


def _wrong(questions) -> dict[str, list[int]]:
    out = {}
    for q in questions:
        wrong = [i for i in q.choice_ids if i not in q.correct_ids]
        out[q.id] = [wrong[0]]
    return out


def pdf_text(pdf: bytes) -> str:
    """Every string of a PDF, with its compressed streams inflated (metadata included)."""
    parts = [pdf.decode("latin-1")]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)).decode("latin-1"))
        except zlib.error:
            continue
    text = "\n".join(parts)
    for hexstr in re.findall(r"<FEFF([0-9A-Fa-f]+)>", text):
        text += "\n" + bytes.fromhex(hexstr).decode("utf-16-be")
    for utf16 in re.findall(r"\(\xfe\xff(.*?)\)", text, re.S):
        text += "\n" + utf16.encode("latin-1").decode("utf-16-be", "replace")
    return text


@pytest.mark.pg
def test_courses_load_once_and_render_without_html(session: Session, org) -> None:
    loads = service.load_builtin_courses(session, unit=org.unit)
    assert loads and {r.status for r in loads} == {"loaded"}
    again = service.load_builtin_courses(session, unit=org.unit)
    assert {r.status for r in again} == {"unchanged"}
    html = service.render_markdown("# Title\n\n<script>alert(1)</script>\n\n**bold**")
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    doc = service.course_doc(service.get_course(session, unit_id=org.unit.id, urn=URN))
    assert doc.text("zh-CN").title != doc.text("en").title


@pytest.mark.pg
def test_quiz_pass_gives_certificate_pdf_with_name_and_title(session: Session, org) -> None:
    service.load_builtin_courses(session, unit=org.unit)
    eng = org.people["eng"]
    item = service.assign_course(session, person_id=eng.id, course_urn=URN, day=T0.date())
    attempt, questions = service.start_attempt(
        session, person_id=eng.id, course_urn=URN, locale="en", at=T0
    )
    assert (
        len(questions)
        == service.get_course(session, unit_id=org.unit.id, urn=URN).content[
            "questions_per_attempt"
        ]
    )
    assert [q.id for q in service.attempt_questions(session, attempt)] == [q.id for q in questions]
    done = service.submit_attempt(
        session, attempt_id=attempt.id, person_id=eng.id, answers=_right(questions), at=T0
    )
    assert done.passed and done.score == 100
    session.refresh(item)
    assert item.status == "passed" and item.completed_at is not None
    history = service.person_history(session, person_id=eng.id, day=T0.date())
    cert = history.certificates[0]
    pdf = service.certificate_pdf(session, cert)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Erik Engineer" in text and "How and what to report" in text
    with pytest.raises(RuleViolation, match="already submitted"):
        service.submit_attempt(
            session, attempt_id=attempt.id, person_id=eng.id, answers=_right(questions)
        )


@pytest.mark.pg
def test_attempts_are_limited_and_orders_differ(session: Session, org) -> None:
    service.load_builtin_courses(session, unit=org.unit)
    eng = org.people["eng"]
    item = service.assign_course(session, person_id=eng.id, course_urn=URN, day=T0.date())
    orders = []
    for n in range(3):
        attempt, questions = service.start_attempt(
            session, person_id=eng.id, course_urn=URN, at=T0 + dt.timedelta(minutes=n)
        )
        orders.append([q.id for q in questions])
        result = service.submit_attempt(
            session, attempt_id=attempt.id, person_id=eng.id, answers=_wrong(questions)
        )
        assert result.passed is False and result.score == 0
    assert len({tuple(o) for o in orders}) > 1
    session.refresh(item)
    assert item.status == "failed"
    with pytest.raises(RuleViolation, match="used all 3 attempts"):
        service.start_attempt(session, person_id=eng.id, course_urn=URN)


@pytest.mark.pg
def test_campaign_audiences(session: Session, org) -> None:
    service.load_builtin_courses(session, unit=org.unit)
    orgfactory = __import__("orgfactory")
    newbie = orgfactory.add_person(
        session, org, "new", "Nina New", "eng", start=dt.date(2026, 2, 20), manager="lead"
    )
    day = dt.date(2026, 3, 2)
    new = service.create_campaign(
        session,
        unit=org.unit,
        name="Welcome",
        course_urn=URN,
        audience_key="new-staff",
        starts_on=dt.date(2026, 1, 1),
    )
    assert service.enrol(session, new, day) == 1
    item = session.scalar(
        select(TrainingAssignment).where(TrainingAssignment.campaign_id == new.id)
    )
    assert item.person_id == newbie.id and item.due_on == dt.date(2026, 3, 22)
    heads = service.create_campaign(
        session,
        unit=org.unit,
        name="Heads",
        audience_key="department-heads",
        course_urn="urn:keyguard:course:department-head-duties",
        starts_on=day,
    )
    assert service.enrol(session, heads, day) == 2  # research and security heads
    org.unit.settings = {"education": {"classified_positions": ["engineer"]}}
    session.flush()
    classified = service.create_campaign(
        session,
        unit=org.unit,
        name="Classified",
        audience_key="classified-access",
        course_urn="urn:keyguard:course:classified-handling",
        recurrence="yearly",
        starts_on=dt.date(2026, 1, 1),
    )
    assert service.enrol(session, classified, day) == 2  # the engineer and the newcomer
    assert service.enrol(session, classified, day) == 0
    assert service.enrol(session, classified, dt.date(2027, 1, 2)) == 2  # yearly again
    with pytest.raises(RuleViolation, match="unknown audience"):
        service.create_campaign(
            session, unit=org.unit, name="x", course_urn=URN, audience_key="everyone-and-their-dog"
        )


@pytest.mark.pg
def test_refresher_needs_no_concern_closure_and_hides_reason(session: Session, org) -> None:
    service.load_builtin_courses(session, unit=org.unit)
    eng = org.people["eng"]
    closed = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    with pytest.raises(RuleViolation, match="needs the closed"):
        service.assign_refresher(
            session, person_id=eng.id, course_urn=URN, assigned_by="account:9", reason_ref=None
        )
    with pytest.raises(RuleViolation, match="only a 'no concern' closure"):
        service.assign_refresher(
            session,
            person_id=eng.id,
            course_urn=URN,
            assigned_by="account:9",
            reason_ref=service.NoConcernRef("alert", "17", "escalated", closed),
        )
    with pytest.raises(RuleViolation, match="is not closed"):
        service.assign_refresher(
            session,
            person_id=eng.id,
            course_urn=URN,
            assigned_by="account:9",
            reason_ref=service.NoConcernRef("alert", "17", "no_concern", None),
        )
    item = service.assign_refresher(
        session,
        person_id=eng.id,
        course_urn=URN,
        assigned_by="account:9",
        reason_ref=service.NoConcernRef("alert", "17", "no_concern", closed),
    )
    reason = session.scalar(select(RefresherReason).where(RefresherReason.assignment_id == item.id))
    assert reason is not None and reason.reason_id == "17"
    mine = service.my_training(session, person_id=eng.id, day=dt.date(2026, 3, 2))
    assert [m.campaign for m in mine] == ["Security awareness"]
    assert "alert" not in repr(mine).lower() and "17" not in mine[0].campaign


@pytest.mark.pg
def test_reminders_run_through_tick_and_count_in_the_score(
    engine: Engine, session: Session, org, now
) -> None:
    service.load_builtin_courses(session, unit=org.unit)
    service.create_campaign(
        session,
        unit=org.unit,
        name="Everyone",
        course_urn=URN,
        audience_key="all-staff",
        starts_on=dt.date(2026, 3, 1),
        due_days=14,
    )
    session.commit()
    jobs = keyguard_jobs()
    factory = sessionmaker_for(engine)
    now("2026-03-01T08:00:00")
    runs = tick(factory, jobs, now=utcnow())
    assert runs[0].status == "ok", runs[0].error and runs[0].result["enrolled"] == 6
    now("2026-03-10T08:00:00")  # due 15 Mar: within a week
    tick(factory, jobs, now=utcnow(), force=True)
    now("2026-03-16T08:00:00")
    tick(factory, jobs, now=utcnow(), force=True)
    tick(factory, jobs, now=utcnow(), force=True)
    session.expire_all()
    eng = org.people["eng"]
    kinds = list(
        session.scalars(
            select(Notification.kind)
            .where(Notification.person_id == eng.id)
            .order_by(Notification.id)
        )
    )
    assert kinds == ["training.soon", "training.overdue"]
    score = unit_score(session, unit=org.unit, day=dt.date(2026, 3, 16))
    training = {t.key: t for t in score.terms}["training"]
    assert (training.earned, training.possible) == (0, 6)


@pytest.mark.pg
def test_classified_access_audience_comes_from_register_grants(session: Session, org) -> None:
    from keyguard.records.register.grants import Grantee, Scope, new_grant

    service.load_builtin_courses(session, unit=org.unit)
    lead = org.people["lead"]
    starts = dt.date(2026, 4, 1)
    new_grant(
        session,
        unit=org.unit,
        grantee=Grantee("person", person=lead),
        scope=Scope("level", level="secret"),
        purpose="laser programme",
        start=starts,
        end=None,
        status="approved",
        known_from=dt.date(2026, 3, 1),
        source="test",
    )
    campaign = service.create_campaign(
        session,
        unit=org.unit,
        name="Classified",
        audience_key="classified-access",
        course_urn="urn:keyguard:course:classified-handling",
        recurrence="yearly",
        due_days=0,
        starts_on=dt.date(2026, 1, 1),
    )
    assert service.enrol(session, campaign, dt.date(2026, 2, 1)) == 0  # not yet known
    assert service.enrol(session, campaign, dt.date(2026, 3, 2)) == 1
    item = session.scalar(
        select(TrainingAssignment).where(TrainingAssignment.campaign_id == campaign.id)
    )
    assert item.person_id == lead.id
    assert item.due_on == starts  # trained before access begins
