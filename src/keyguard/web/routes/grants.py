"""Need-to-know grants: my grants and requests, the request form, the approvals queue
(two different people at the top level; never one's own request), revocation, all grants
(a department head sees their own people's), and access reviews (the owner's queue)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.errors import KeyguardError, NotFound
from keyguard.identity.models import Account
from keyguard.identity.permissions import Principal, can
from keyguard.identity.service import visible_department_ids
from keyguard.records.org.models import Person
from keyguard.records.register import grants as svc
from keyguard.records.register import reviews
from keyguard.records.register.common import local_today, person_by_staff_id
from keyguard.records.register.models import Grant, Item
from keyguard.web.deps import ActiveUnit, CurrentAccount, DbSession, notice, render, require
from keyguard.web.i18n import lazy_gettext
from keyguard.web.routes.register import grant_rows, handle_upload, import_page, unit_row

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("My access"),
        "path": "/units/{unit_id}/grants",
        "permission": "grants.request",
        "order": 31,
    },
    {
        "label": lazy_gettext("Approvals"),
        "path": "/units/{unit_id}/grants/approvals",
        "permission": "grants.approve",
        "order": 32,
    },
    {
        "label": lazy_gettext("Grants"),
        "path": "/units/{unit_id}/grants/all",
        "permission": "grants.view",
        "order": 33,
    },
    {
        "label": lazy_gettext("Access reviews"),
        "path": "/units/{unit_id}/grants/reviews",
        "permission": "grants.request",
        "order": 34,
    },
]
REQUESTED = notice("grant-requested", lazy_gettext("Your request is waiting for approval."))
DECIDED = notice("grant-decided", lazy_gettext("Your decision is recorded."))
REVOKED = notice("grant-revoked", lazy_gettext("The grant is revoked."))
REVIEWED = notice("grant-reviewed", lazy_gettext("The review is recorded."))
STARTED = notice("review-started", lazy_gettext("The access review has started."))


def _mine(db: Session, account: Account, unit_id: int) -> tuple[list[Grant], list[Grant]]:
    requests = list(
        db.scalars(
            select(Grant)
            .where(Grant.unit_id == unit_id, Grant.requested_by_account_id == account.id)
            .order_by(Grant.id.desc())
        )
    )
    mine = list(
        db.scalars(
            select(Grant)
            .where(Grant.unit_id == unit_id, Grant.grantee_person_id == (account.person_id or -1))
            .order_by(Grant.id.desc())
        )
    )
    return requests, mine


@router.get("/units/{unit_id}/grants", response_class=HTMLResponse)
def my_access(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    account: CurrentAccount,
    principal: Annotated[Principal, require("grants.request")],
) -> HTMLResponse:
    u = unit_row(db, unit_id)
    requests, mine = _mine(db, account, unit_id)
    audit.record(db, "view", "grants", None, {"page": "mine"}, unit_id=unit_id)
    return render(
        request,
        "grants/mine.html",
        {
            "requests": grant_rows(db, principal, u, requests),
            "grants": grant_rows(db, principal, u, mine),
        },
    )


def _items(db: Session, unit_id: int) -> list[tuple[int, str]]:
    return [
        (i.id, f"{i.reference} — {i.title} ({i.level})")
        for i in db.scalars(
            select(Item)
            .where(Item.unit_id == unit_id, Item.status != "destroyed")
            .order_by(Item.reference)
        )
    ]


@router.get("/units/{unit_id}/grants/new", response_class=HTMLResponse)
def request_form(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("grants.request")],
    item_id: int | None = None,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    u = unit_row(db, unit_id)
    return render(
        request,
        "grants/new.html",
        {
            "items": _items(db, unit_id),
            "item_id": item_id,
            "error": error,
            "today": local_today(u).isoformat(),
            "for_others": can(principal, "grants.manage", unit_id),
        },
        status_code=status_code,
    )


@router.post("/units/{unit_id}/grants")
def create_request(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    account: CurrentAccount,
    principal: Annotated[Principal, require("grants.request")],
    item_id: Annotated[int, Form()],
    purpose: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
    staff_id: Annotated[str, Form()] = "",
) -> Response:
    u = unit_row(db, unit_id)
    try:
        item = db.get(Item, item_id)
        if item is None or item.unit_id != unit_id:
            raise NotFound("choose an item of the register")
        person = (
            person_by_staff_id(db, unit_id, staff_id)
            if staff_id.strip()
            else db.get(Person, account.person_id or -1)
        )
        if person is None:
            raise KeyguardError("your account is not linked to a member of staff")
        with db.begin_nested():
            svc.request_grant(
                db,
                unit=u,
                requester=account,
                grantee=svc.Grantee("person", person=person),
                scope=svc.Scope("item", item=item),
                purpose=purpose,
                start=dt.date.fromisoformat(start) if start else local_today(u),
                end=dt.date.fromisoformat(end) if end else None,
            )
    except (KeyguardError, ValueError) as exc:
        return request_form(
            request, unit_id, db, unit, principal, item_id=item_id, error=str(exc), status_code=400
        )
    return RedirectResponse(f"/units/{unit_id}/grants?notice={REQUESTED}", 303)


@router.get("/units/{unit_id}/grants/approvals", response_class=HTMLResponse)
def approvals(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    account: CurrentAccount,
    principal: Annotated[Principal, require("grants.approve")],
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """Requests awaiting a decision that this account may decide on."""
    u = unit_row(db, unit_id)
    waiting = list(
        db.scalars(
            select(Grant)
            .where(Grant.unit_id == unit_id, Grant.status == "requested")
            .order_by(Grant.id)
        )
    )
    reasons = []
    for g in waiting:
        try:
            svc.check_approver(db, grant=g, approver=account)
            reasons.append("")
        except KeyguardError as exc:
            reasons.append(str(exc))
    rows = grant_rows(db, principal, u, waiting)
    for row, why in zip(rows, reasons, strict=True):
        row["why_not"] = why
    audit.record(db, "view", "grants", None, {"page": "approvals"}, unit_id=unit_id)
    return render(
        request, "grants/approvals.html", {"grants": rows, "error": error}, status_code=status_code
    )


def _grant(db: Session, unit_id: int, grant_id: int) -> Grant:
    return svc.get_grant(db, unit_id=unit_id, grant_id=grant_id)


@router.post("/units/{unit_id}/grants/{grant_id}/decide")
def decide(
    request: Request,
    unit_id: int,
    grant_id: int,
    db: DbSession,
    unit: ActiveUnit,
    account: CurrentAccount,
    principal: Annotated[Principal, require("grants.approve")],
    decision: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    g = _grant(db, unit_id, grant_id)
    try:
        with db.begin_nested():
            if decision == "approve":
                svc.approve_grant(db, grant=g, approver=account, note=note)
            else:
                svc.refuse_grant(db, grant=g, approver=account, note=note)
    except KeyguardError as exc:
        return approvals(
            request, unit_id, db, unit, account, principal, error=str(exc), status_code=400
        )
    return RedirectResponse(f"/units/{unit_id}/grants/approvals?notice={DECIDED}", 303)


@router.post("/units/{unit_id}/grants/{grant_id}/revoke")
def revoke(
    unit_id: int,
    grant_id: int,
    db: DbSession,
    principal: Annotated[Principal, require("grants.manage")],
    reason: Annotated[str, Form()] = "",
) -> Response:
    g = _grant(db, unit_id, grant_id)
    svc.revoke_grant(db, grant=g, reason=reason, by=audit.current_actor().name)
    return RedirectResponse(f"/units/{unit_id}/grants/all?notice={REVOKED}", 303)


def visible_grants(
    db: Session, principal: Principal, unit_id: int, status: str = ""
) -> list[Grant]:
    """All grants, or for a department head those of their department's people and nodes."""
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
    return list(db.scalars(q.limit(1000)))


