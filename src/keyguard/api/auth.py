"""Who am I, through which credential, and logging out from the API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from keyguard.api import RequestCtx, login_required
from keyguard.identity import sessions, tokens
from keyguard.identity.auth import SESSION_COOKIE

router = APIRouter()


@router.get("/auth/whoami", dependencies=[login_required()])
def whoami(ctx: RequestCtx) -> dict[str, Any]:
    """The account behind this request and how it authenticated (``session`` or ``token``).

    A session caller also gets its ``csrf_token``, to send as ``X-CSRF-Token`` with unsafe
    requests.
    """
    assert ctx.account is not None
    out: dict[str, Any] = {
        "account_id": ctx.account.id,
        "email": ctx.account.email,
        "via": ctx.via,
        "active_unit_id": ctx.unit_id,
    }
    if ctx.via == "session" and ctx.web_session is not None:
        out["csrf_token"] = ctx.web_session.csrf_token
    if ctx.via == "token" and ctx.api_token is not None:
        out["token"] = {
            "id": ctx.api_token.id,
            "name": ctx.api_token.name,
            "prefix": ctx.api_token.prefix,
        }
    return out


@router.post("/auth/logout", dependencies=[login_required()])
def logout(ctx: RequestCtx) -> JSONResponse:
    """End the calling session; with a bearer token, revoke that token."""
    if ctx.via == "token" and ctx.api_token is not None and ctx.account is not None:
        tokens.revoke_token(ctx.db, account_id=ctx.account.id, token_id=ctx.api_token.id)
        return JSONResponse({"ended": "token"})
    if ctx.web_session is not None:
        sessions.logout(ctx.db, ctx.web_session)
    response = JSONResponse({"ended": "session"})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
