"""Demo step 60: duty frameworks and courses, duties assigned across the demo organization,
training campaigns, and realistic evidence over the demo's data period — some people signed
and attested, some completed training (a few after a failed attempt), others are overdue —
all recorded through the services, with daily score snapshots for the chart."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from keyguard.audit.context import Actor, actor_scope
from keyguard.config import utcnow
from keyguard.db.session import session_scope
from keyguard.demo.steps import DemoContext, DemoStep
from keyguard.errors import KeyguardError
from keyguard.records.duties import service as duties
from keyguard.records.duties.items import ATTESTATION, STATEMENT, items_for_people
from keyguard.records.duties.score import snapshot_unit
from keyguard.records.duties.texts import attestation_text, sha256_text
from keyguard.records.education import service as education
from keyguard.records.education.models import TrainingAssignment
from keyguard.records.org.models import Person, Unit

CAMPAIGNS = [
    # name, course, audience, due days, recurrence
    ("Annual reporting refresher", "urn:keyguard:course:reporting", "all-staff", 45, "yearly"),
    (
        "Welcome: handling classified information",
        "urn:keyguard:course:classified-handling",
        "new-staff",
        30,
        "once",
    ),
    (
        "Classified access: handling classified information",
        "urn:keyguard:course:classified-handling",
        "classified-access",
        30,
        "yearly",
    ),
    (
        "Department heads: your security duties",
        "urn:keyguard:course:department-head-duties",
        "department-heads",
        30,
        "once",
    ),
    (
        "Leaflet: guard our secrets",
        "urn:keyguard:publicity:leaflet-guard-secrets",
        "all-staff",
        30,
        "once",
    ),
]
#: Share of people who do what is asked of them (the rest are left overdue).
SIGN_RATE, DILIGENT_RATE, ATTEST_RATE, TRAIN_RATE = 0.75, 0.5, 0.6, 0.7


def _at(day: dt.date, rng: random.Random, limit: dt.datetime) -> dt.datetime:
    """A working-hours moment on ``day`` (never later than ``limit``)."""
    moment = dt.datetime.combine(day, dt.time(8 + rng.randrange(9), rng.randrange(60)), dt.UTC)
    return min(moment, limit)


def _sign_statements(
    session: Session,
    unit: Unit,
    people: list[Person],
    end: dt.date,
    rng: random.Random,
    limit: dt.datetime,
) -> int:
    signed = 0
    for item in items_for_people(session, unit=unit, people=people, day=end):
        if item.kind != STATEMENT or rng.random() > SIGN_RATE:
            continue
        day = min(end, item.period_start + dt.timedelta(days=rng.randrange(3, 40)))
        try:
            _, digest, _ = duties.statement_for(
                session, person_id=item.person_id, locale="en", day=day
            )
            duties.sign_statement(
                session,
                person_id=item.person_id,
                account_id=None,
                locale="en",
                text_sha256=digest,
                at=_at(day, rng, limit),
            )
        except KeyguardError:
            continue
        signed += 1
    return signed


def _attest(
    session: Session,
    unit: Unit,
    people: list[Person],
    end: dt.date,
    rng: random.Random,
    limit: dt.datetime,
) -> int:
    """Diligent people attest most of their items; the others leave theirs overdue."""
    done = 0
    person_by_id = {p.id: p for p in people}
    diligent = {p.id for p in people if rng.random() < DILIGENT_RATE}
    frameworks = {f.id: f for f in duties.list_frameworks(session, unit_id=unit.id)}
    for item in items_for_people(
        session,
        unit=unit,
        people=[p for p in people if p.id in diligent],
        day=end,
        with_previous=True,
    ):
        if item.kind != ATTESTATION or item.duty is None or rng.random() > ATTEST_RATE:
            continue
        day = max(
            min(end, item.due_on - dt.timedelta(days=rng.randrange(0, 20))), item.period_start
        )
        person = person_by_id[item.person_id]
        text = attestation_text(
            name=person.full_name,
            duty=item.duty,
            framework=frameworks[item.duty.framework_id],
            period=item.period,
            locale="en",
        )
        try:
            duties.attest(
                session,
                person_id=person.id,
                account_id=None,
                duty_id=item.duty.id,
                period=item.period,
                locale="en",
                text_sha256=sha256_text(text),
                evidence_note="records kept by the department",
                at=_at(day, rng, limit),
            )
        except KeyguardError:
            continue
        done += 1
    return done


def _train(
    session: Session, unit: Unit, end: dt.date, rng: random.Random, limit: dt.datetime
) -> tuple[int, int]:
    passed = failed = 0
    items = list(
        session.scalars(
            select(TrainingAssignment).where(
                TrainingAssignment.unit_id == unit.id, TrainingAssignment.status == "assigned"
            )
        )
    )
    for item in items:
        if rng.random() > TRAIN_RATE:
            continue
        day = min(end, item.assigned_on + dt.timedelta(days=rng.randrange(1, 50)))
        at = _at(day, rng, limit)
        course = education.get_course(session, unit_id=unit.id, urn=item.course_urn)
        if course.kind == "publicity":
            education.mark_read(
                session, person_id=item.person_id, course_urn=item.course_urn, at=at
            )
            passed += 1
            continue
        try:
            if rng.random() < 0.2:  # a first attempt that misses the pass mark
                attempt, questions = education.start_attempt(
                    session, person_id=item.person_id, course_urn=item.course_urn, at=at
                )
                wrong = {
                    q.id: [next(c for c in q.choice_ids if c not in q.correct_ids)]
                    for q in questions
                }
                education.submit_attempt(
                    session, attempt_id=attempt.id, person_id=item.person_id, answers=wrong, at=at
                )
                failed += 1
                at = min(at + dt.timedelta(days=1), limit)
            attempt, questions = education.start_attempt(
                session, person_id=item.person_id, course_urn=item.course_urn, at=at
            )
            answers = {q.id: list(q.correct_ids) for q in questions}
            education.submit_attempt(
                session,
                attempt_id=attempt.id,
                person_id=item.person_id,
                answers=answers,
                at=at + dt.timedelta(minutes=20),
            )
            passed += 1
        except KeyguardError:
            continue
    return passed, failed


def step_duties(ctx: DemoContext) -> None:
    """Frameworks, courses, assignments, campaigns and evidence for the demo unit."""
    rng = random.Random(ctx.seed * 7919 + 60)
    start = dt.date.fromisoformat(ctx.start)
    limit = utcnow()
    end = min(start + dt.timedelta(days=ctx.days - 1), limit.date())
    with actor_scope(Actor(name="demo:setup")), session_scope() as session:
        unit = session.scalar(select(Unit).where(Unit.code == ctx.unit_code))
        if unit is None:
            raise RuntimeError(f"demo unit {ctx.unit_code!r} was not created by step 30")
        loads = duties.load_builtin_frameworks(session, unit=unit)
        courses = education.load_builtin_courses(session, unit=unit)
        assigned = duties.assign_duties(session, unit=unit, day=start)
        campaigns = []
        for name, urn, audience, due, recurrence in CAMPAIGNS:
            campaigns.append(
                education.create_campaign(
                    session,
                    unit=unit,
                    name=name,
                    course_urn=urn,
                    audience_key=audience,
                    due_days=due,
                    recurrence=recurrence,
                    starts_on=start,
                )
            )
        for campaign in campaigns:
            for day in (start, start + dt.timedelta(days=ctx.days // 2), end):
                education.enrol(session, campaign, day)
        people = list(
            session.scalars(
                select(Person)
                .options(selectinload(Person.versions))
                .where(Person.unit_id == unit.id, Person.status.in_(("active", "notice")))
            )
        )
        mid = start + dt.timedelta(days=ctx.days // 2)
        signed = _sign_statements(session, unit, people, mid, rng, limit)
        signed += _sign_statements(session, unit, people, end, rng, limit)
        attested = _attest(session, unit, people, end, rng, limit)
        passed, failed = _train(session, unit, end, rng, limit)
        snapshots = 0
        day = start
        while day < limit.date():  # every four weeks over the period and since, then today
            snapshot_unit(session, unit, dt.datetime.combine(day, dt.time(12), dt.UTC))
            snapshots += 1
            day += dt.timedelta(days=28)
        snapshot_unit(session, unit, limit)
        snapshots += 1
    ctx.facts["duties"] = {
        "frameworks": len(loads),
        "courses": len(courses),
        "assignments": assigned.created,
        "statements": signed,
        "attestations": attested,
        "training_passed": passed,
    }
    ctx.console.print(
        f"      {len(loads)} frameworks, {len(courses)} courses, {assigned.created} duty "
        f"assignments, {len(campaigns)} campaigns; {signed} statements and {attested} "
        f"attestations signed, {passed} training items completed ({failed} failed first "
        f"attempts), {snapshots} score snapshots"
    )


STEPS = [
    DemoStep(order=60, name="duty frameworks, assignments and training campaigns", run=step_duties),
]
