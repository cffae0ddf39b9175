"""JSON twins of the duty pages: my duties (sign, attest) and the department view."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from keyguard.api import ActiveUnit, DbSession, require
from keyguard.identity.permissions import Principal, can
from keyguard.identity.service import visible_department_ids
from keyguard.records.duties import service as duties
from keyguard.records.duties.texts import lang
from keyguard.records.duties.views import department_view, my_duties_view
from keyguard.records.org.models import Person, Unit

router = APIRouter()


class SignIn(BaseModel):
    sha256: str = Field(description="SHA-256 of the statement text you were shown")


class AttestIn(BaseModel):
    duty_id: int
    period: str
    sha256: str = Field(description="SHA-256 of the attestation text you were shown")
    note: str = ""


def _locale(request: Request) -> str:
    ctx = getattr(request.state, "keyguard", None)
    account = getattr(ctx, "account", None)
    return lang(account.language if account is not None else None)


def _person(db: Any, principal: Principal, unit_id: int) -> Person:
    person = db.get(Person, principal.person_id) if principal.person_id else None
    if person is None or person.unit_id != unit_id:
        raise HTTPException(404, "your account is not linked to a person in this unit")
    return person


@router.get("/units/{unit_id}/duties/my")
def my(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("duties.own")],
) -> dict[str, Any]:
    """Your duty items: what is due, when, with what evidence, and the texts to sign."""
    person = _person(db, principal, unit.id)
    return my_duties_view(db, person_id=person.id, locale=_locale(request))


@router.post("/units/{unit_id}/duties/my/statement")
def sign(
    request: Request,
    unit_id: int,
    body: SignIn,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("duties.own")],
) -> dict[str, Any]:
    """Sign your responsibility statement (the hash must match the text shown)."""
    person = _person(db, principal, unit.id)
    row = duties.sign_statement(
        db,
        person_id=person.id,
        account_id=principal.account_id,
        locale=_locale(request),
        text_sha256=body.sha256,
    )
    return {
        "id": row.id,
        "signed_at": row.signed_at.isoformat(),
        "text_sha256": row.text_sha256,
        "framework_versions": row.framework_versions,
    }


@router.post("/units/{unit_id}/duties/my/attest")
def attest(
    request: Request,
    unit_id: int,
    body: AttestIn,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("duties.own")],
) -> dict[str, Any]:
    """Attest one duty for one period (the hash must match the text shown)."""
    person = _person(db, principal, unit.id)
    row = duties.attest(
        db,
        person_id=person.id,
        account_id=principal.account_id,
        duty_id=body.duty_id,
        period=body.period,
        locale=_locale(request),
        text_sha256=body.sha256,
        evidence_note=body.note,
    )
    return {
        "id": row.id,
        "signed_at": row.signed_at.isoformat(),
        "period": row.period,
        "framework_version": row.framework_version,
        "text_sha256": row.text_sha256,
    }


@router.get("/units/{unit_id}/duties/department")
def department(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("duties.department")],
    department: int | None = None,
) -> dict[str, Any]:
    """Overdue duties and training of your department (a head sees only their own)."""
    return department_view(
        db,
        unit=db.get(Unit, unit.id),
        visible=visible_department_ids(db, principal, unit.id),
        department=department,
        identify=can(principal, "people.identify", unit.id),
        locale=_locale(request),
    )
