"""Taking a course: reading material, quiz attempts (drawn by seed from the question bank,
limited in number, graded by the content API) and certificates (PDF by WeasyPrint)."""

from __future__ import annotations

import datetime as dt
import html
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyguard.config import utcnow
from keyguard.errors import NotFound, PermissionDenied, RuleViolation
from keyguard.library.content import Question, draw_quiz, grade
from keyguard.records.education.courses import course_doc, get_course
from keyguard.records.education.models import (
    Certificate,
    Course,
    MaterialRead,
    QuizAttempt,
    TrainingAssignment,
)
from keyguard.records.org.models import Person


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"person {person_id}")
    return person


def open_items(session: Session, person_id: int, course_urn: str) -> list[TrainingAssignment]:
    return list(
        session.scalars(
            select(TrainingAssignment)
            .where(
                TrainingAssignment.person_id == person_id,
                TrainingAssignment.course_urn == course_urn,
                TrainingAssignment.status == "assigned",
            )
            .order_by(TrainingAssignment.due_on)
        )
    )


def mark_read(
    session: Session, *, person_id: int, course_urn: str, at: dt.datetime | None = None
) -> MaterialRead:
    """Record that the person opened the material; publicity items are then complete."""
    at = at or utcnow()
    person = _person(session, person_id)
    course = get_course(session, unit_id=person.unit_id, urn=course_urn)
    row = session.scalar(
        select(MaterialRead).where(
            MaterialRead.person_id == person_id, MaterialRead.course_id == course.id
        )
    )
    if row is None:
        row = MaterialRead(
            unit_id=person.unit_id, person_id=person_id, course_id=course.id, read_at=at
        )
        session.add(row)
    if course.kind == "publicity":
        for item in open_items(session, person_id, course_urn):
            item.status, item.completed_at, item.course_id = "passed", at, course.id
    session.flush()
    return row


def _window_start(session: Session, person_id: int, course_urn: str) -> dt.date | None:
    items = open_items(session, person_id, course_urn)
    return min((i.assigned_on for i in items), default=None)


def attempts_used(session: Session, *, person_id: int, course: Course) -> int:
    """Submitted attempts at this course version since the person's open item began."""
    since = _window_start(session, person_id, course.urn)
    q = (
        select(func.count())
        .select_from(QuizAttempt)
        .where(
            QuizAttempt.person_id == person_id,
            QuizAttempt.course_id == course.id,
            QuizAttempt.submitted_at.is_not(None),
        )
    )
    if since is not None:
        q = q.where(QuizAttempt.started_at >= dt.datetime.combine(since, dt.time(), dt.UTC))
    return int(session.scalar(q) or 0)


def start_attempt(
    session: Session,
    *,
    person_id: int,
    course_urn: str,
    locale: str | None = None,
    at: dt.datetime | None = None,
) -> tuple[QuizAttempt, list[Question]]:
    """Draw a new attempt (random seed, randomised order); refused past the attempt limit."""
    at = at or utcnow()
    person = _person(session, person_id)
    course = get_course(session, unit_id=person.unit_id, urn=course_urn)
    doc = course_doc(course)
    if not doc.questions:
        raise RuleViolation(f"{doc.title} has no quiz")
    if (
        course.max_attempts is not None
        and attempts_used(session, person_id=person_id, course=course) >= course.max_attempts
    ):
        raise RuleViolation(
            f"you have used all {course.max_attempts} attempts at {doc.title}; ask the "
            "security office to assign the course again"
        )
    seed = secrets.token_hex(16)
    questions = draw_quiz(doc, seed, locale=locale)
    attempt = QuizAttempt(
        unit_id=person.unit_id,
        person_id=person_id,
        course_id=course.id,
        course_urn=course.urn,
        seed=seed,
        locale=locale or doc.locale,
        question_ids=[q.id for q in questions],
        started_at=at,
    )
    session.add(attempt)
    session.flush()
    return attempt, questions


def attempt_questions(session: Session, attempt: QuizAttempt) -> list[Question]:
    """The questions of an attempt, in the order and wording it was drawn with."""
    course = session.get(Course, attempt.course_id)
    assert course is not None
    return draw_quiz(
        course_doc(course), attempt.seed, len(attempt.question_ids), locale=attempt.locale
    )


def get_attempt(session: Session, *, attempt_id: int, person_id: int) -> QuizAttempt:
    attempt = session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.person_id != person_id:
        raise NotFound(f"attempt {attempt_id}")
    return attempt


