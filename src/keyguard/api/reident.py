"""JSON twins of the re-identification pages and "who saw whom": ask with a purpose, the
queue for a second person, approve, refuse (the two-person rule's reason in the error),
revoke, withdraw; and the auditor's list of every look at a real identity."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from keyguard.api import ActiveUnit, CurrentAccount, DbSession, UnitInfo, require
from keyguard.cases import reident, service, views
from keyguard.config import utcnow
from keyguard.errors import NotFound
from keyguard.identity.models import Account
from keyguard.identity.permissions import Principal, can
from keyguard.privacy import reid
from keyguard.records.org.models import Unit

router = APIRouter()
Requester = Annotated[Principal, require("reident.request")]
Approver = Annotated[Principal, require("reident.approve")]
Auditor = Annotated[Principal, require("audit.view")]


class RequestIn(BaseModel):
    purpose: str = Field(description="Why the identity is needed (written, at least 15 characters)")
    hours: int = Field(reid.DEFAULT_HOURS, description="How long the approval lasts")


class NoteIn(BaseModel):
    note: str = ""


class ReasonIn(BaseModel):
    reason: str


def _unit(db: Session, info: UnitInfo) -> Unit:
    unit = db.get(Unit, info.id)
    if unit is None:
        raise NotFound("no such unit")
    return unit


def _row(db: Session, unit: Unit, request_id: int, account: Account) -> dict[str, Any]:
    req = reid.get_request(db, unit_id=unit.id, request_id=request_id)
    return views.request_row(db, req, utcnow(), account)


@router.post("/units/{unit_id}/cases/{case_id}/reident")
def ask(
    unit_id: int,
    case_id: int,
    body: RequestIn,
    db: DbSession,
    info: ActiveUnit,
    principal: Requester,
    account: CurrentAccount,
) -> dict[str, Any]:
    """Ask to see who a case is about; a second person must approve."""
    unit = _unit(db, info)
    case = service.get_case(db, unit=unit, case_id=case_id, viewer_person_id=principal.person_id)
    req = reident.request(db, case=case, account=account, purpose=body.purpose, hours=body.hours)
    return _row(db, unit, req.id, account)


@router.get("/units/{unit_id}/reident")
def queue(
    unit_id: int, db: DbSession, info: ActiveUnit, principal: Approver, account: CurrentAccount
) -> dict[str, Any]:
    """Requests waiting for a decision and approvals in force; ``may_decide``/``why_not``
    say whether you may approve each."""
    unit = _unit(db, info)
    now = utcnow()
    return {
        "requests": [
            views.request_row(db, r, now, account)
            for r in reid.open_requests(db, unit_id=unit.id)
            if r.state(now) != "expired"
        ]
    }


@router.post("/units/{unit_id}/reident/{request_id}/approve")
def approve(
    unit_id: int,
    request_id: int,
    body: NoteIn,
    db: DbSession,
    info: ActiveUnit,
    principal: Approver,
    account: CurrentAccount,
) -> dict[str, Any]:
    """Approve as the second person (a 400 names the rule that refuses you)."""
    unit = _unit(db, info)
    reident.approve(
        db,
        req=reid.get_request(db, unit_id=unit.id, request_id=request_id),
        account=account,
        note=body.note,
    )
    return _row(db, unit, request_id, account)


@router.post("/units/{unit_id}/reident/{request_id}/refuse")
def refuse(
    unit_id: int,
    request_id: int,
    body: NoteIn,
    db: DbSession,
    info: ActiveUnit,
    principal: Approver,
    account: CurrentAccount,
) -> dict[str, Any]:
    unit = _unit(db, info)
    reident.refuse(
        db,
        req=reid.get_request(db, unit_id=unit.id, request_id=request_id),
        account=account,
        note=body.note,
    )
    return _row(db, unit, request_id, account)


@router.post("/units/{unit_id}/reident/{request_id}/revoke")
def revoke(
    unit_id: int,
    request_id: int,
    body: ReasonIn,
    db: DbSession,
    info: ActiveUnit,
    principal: Requester,
    account: CurrentAccount,
) -> dict[str, Any]:
    unit = _unit(db, info)
    reident.revoke(
        db,
        req=reid.get_request(db, unit_id=unit.id, request_id=request_id),
        account=account,
        reason=body.reason,
    )
    return _row(db, unit, request_id, account)


@router.post("/units/{unit_id}/reident/{request_id}/withdraw")
def withdraw(
    unit_id: int,
    request_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Requester,
    account: CurrentAccount,
) -> dict[str, Any]:
    unit = _unit(db, info)
    reident.withdraw(
        db, req=reid.get_request(db, unit_id=unit.id, request_id=request_id), account=account
    )
    return _row(db, unit, request_id, account)


@router.get("/units/{unit_id}/audit/who-saw")
def who_saw(
    unit_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Auditor,
    subject: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> dict[str, Any]:
    """Every look at a real identity (who, whom, when, why, approved by) and every request."""
    unit = _unit(db, info)
    return views.who_saw(
        db,
        unit=unit,
        subject=subject,
        since=since,
        until=until,
        names=can(principal, "people.identify", unit.id),
    )
