"""CSRF protection, applied by the app to every route (pages and ``/api/v1``).

Every unsafe method (POST, PUT, PATCH, DELETE) must carry the token of its session, in the
``X-CSRF-Token`` header (HTMX sends it from ``<body hx-headers>``) or in the form field
``csrf_token``; a missing or wrong token is a 403. Before login the token is a random
cookie (``kg_csrf``, SameSite=Strict) that the login form repeats. Requests authenticated
by a bearer API token carry no cookie and are exempt.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request
from starlette.responses import Response

from keyguard.config import get_settings
from keyguard.identity.auth import RequestContext, RequestCtx

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
HEADER = "x-csrf-token"
FIELD = "csrf_token"
PRE_COOKIE = "kg_csrf"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def expected_token(request: Request, ctx: RequestContext) -> str:
    """The token forms on this page must repeat (the session's, else the pre-login cookie's).

    A fresh pre-login token is remembered on ``request.state`` so that the response sets
    its cookie (see :func:`set_pre_cookie`).
    """
    if ctx.web_session is not None:
        return ctx.web_session.csrf_token
    token = request.cookies.get(PRE_COOKIE) or getattr(request.state, "new_pre_csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_pre_csrf = token
    return str(token)


def set_pre_cookie(request: Request, response: Response) -> None:
    """Set the pre-login CSRF cookie when this request created one."""
    token = getattr(request.state, "new_pre_csrf", None)
    if token:
        response.set_cookie(
            PRE_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=get_settings().secure_cookies,
            path="/",
        )


async def submitted_token(request: Request) -> str | None:
    token = request.headers.get(HEADER)
    if token:
        return token
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await request.form()
        value = form.get(FIELD)
        return value if isinstance(value, str) else None
    return None


async def csrf_protect(request: Request, ctx: RequestCtx) -> None:
    """403 unless an unsafe request repeats its session's CSRF token (bearer tokens exempt)."""
    if request.method in SAFE_METHODS or ctx.via == "token":
        return
    if ctx.web_session is not None:
        expected: str | None = ctx.web_session.csrf_token
    else:
        expected = request.cookies.get(PRE_COOKIE)
    given = await submitted_token(request)
    if not expected or not given or not hmac.compare_digest(expected, given):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
