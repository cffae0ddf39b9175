"""In-app notifications of the logged-in account (``scheduler.models.Notification``)."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from keyguard.config import utcnow
from keyguard.scheduler.models import Notification
from keyguard.web.auth import safe_next
from keyguard.web.deps import CurrentAccount, DbSession, login_required, render
from keyguard.web.i18n import lazy_gettext

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("Notifications"),
        "path": "/notifications",
        "permission": None,
        "order": 80,
    }
]

PAGE_SIZE = 30


def notifications_page(
    db: Session, account_id: int, *, page: int = 1, unread_only: bool = False
) -> dict[str, Any]:
    """One page of an account's notifications, newest first."""
    where = [Notification.account_id == account_id]
    if unread_only:
        where.append(Notification.read_at.is_(None))
    total = db.scalar(select(func.count(Notification.id)).where(*where)) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = db.scalars(
        select(Notification)
        .where(*where)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return {"items": list(rows), "page": page, "pages": pages, "total": int(total)}


def mark_read(db: Session, account_id: int, notification_id: int | None = None) -> int:
    """Mark one notification (or all) of ``account_id`` as read; returns how many changed."""
    where = [Notification.account_id == account_id, Notification.read_at.is_(None)]
    if notification_id is not None:
        note = db.get(Notification, notification_id)
        if note is None or note.account_id != account_id:
            raise HTTPException(404, "no such notification")
        where.append(Notification.id == notification_id)
    result = db.execute(
        update(Notification)
        .where(*where)
        .values(read_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


@router.get("/notifications", dependencies=[login_required()])
def notifications(
    request: Request, db: DbSession, account: CurrentAccount, page: int = 1, unread: bool = False
) -> HTMLResponse:
    data = notifications_page(db, account.id, page=page, unread_only=unread)
    base = "/notifications?" + ("unread=true&" if unread else "")
    return render(
        request, "notifications/index.html", {**data, "unread_only": unread, "base_url": base}
    )


@router.post("/notifications/{notification_id}/read", dependencies=[login_required()])
def read_one(db: DbSession, account: CurrentAccount, notification_id: int) -> RedirectResponse:
    note = db.get(Notification, notification_id)
    mark_read(db, account.id, notification_id)
    target = safe_next(note.link if note else None, "/notifications")
    return RedirectResponse(target, status_code=303)


@router.post("/notifications/read-all", dependencies=[login_required()])
def read_all(db: DbSession, account: CurrentAccount) -> RedirectResponse:
    mark_read(db, account.id)
    return RedirectResponse("/notifications", status_code=303)