@router.get("/units/{unit_id}/grants/all", response_class=HTMLResponse)
def all_grants(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("grants.view")],
    status: str = "",
) -> HTMLResponse:
    u = unit_row(db, unit_id)
    grants = visible_grants(db, principal, unit_id, status)
    audit.record(
        db,
        "view",
        "grants",
        None,
        {"page": "all", "status": status, "shown": len(grants)},
        unit_id=unit_id,
    )
    return render(
        request,
        "grants/all.html",
        {
            "grants": grant_rows(db, principal, u, grants),
            "status": status,
            "unreviewed": len(reviews.unreviewed_grants(db, unit=u)),
        },
    )


@router.get("/units/{unit_id}/grants/reviews", response_class=HTMLResponse)
def review_page(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    account: CurrentAccount,
    principal: Annotated[Principal, require("grants.request")],
) -> HTMLResponse:
    u = unit_row(db, unit_id)
    queue = reviews.review_queue(db, unit=u, account=account)
    rows: list[dict[str, Any]] = grant_rows(db, principal, u, [r.grant for r in queue])
    for row, r in zip(rows, queue, strict=True):
        row.update(
            task_id=r.task.id,
            campaign=r.campaign.name,
            due=r.campaign.due_on,
            escalations=r.task.escalations,
        )
    return render(
        request,
        "grants/reviews.html",
        {
            "grants": rows,
            "manage": can(principal, "grants.manage", unit_id),
            "due": (local_today(u) + dt.timedelta(days=14)).isoformat(),
        },
    )


@router.post("/units/{unit_id}/grants/reviews/{task_id}")
def review_decide(
    unit_id: int,
    task_id: int,
    db: DbSession,
    account: CurrentAccount,
    principal: Annotated[Principal, require("grants.request")],
    decision: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    reviews.decide(
        db,
        unit=unit_row(db, unit_id),
        task_id=task_id,
        account=account,
        decision=decision,
        note=note,
    )
    return RedirectResponse(f"/units/{unit_id}/grants/reviews?notice={REVIEWED}", 303)


@router.post("/units/{unit_id}/grants/reviews")
def review_start(
    unit_id: int,
    db: DbSession,
    principal: Annotated[Principal, require("grants.manage")],
    name: Annotated[str, Form()] = "",
    due_on: Annotated[str, Form()] = "",
) -> Response:
    try:
        due = dt.date.fromisoformat(due_on)
    except ValueError:
        raise KeyguardError("give the due date as YYYY-MM-DD") from None
    reviews.start_campaign(db, unit=unit_row(db, unit_id), name=name, due_on=due)
    return RedirectResponse(f"/units/{unit_id}/grants/reviews?notice={STARTED}", 303)


@router.get("/units/{unit_id}/grants/import", response_class=HTMLResponse)
def grants_import_form(
    request: Request,
    unit_id: int,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("grants.manage")],
) -> HTMLResponse:
    return import_page(request, "grants")


@router.post("/units/{unit_id}/grants/import", response_class=HTMLResponse)
async def grants_import(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("grants.manage")],
    file: Annotated[UploadFile | None, File()] = None,
    known_from: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Import grants.csv with the CLI's rules (approvers must be entitled to approve)."""
    return await handle_upload(request, db, unit_id, "grants", file, known_from)
