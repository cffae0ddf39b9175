"""JSON twins of the personal pages: my account, my API tokens, my notifications and
"What keyguard records"."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel
from sqlalchemy import func, select, update

from keyguard.api import CurrentAccount, DbSession, RequestCtx, login_required
from keyguard.config import utcnow
from keyguard.errors import RuleViolation
from keyguard.identity import tokens, totp
from keyguard.identity.models import ApiToken
from keyguard.identity.permissions import permissions_of
from keyguard.identity.sessions import RECORDED_FIELDS
from keyguard.plugins import get_plugin_manager
from keyguard.scheduler.models import Notification

router = APIRouter(dependencies=[login_required()])
PAGE_SIZE = 30
POLICY_HOOK = "keyguard_detection_policies"


class RoleOut(BaseModel):
    role: str
    unit_id: int | None


class AccountOut(BaseModel):
    id: int
    email: str
    display_name: str
    language: str
    person_id: int | None
    totp_enabled: bool
    totp_required: bool
    roles: list[RoleOut]
    active_unit_id: int | None
    permissions: list[str]


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked: bool


class TokenIn(BaseModel):
    name: str
    days: int | None = None


class TokenCreated(TokenOut):
    token: str


class NotificationOut(BaseModel):
    id: int
    kind: str
    subject: str
    body: str
    link: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None


def _token_out(row: ApiToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "last_used_at": row.last_used_at,
        "revoked": row.revoked,
    }


@router.get("/account")
def account(ctx: RequestCtx, me: CurrentAccount) -> AccountOut:
    """Your account, roles and the permissions you hold in your active unit."""
    assert ctx.principal is not None
    return AccountOut(
        id=me.id,
        email=me.email,
        display_name=me.display_name,
        language=me.language,
        person_id=me.person_id,
        totp_enabled=me.totp_enabled,
        totp_required=totp.totp_required(ctx.principal),
        roles=[RoleOut(role=r, unit_id=u) for r, u in ctx.principal.roles],
        active_unit_id=ctx.unit_id,
        permissions=sorted(permissions_of(ctx.principal, ctx.unit_id))
        if ctx.unit_id
        else sorted(permissions_of(ctx.principal, None)),
    )


@router.get("/account/tokens")
def list_tokens(db: DbSession, me: CurrentAccount) -> list[TokenOut]:
    """Your API tokens (never the tokens themselves)."""
    return [TokenOut(**_token_out(t)) for t in tokens.list_tokens(db, me.id)]


@router.post("/account/tokens", status_code=201)
def create_token(body: TokenIn, db: DbSession, me: CurrentAccount) -> TokenCreated:
    """Create a token; the response is the only time ``token`` is shown."""
    try:
        plain, row = tokens.create_token(db, account=me, name=body.name, days=body.days)
    except RuleViolation as exc:
        raise HTTPException(400, str(exc)) from exc
    return TokenCreated(token=plain, **_token_out(row))


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: int, db: DbSession, me: CurrentAccount) -> TokenOut:
    """Revoke one of your tokens."""
    return TokenOut(**_token_out(tokens.revoke_token(db, account_id=me.id, token_id=token_id)))


@router.get("/notifications")
def notifications(
    db: DbSession, me: CurrentAccount, page: int = 1, unread: bool = False
) -> dict[str, Any]:
    """Your notifications, newest first."""
    where = [Notification.account_id == me.id]
    if unread:
        where.append(Notification.read_at.is_(None))
    total = int(db.scalar(select(func.count(Notification.id)).where(*where)) or 0)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = db.scalars(
        select(Notification)
        .where(*where)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    unread_total = int(
        db.scalar(
            select(func.count(Notification.id)).where(
                Notification.account_id == me.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )
    return {
        "items": [NotificationOut.model_validate(n, from_attributes=True) for n in rows],
        "page": page,
        "pages": pages,
        "total": total,
        "unread": unread_total,
    }


@router.post("/notifications/{notification_id}/read")
def read_one(notification_id: int, db: DbSession, me: CurrentAccount) -> dict[str, int]:
    """Mark one of your notifications as read."""
    note = db.get(Notification, notification_id)
    if note is None or note.account_id != me.id:
        raise HTTPException(404, "no such notification")
    if note.read_at is None:
        note.read_at = utcnow()
    return {"read": 1}


@router.post("/notifications/read-all")
def read_all(db: DbSession, me: CurrentAccount) -> dict[str, int]:
    """Mark all your notifications as read."""
    result = db.execute(
        update(Notification)
        .where(Notification.account_id == me.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return {"read": int(getattr(result, "rowcount", 0) or 0)}


@router.get("/what-keyguard-records")
def what_keyguard_records() -> dict[str, Any]:
    """What keyguard records about people, and the enabled detection policies (``null``
    while no domain declares the ``keyguard_detection_policies`` hook)."""
    pm = get_plugin_manager()
    fields: list[dict[str, Any]] = list(RECORDED_FIELDS)
    for batch in pm.hook.keyguard_recorded_fields():
        fields.extend(batch or [])
    hook = getattr(pm.hook, POLICY_HOOK, None)
    policies = None
    if hook is not None:
        policies = [
            {
                "title": str(p.get("title", "")),
                "description": str(p.get("description", "")),
                "uses": [str(u) for u in p.get("uses", []) or []],
            }
            for batch in hook()
            for p in batch or []
        ]
    return {
        "fields": [
            {k: str(f.get(k, "")) for k in ("source", "field", "purpose", "kept")} for f in fields
        ],
        "policies": policies,
    }
