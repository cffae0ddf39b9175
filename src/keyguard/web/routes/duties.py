"""My duties (sign the responsibility statement and periodic attestations) and the
department view of overdue duties and training."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from keyguard.errors import KeyguardError
from keyguard.identity.permissions import Principal, can
from keyguard.identity.service import visible_department_ids
from keyguard.records.duties import service as duties
from keyguard.records.duties.texts import lang
from keyguard.records.duties.views import department_view, my_duties_view
from keyguard.records.org.models import Person, Unit
from keyguard.web import i18n
from keyguard.web.deps import (
    ActiveUnit,
    DbSession,
    RequestCtx,
    notice,
    render,
    request_language,
    require,
)
from keyguard.web.i18n import lazy_gettext

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("My duties"),
        "path": "/units/{unit_id}/duties/my",
        "permission": "duties.own",
        "order": 10,
    },
    {
        "label": lazy_gettext("Department duties"),
        "path": "/units/{unit_id}/duties/department",
        "permission": "duties.department",
        "order": 12,
    },
]

SIGNED = notice("statement_signed", lazy_gettext("Your responsibility statement is signed."))
ATTESTED = notice("duty_attested", lazy_gettext("Your attestation is recorded."))


def content_locale(request: Request, ctx: Any) -> str:
    """The content language (``en`` or ``zh-CN``) for the request's UI language."""
    return lang(request_language(request, ctx))


def own_person(db: Session, principal: Principal, unit_id: int) -> Person:
    """The signed-in person in this unit (404 for accounts without a person here)."""
    if principal.person_id is None:
        raise HTTPException(404, "your account is not linked to a person in this unit")
    person = db.get(Person, principal.person_id)
    if person is None or person.unit_id != unit_id:
        raise HTTPException(404, "your account is not linked to a person in this unit")
    return person


@router.get("/units/{unit_id}/duties/my")
def my_page(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    ctx: RequestCtx,
    principal: Annotated[Principal, require("duties.own")],
    error: str = "",
) -> HTMLResponse:
    person = own_person(db, principal, unit.id)
    data = my_duties_view(db, person_id=person.id, locale=content_locale(request, ctx))
    return render(request, "duties/my.html", {"data": data, "error": error})


def _error_page(
    request: Request, db: Session, unit_id: int, ctx: Any, person: Person, exc: KeyguardError
) -> HTMLResponse:
    with i18n.language_scope(request_language(request, ctx)):
        message = i18n.gettext(str(exc))
    data = my_duties_view(db, person_id=person.id, locale=content_locale(request, ctx))
    return render(request, "duties/my.html", {"data": data, "error": message}, status_code=409)


@router.post("/units/{unit_id}/duties/my/statement")
def sign(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    ctx: RequestCtx,
    principal: Annotated[Principal, require("duties.own")],
    sha256: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    person = own_person(db, principal, unit.id)
    try:
        if confirm != "yes":
            raise KeyguardError("tick the box to confirm you have read the statement")
        duties.sign_statement(
            db,
            person_id=person.id,
            account_id=principal.account_id,
            locale=content_locale(request, ctx),
            text_sha256=sha256,
        )
    except KeyguardError as exc:
        return _error_page(request, db, unit.id, ctx, person, exc)
    return RedirectResponse(f"/units/{unit.id}/duties/my?notice={SIGNED}", status_code=303)


@router.post("/units/{unit_id}/duties/my/attest")
def attest(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    ctx: RequestCtx,
    principal: Annotated[Principal, require("duties.own")],
    duty_id: Annotated[int, Form()],
    period: Annotated[str, Form()],
    sha256: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    person = own_person(db, principal, unit.id)
    try:
        duties.attest(
            db,
            person_id=person.id,
            account_id=principal.account_id,
            duty_id=duty_id,
            period=period,
            locale=content_locale(request, ctx),
            text_sha256=sha256,
            evidence_note=note,
        )
    except KeyguardError as exc:
        return _error_page(request, db, unit.id, ctx, person, exc)
    return RedirectResponse(f"/units/{unit.id}/duties/my?notice={ATTESTED}", status_code=303)


@router.get("/units/{unit_id}/duties/department")
def department_page(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    ctx: RequestCtx,
    principal: Annotated[Principal, require("duties.department")],
    department: int | None = None,
) -> HTMLResponse:
    data = department_view(
        db,
        unit=db.get(Unit, unit.id),
        visible=visible_department_ids(db, principal, unit.id),
        department=department,
        identify=can(principal, "people.identify", unit.id),
        locale=content_locale(request, ctx),
    )
    return render(request, "duties/department.html", {"data": data})