def submit_attempt(
    session: Session,
    *,
    attempt_id: int,
    person_id: int,
    answers: Mapping[str, int | list[int] | None],
    at: dt.datetime | None = None,
) -> QuizAttempt:
    """Grade an attempt (answers are bank choice indices per question id); a pass completes
    the person's open items for the course and issues a certificate."""
    at = at or utcnow()
    attempt = get_attempt(session, attempt_id=attempt_id, person_id=person_id)
    if attempt.submitted_at is not None:
        raise RuleViolation("this attempt was already submitted")
    course = session.get(Course, attempt.course_id)
    assert course is not None
    asked = list(attempt.question_ids)
    extra = set(answers) - set(asked)
    if extra:
        raise RuleViolation(f"answers to questions not in this attempt: {sorted(extra)}")
    given: dict[str, Any] = {qid: answers.get(qid) for qid in asked}
    score, passed = grade(course_doc(course), given)
    attempt.answers, attempt.score, attempt.passed, attempt.submitted_at = (
        given,
        score,
        passed,
        at,
    )
    for item in open_items(session, person_id, course.urn):
        item.best_score = max(item.best_score or 0.0, score)
        if passed:
            item.status, item.completed_at, item.course_id = "passed", at, course.id
        elif (
            course.max_attempts is not None
            and attempts_used(session, person_id=person_id, course=course) >= course.max_attempts
        ):
            item.status = "failed"
    session.flush()
    if passed:
        issue_certificate(session, attempt=attempt)
    return attempt


def issue_certificate(session: Session, *, attempt: QuizAttempt) -> Certificate:
    """The certificate of a passed attempt (one per attempt)."""
    if not attempt.passed or attempt.score is None or attempt.submitted_at is None:
        raise RuleViolation("only a passed attempt earns a certificate")
    existing = session.scalar(select(Certificate).where(Certificate.attempt_id == attempt.id))
    if existing is not None:
        return existing
    person = _person(session, attempt.person_id)
    course = session.get(Course, attempt.course_id)
    assert course is not None
    cert = Certificate(
        unit_id=person.unit_id,
        serial=f"KG-{secrets.token_hex(6).upper()}",
        attempt_id=attempt.id,
        person_id=person.id,
        course_id=course.id,
        person_name=person.full_name,
        course_title=course_doc(course).text(attempt.locale).title,
        score=attempt.score,
        issued_at=attempt.submitted_at,
    )
    session.add(cert)
    session.flush()
    return cert


def certificate_for(session: Session, *, certificate_id: int, person_id: int | None) -> Certificate:
    """A certificate; ``person_id`` (when given) must be its holder."""
    cert = session.get(Certificate, certificate_id)
    if cert is None:
        raise NotFound(f"certificate {certificate_id}")
    if person_id is not None and cert.person_id != person_id:
        raise PermissionDenied("this certificate belongs to someone else")
    return cert


def certificate_html(cert: Certificate, course_version: int) -> str:
    e = html.escape
    title = f"Certificate {cert.serial}: {cert.course_title} — {cert.person_name}"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{e(title)}</title><meta name="author" content="keyguard">
<meta name="description" content="{e(cert.person_name)} completed {e(cert.course_title)}">
<style>@page {{ size: A4 landscape; margin: 18mm }}
body {{ font-family: sans-serif; text-align: center; color: #1a2b3c }}
.frame {{ border: 3px double #1a2b3c; padding: 20mm 12mm; height: 130mm }}
h1 {{ font-size: 30pt; margin: 0 0 8mm }} .name {{ font-size: 26pt; font-weight: bold }}
.course {{ font-size: 20pt; font-style: italic }} .small {{ font-size: 10pt; color: #555 }}
</style></head><body><div class="frame">
<h1>Certificate of completion</h1><p>This certifies that</p>
<p class="name">{e(cert.person_name)}</p><p>has completed the course</p>
<p class="course">{e(cert.course_title)}</p>
<p>with a score of {cert.score:g}% on {cert.issued_at:%Y-%m-%d}.</p>
<p class="small">Certificate {e(cert.serial)} · course version {course_version} ·
issued by keyguard</p></div></body></html>"""


def certificate_pdf(session: Session, cert: Certificate) -> bytes:
    """The certificate as a PDF (title metadata names the course and the person)."""
    from weasyprint import HTML

    course = session.get(Course, cert.course_id)
    assert course is not None
    pdf = HTML(string=certificate_html(cert, course.version)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
