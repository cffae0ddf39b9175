"""My training (read, take the quiz, download certificates, my history) and campaign
management. A person's items never show why they were assigned."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from keyguard.errors import KeyguardError
from keyguard.identity.permissions import Principal, can
from keyguard.records.duties.service import department_people
from keyguard.records.education import service as education
from keyguard.records.education.audiences import audience_rules
from keyguard.records.education.models import Course
from keyguard.records.education.views import (
    campaigns_view,
    course_view,
    my_training_view,
    questions_view,
    status_view,
)
from keyguard.records.org.models import Unit
from keyguard.web.deps import ActiveUnit, DbSession, RequestCtx, notice, render, require
from keyguard.web.i18n import lazy_gettext
from keyguard.web.routes.duties import content_locale, own_person

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("My training"),
        "path": "/units/{unit_id}/training/my",
        "permission": "training.take",
        "order": 11,
    },
    {
        "label": lazy_gettext("Training campaigns"),
        "path": "/units/{unit_id}/training/campaigns",
        "permission": "training.manage",
        "order": 15,
    },
]

READ = notice("material_read", lazy_gettext("Marked as read."))
CAMPAIGN = notice("campaign_created", lazy_gettext("The campaign was created."))


def course_by_slug(db: Session, unit_id: int, slug: str) -> Course:
    for course in education.list_courses(db, unit_id=unit_id):
        if course.slug == slug:
            return course
    raise HTTPException(404, "no such course")


@router.get("/units/{unit_id}/training/my")
def my_page(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    ctx: RequestCtx,
    principal: Annotated[Principal, require("training.take")],
) -> HTMLResponse:
    person = own_person(db, principal, unit.id)
    row = db.get(Unit, unit.id)
    assert row is not None
    data = my_training_view(db, person=person, unit=row, locale=content_locale(request, ctx))
    return render(request, "training/my.html", {"data": data})


@router.get("/units/{unit_id}/training/courses/{slug}")
def course_page(
    request: Request,
    unit_id: int,
    slug: str,
    db: DbSession,
    unit: ActiveUnit,
    ctx: RequestCtx,
    principal: Annotated[Principal, require("training.take")],
) -> HTMLResponse:
    course = course_by_slug(db, unit.id, slug)
    data = course_view(
        db,
        unit_id=unit.id,
        person_id=principal.person_id,
        urn=course.urn,
        locale=content_locale(request, ctx),
    )
    return render(request, "training/course.html", {"course": data, "error": ""})


@router.post("/units/{unit_id}/training/courses/{slug}/read")
def mark_read(
    request: Request,
    unit_id: int,
    slug: str,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("training.take")],
) -> Response:
    person = own_person(db, principal, unit.id)
    course = course_by_slug(db, unit.id, slug)
    education.mark_read(db, person_id=person.id, course_urn=course.urn)
    return RedirectResponse(f"/units/{unit.id}/training/my?notice={READ}", status_code=303)


@router.post("/units/{unit_id}/training/courses/{slug}/quiz")
def start_quiz(
    request: Request,
    unit_id: int,
    slug: str,
    db: DbSession,
    unit: ActiveUnit,
    ctx: RequestCtx,
    principal: Annotated[Principal, require("training.take")],
) -> Response:
    person = own_person(db, principal, unit.id)
    course = course_by_slug(db, unit.id, slug)
    locale = content_locale(request, ctx)
    try:
        attempt, _ = education.start_attempt(
            db, person_id=person.id, course_urn=course.urn, locale=locale
        )
    except KeyguardError as exc:
        data = course_view(db, unit_id=unit.id, person_id=person.id, urn=course.urn, locale=locale)
        return render(
            request, "training/course.html", {"course": data, "error": str(exc)}, status_code=409
        )
    return RedirectResponse(f"/units/{unit.id}/training/attempts/{attempt.id}", status_code=303)


@router.get("/units/{unit_id}/training/attempts/{attempt_id}")
def attempt_page(
    request: Request,
    unit_id: int,
    attempt_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("training.take")],
) -> HTMLResponse:
    person = own_person(db, principal, unit.id)
    attempt = education.get_attempt(db, attempt_id=attempt_id, person_id=person.id)
    data = questions_view(attempt, education.attempt_questions(db, attempt))
    course = db.get(Course, attempt.course_id)
    assert course is not None
    certificate = None
    if attempt.passed:
        certificate = education.issue_certificate(db, attempt=attempt)
    return render(
        request,
        "training/attempt.html",
        {
            "attempt": data,
            "course": course,
            "certificate": certificate,
            "title": education.course_doc(course).text(attempt.locale).title,
        },
    )


@router.post("/units/{unit_id}/training/attempts/{attempt_id}")
async def submit_quiz(
    request: Request,
    unit_id: int,
    attempt_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("training.take")],
) -> Response:
    person = own_person(db, principal, unit.id)
    form = await request.form()
    attempt = education.get_attempt(db, attempt_id=attempt_id, person_id=person.id)
    answers: dict[str, list[int] | None] = {}
    for qid in attempt.question_ids:
        values = [int(v) for v in form.getlist(f"q-{qid}") if str(v).isdigit()]
        answers[qid] = values or None
    education.submit_attempt(db, attempt_id=attempt.id, person_id=person.id, answers=answers)
    return RedirectResponse(f"/units/{unit.id}/training/attempts/{attempt.id}", status_code=303)


@router.get("/units/{unit_id}/training/certificates/{certificate_id}.pdf")
def certificate(
    unit_id: int,
    certificate_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("training.take")],
) -> Response:
    manager = can(principal, "training.manage", unit.id)
    cert = education.certificate_for(
        db, certificate_id=certificate_id, person_id=None if manager else principal.person_id
    )
    if cert.unit_id != unit.id:
        raise HTTPException(404, "no such certificate")
    pdf = education.certificate_pdf(db, cert)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="certificate-{cert.serial}.pdf"'},
    )


def _campaign_page(
    request: Request,
    db: Session,
    unit_id: int,
    principal: Principal,
    locale: str,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    row = db.get(Unit, unit_id)
    assert row is not None
    people = department_people(db, unit_id=unit_id)
    return render(
        request,
        "training/campaigns.html",
        {
            "campaigns": campaigns_view(db, unit_id=unit_id),
            "courses": [
                (c.urn, education.course_doc(c).text(locale).title)
                for c in education.list_courses(db, unit_id=unit_id)
            ],
            "audiences": [
                (k, r.label) for k, r in sorted(audience_rules().items()) if k != "assigned"
            ],
            "status": status_view(
                db,
                unit=row,
                people=people,
                identify=can(principal, "people.identify", unit_id),
                locale=locale,
            ),
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/units/{unit_id}/training/campaigns")
def campaigns_page(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    ctx: RequestCtx,
    principal: Annotated[Principal, require("training.manage")],
) -> HTMLResponse:
    return _campaign_page(request, db, unit.id, principal, content_locale(request, ctx))


@router.post("/units/{unit_id}/training/campaigns")
def create_campaign(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    ctx: RequestCtx,
    principal: Annotated[Principal, require("training.manage")],
    name: Annotated[str, Form()] = "",
    course_urn: Annotated[str, Form()] = "",
    audience: Annotated[str, Form()] = "",
    due_days: Annotated[int, Form()] = 30,
    recurrence: Annotated[str, Form()] = "once",
) -> Response:
    row = db.get(Unit, unit.id)
    assert row is not None
    try:
        if not name.strip():
            raise KeyguardError("give the campaign a name")
        campaign = education.create_campaign(
            db,
            unit=row,
            name=name,
            course_urn=course_urn,
            audience_key=audience,
            due_days=due_days,
            recurrence=recurrence,
        )
        education.enrol(db, campaign, education.local_day(row))
    except KeyguardError as exc:
        return _campaign_page(
            request,
            db,
            unit.id,
            principal,
            content_locale(request, ctx),
            error=str(exc),
            status_code=409,
        )
    return RedirectResponse(
        f"/units/{unit.id}/training/campaigns?notice={CAMPAIGN}", status_code=303
    )
