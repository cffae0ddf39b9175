"""JSON twins of the grant pages: my grants and requests, request, approvals queue and
decisions (two different people at the top level), revocation, all grants, reviews."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel
from sqlalchemy import or_, select

from keyguard import audit
from keyguard.api import ActiveUnit, CurrentAccount, DbSession, require
from keyguard.api.register import grant_out, unit_row, upload
from keyguard.errors import KeyguardError, NotFound
from keyguard.identity.permissions import Principal
from keyguard.identity.service import visible_department_ids
from keyguard.records.org.models import Person
from keyguard.records.register import grants as svc
from keyguard.records.register import reviews
from keyguard.records.register.common import local_today, person_by_staff_id
from keyguard.records.register.models import Grant, Item

router = APIRouter()


class GrantRequest(BaseModel):
    item_id: int
    purpose: str
    start: dt.date | None = None
    end: dt.date | None = None
    staff_id: str | None = None


class Decision(BaseModel):
    decision: str
    note: str = ""


class Revocation(BaseModel):
    reason: str


@router.get("/units/{unit_id}/grants")
def my_access(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    account: CurrentAccount,
    principal: Annotated[Principal, require("grants.request")],
) -> dict[str, Any]:
    """My grants and my requests."""
    audit.record(db, "view", "grants", None, {"page": "mine"}, unit_id=unit_id)
    requests = db.scalars(
        select(Grant)
        .where(Grant.unit_id == unit_id, Grant.requested_by_account_id == account.id)
        .order_by(Grant.id)
    )
    mine = db.scalars(
        select(Grant)
        .where(Grant.unit_id == unit_id, Grant.grantee_person_id == (account.person_id or -1))
        .order_by(Grant.id)
    )
    return {
        "grants": [grant_out(db, principal, g) for g in mine],
        "requests": [grant_out(db, principal, g) for g in requests],
    }


@router.post("/units/{unit_id}/grants", status_code=201)
def request_access(
    body: GrantRequest,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    account: CurrentAccount,
    principal: Annotated[Principal, require("grants.request")],
) -> dict[str, Any]:
    """Request access to an item (for yourself; for others with ``grants.manage``)."""
    u = unit_row(db, unit_id)
    item = db.get(Item, body.item_id)
    if item is None or item.unit_id != unit_id:
        raise NotFound(f"no register item {body.item_id}")
    person = (
        person_by_staff_id(db, unit_id, body.staff_id)
        if body.staff_id
        else db.get(Person, account.person_id or -1)
    )
    if person is None:
        raise KeyguardError("your account is not linked to a member of staff")
    g = svc.request_grant(
        db,
        unit=u,
        requester=account,
        grantee=svc.Grantee("person", person=person),
        scope=svc.Scope("item", item=item),
        purpose=body.purpose,
        start=body.start or local_today(u),
        end=body.end,
    )
    return grant_out(db, principal, g)


@router.get("/units/{unit_id}/grants/approvals")
def approvals(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    account: CurrentAccount,
    principal: Annotated[Principal, require("grants.approve")],
) -> list[dict[str, Any]]:
    """Requests awaiting a decision, each with why you may not decide (empty if you may)."""
    out = []
    for g in db.scalars(
        select(Grant)
        .where(Grant.unit_id == unit_id, Grant.status == "requested")
        .order_by(Grant.id)
    ):
        try:
            svc.check_approver(db, grant=g, approver=account)
            why = ""
        except KeyguardError as exc:
            why = str(exc)
        out.append({**grant_out(db, principal, g), "why_not": why})
    return out


@router.post("/units/{unit_id}/grants/{grant_id}/decide")
def decide(
    body: Decision,
    unit_id: int,
    grant_id: int,
    db: DbSession,
    account: CurrentAccount,
    principal: Annotated[Principal, require("grants.approve")],
) -> dict[str, Any]:
    """Approve or refuse a request."""
    g = svc.get_grant(db, unit_id=unit_id, grant_id=grant_id)
    if body.decision == "approve":
        svc.approve_grant(db, grant=g, approver=account, note=body.note)
    elif body.decision == "refuse":
        svc.refuse_grant(db, grant=g, approver=account, note=body.note)
    else:
        raise KeyguardError("decision must be approve or refuse")
    return grant_out(db, principal, g)


@router.post("/units/{unit_id}/grants/{grant_id}/revoke")
def revoke(
    body: Revocation,
    unit_id: int,
    grant_id: int,
    db: DbSession,
    principal: Annotated[Principal, require("grants.manage")],
) -> dict[str, Any]:
    """Revoke a grant from today."""
    g = svc.get_grant(db, unit_id=unit_id, grant_id=grant_id)
    svc.revoke_grant(db, grant=g, reason=body.reason, by=audit.current_actor().name)
    return grant_out(db, principal, g)


@router.get("/units/{unit_id}/grants/all")
def all_grants(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("grants.view")],
    status: str = "",
) -> list[dict[str, Any]]:
    """All grants (a department head: their department's people and nodes)."""
    q = select(Grant).where(Grant.unit_id == unit_id).order_by(Grant.id.desc())
    if status:
        q = q.where(Grant.status == status)
    nodes = visible_department_ids(db, principal, unit_id)
    if nodes is not None:
        people = select(Person.id).where(
            Person.unit_id == unit_id,
            or_(Person.department_id.in_(nodes), Person.team_id.in_(nodes)),
        )
        q = q.where(or_(Grant.grantee_person_id.in_(people), Grant.grantee_node_id.in_(nodes)))
    grants = list(db.scalars(q.limit(1000)))
    audit.record(db, "view", "grants", None, {"page": "all", "shown": len(grants)}, unit_id=unit_id)
    return [grant_out(db, principal, g) for g in grants]


@router.get("/units/{unit_id}/grants/reviews")
def review_queue(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    account: CurrentAccount,
    principal: Annotated[Principal, require("grants.request")],
) -> list[dict[str, Any]]:
    """Grants you are asked to confirm or revoke."""
    rows = reviews.review_queue(db, unit=unit_row(db, unit_id), account=account)
    return [
        {
            **grant_out(db, principal, r.grant),
            "task_id": r.task.id,
            "campaign": r.campaign.name,
            "due": r.campaign.due_on,
            "escalations": r.task.escalations,
        }
        for r in rows
    ]


@router.post("/units/{unit_id}/grants/reviews/{task_id}")
def review_decide(
    body: Decision,
    unit_id: int,
    task_id: int,
    db: DbSession,
    account: CurrentAccount,
    principal: Annotated[Principal, require("grants.request")],
) -> dict[str, Any]:
    """Confirm or revoke the grant of a review task."""
    task = reviews.decide(
        db,
        unit=unit_row(db, unit_id),
        task_id=task_id,
        account=account,
        decision=body.decision,
        note=body.note,
    )
    return {"task_id": task.id, "decision": task.decision}


@router.post("/units/{unit_id}/grants/import")
async def grants_import(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("grants.manage")],
    file: Annotated[UploadFile, File()],
    known_from: Annotated[str, Form()] = "",
) -> dict[str, Any]:
    """Import grants from an uploaded CSV (same rules as ``keyguard grants import``)."""
    return await upload(db, unit_id, "grants", file, known_from)
