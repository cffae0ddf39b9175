"""JSON twins of the training pages: my training, a course, quiz attempts, campaigns."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from keyguard.api import ActiveUnit, DbSession, require
from keyguard.api.duties import _locale, _person
from keyguard.identity.permissions import Principal
from keyguard.records.duties.service import department_people
from keyguard.records.education import service as education
from keyguard.records.education.models import Course
from keyguard.records.education.views import (
    campaigns_view,
    course_view,
    my_training_view,
    questions_view,
    status_view,
)
from keyguard.records.org.models import Unit

router = APIRouter()


class AnswersIn(BaseModel):
    #: question id -> chosen choice values (the ``value`` of each choice as served)
    answers: dict[str, list[int]]


class CampaignIn(BaseModel):
    name: str
    course_urn: str
    audience: str
    due_days: int = 30
    recurrence: str = "once"


def _course(db: Any, unit_id: int, slug: str) -> Course:
    for course in education.list_courses(db, unit_id=unit_id):
        if course.slug == slug:
            return course
    raise HTTPException(404, "no such course")


@router.get("/units/{unit_id}/training/my")
def my(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("training.take")],
) -> dict[str, Any]:
    """Your training items, attempts and certificates."""
    person = _person(db, principal, unit.id)
    return my_training_view(db, person=person, unit=db.get(Unit, unit.id), locale=_locale(request))


@router.get("/units/{unit_id}/training/courses/{slug}")
def course(
    request: Request,
    unit_id: int,
    slug: str,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("training.take")],
) -> dict[str, Any]:
    """A course in your language, with its lesson as HTML and its quiz rules."""
    c = _course(db, unit.id, slug)
    return course_view(
        db, unit_id=unit.id, person_id=principal.person_id, urn=c.urn, locale=_locale(request)
    )


@router.post("/units/{unit_id}/training/courses/{slug}/quiz")
def start(
    request: Request,
    unit_id: int,
    slug: str,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("training.take")],
) -> dict[str, Any]:
    """Start a quiz attempt: questions in random order, choices with their values."""
    person = _person(db, principal, unit.id)
    c = _course(db, unit.id, slug)
    attempt, questions = education.start_attempt(
        db, person_id=person.id, course_urn=c.urn, locale=_locale(request)
    )
    return questions_view(attempt, questions)


@router.post("/units/{unit_id}/training/attempts/{attempt_id}")
def submit(
    unit_id: int,
    attempt_id: int,
    body: AnswersIn,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("training.take")],
) -> dict[str, Any]:
    """Submit the answers of an attempt; a pass issues a certificate."""
    person = _person(db, principal, unit.id)
    attempt = education.submit_attempt(
        db,
        attempt_id=attempt_id,
        person_id=person.id,
        answers={k: v or None for k, v in body.answers.items()},
    )
    out: dict[str, Any] = {
        "attempt_id": attempt.id,
        "score": attempt.score,
        "passed": attempt.passed,
        "certificate_id": None,
    }
    if attempt.passed:
        cert = education.issue_certificate(db, attempt=attempt)
        out["certificate_id"] = cert.id
        out["certificate_url"] = f"/units/{unit.id}/training/certificates/{cert.id}.pdf"
    return out


@router.get("/units/{unit_id}/training/campaigns")
def campaigns(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("training.manage")],
) -> dict[str, Any]:
    """Campaigns and completion across the unit."""
    row = db.get(Unit, unit.id)
    people = department_people(db, unit_id=unit.id)
    return {
        "campaigns": campaigns_view(db, unit_id=unit.id),
        "status": status_view(db, unit=row, people=people, identify=False, locale=_locale(request)),
    }


@router.post("/units/{unit_id}/training/campaigns")
def create(
    unit_id: int,
    body: CampaignIn,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("training.manage")],
) -> dict[str, Any]:
    """Create a campaign and enrol its audience now."""
    row = db.get(Unit, unit.id)
    assert row is not None
    c = education.create_campaign(
        db,
        unit=row,
        name=body.name,
        course_urn=body.course_urn,
        audience_key=body.audience,
        due_days=body.due_days,
        recurrence=body.recurrence,
    )
    enrolled = education.enrol(db, c, education.local_day(row))
    return {"id": c.id, "enrolled": enrolled}
