"""Plain, JSON-able views of the education domain for the web pages and their JSON twins.
A person's own items never carry the reason an item was assigned."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from keyguard.library.content import Question
from keyguard.records.education.campaigns import list_campaigns, local_day
from keyguard.records.education.courses import course_doc, get_course, render_markdown
from keyguard.records.education.models import QuizAttempt
from keyguard.records.education.quiz import attempts_used
from keyguard.records.education.status import person_history, training_status
from keyguard.records.org.models import Person, Unit


def my_training_view(
    session: Session, *, person: Person, unit: Unit, locale: str | None
) -> dict[str, Any]:
    """The person's items, attempts and certificates (their own training history)."""
    hist = person_history(session, person_id=person.id, day=local_day(unit), locale=locale)
    return {
        "items": [
            {
                "id": i.id,
                "campaign": i.campaign,
                "course_urn": i.course_urn,
                "title": i.title,
                "kind": i.kind,
                "slug": i.course_urn.rsplit(":", 1)[-1],
                "due_on": i.due_on.isoformat(),
                "status": i.status,
                "best_score": i.best_score,
                "completed_at": i.completed_at.isoformat() if i.completed_at else None,
            }
            for i in hist.items
        ],
        "attempts": [
            {
                "id": a.id,
                "course_urn": a.course_urn,
                "started_at": a.started_at.isoformat(),
                "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None,
                "score": a.score,
                "passed": a.passed,
            }
            for a in hist.attempts
        ],
        "certificates": [
            {
                "id": c.id,
                "serial": c.serial,
                "course_title": c.course_title,
                "score": c.score,
                "issued_at": c.issued_at.isoformat(),
            }
            for c in hist.certificates
        ],
    }


def course_view(
    session: Session, *, unit_id: int, person_id: int | None, urn: str, locale: str | None
) -> dict[str, Any]:
    """A course's text in the reader's language, its lesson as HTML and the quiz rules."""
    course = get_course(session, unit_id=unit_id, urn=urn)
    doc = course_doc(course)
    text = doc.text(locale)
    used = attempts_used(session, person_id=person_id, course=course) if person_id else 0
    return {
        "urn": course.urn,
        "slug": course.slug,
        "version": course.version,
        "kind": course.kind,
        "title": text.title,
        "summary": text.summary,
        "lesson_html": render_markdown(doc.lesson(locale)),
        "pass_mark": course.pass_mark,
        "max_attempts": course.max_attempts,
        "attempts_used": used,
        "questions_per_attempt": doc.questions_per_attempt,
        "duration_minutes": doc.duration_minutes,
        "can_start": bool(doc.questions)
        and (course.max_attempts is None or used < course.max_attempts),
    }


def questions_view(attempt: QuizAttempt, questions: list[Question]) -> dict[str, Any]:
    """An attempt's questions for display: choices keep their bank index as value."""
    return {
        "attempt_id": attempt.id,
        "course_urn": attempt.course_urn,
        "submitted": attempt.submitted_at is not None,
        "score": attempt.score,
        "passed": attempt.passed,
        "questions": [
            {
                "id": q.id,
                "text": q.text,
                "multiple": q.multiple,
                "choices": [
                    {"value": cid, "text": text}
                    for cid, text in zip(q.choice_ids, q.choices, strict=True)
                ],
            }
            for q in questions
        ],
    }


def status_view(
    session: Session, *, unit: Unit, people: list[Person], identify: bool, locale: str | None
) -> dict[str, Any]:
    """Completion and scores per course and the overdue list for ``people``."""
    figures, late = training_status(
        session, unit_id=unit.id, people=people, day=local_day(unit), locale=locale
    )
    return {
        "courses": [
            {
                "course_urn": f.course_urn,
                "title": f.title,
                "assigned": f.assigned,
                "completed": f.completed,
                "completion": f.completion,
                "overdue": f.overdue,
                "failed": f.failed,
                "mean_score": f.mean_score,
            }
            for f in figures
        ],
        "overdue": [
            {
                "person_id": o.person.id,
                "person": o.person.full_name if identify else o.person.pseudonym,
                "title": o.title,
                "due_on": o.due_on.isoformat(),
                "days_overdue": o.days_overdue,
                "status": o.status,
            }
            for o in late
        ],
    }


def campaigns_view(session: Session, *, unit_id: int) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "name": c.name,
            "course_urn": c.course_urn,
            "audience": c.audience,
            "due_days": c.due_days,
            "recurrence": c.recurrence,
            "starts_on": c.starts_on.isoformat(),
            "active": c.active,
        }
        for c in list_campaigns(session, unit_id=unit_id)
    ]
