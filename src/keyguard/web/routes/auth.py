"""Login (password, then TOTP when enabled), logout, language and active-unit switches,
the front door ``/`` and the health check."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import text
from starlette.responses import Response

from keyguard import audit
from keyguard.identity import service as identity
from keyguard.identity import sessions, totp
from keyguard.identity.auth import RequestCtx
from keyguard.identity.permissions import can
from keyguard.web import i18n
from keyguard.web.auth import clear_session_cookie, safe_next, set_session_cookie
from keyguard.web.deps import login_required, nav_for, notice, public, render, request_language
from keyguard.web.i18n import lazy_gettext

router = APIRouter(include_in_schema=False)

LOGGED_OUT = notice("logged_out", lazy_gettext("You are logged out."))


def home_path(request: Request, ctx: Any) -> str:
    """Where a logged-in person starts: the first page of their navigation."""
    if ctx.principal is None:
        return "/login"
    if ctx.unit_id is not None and can(ctx.principal, "unit.view", ctx.unit_id):
        return f"/units/{ctx.unit_id}/dashboard"
    items = nav_for(request, ctx)
    return items[0]["path"] if items else "/account"


@router.get("/", dependencies=[public()])
def front(request: Request, ctx: RequestCtx) -> RedirectResponse:
    return RedirectResponse(home_path(request, ctx), status_code=303)


@router.get("/healthz", dependencies=[public()])
def healthz(ctx: RequestCtx) -> JSONResponse:
    ctx.db.execute(text("SELECT 1"))
    return JSONResponse({"status": "ok"})


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _address_blocked(request: Request, ctx: Any, *, step: str) -> int:
    """Seconds this client address must wait after too many failed sign-ins (audited)."""
    wait = int(request.app.state.login_failures.retry_after(_client(request)))
    if wait:
        audit.record(
            ctx.db,
            "login_blocked_address",
            "account",
            None,
            {"address": _client(request), "step": step, "retry_after": wait},
        )
    return wait


def _too_many(request: Request, ctx: Any, seconds: int) -> str:
    with i18n.language_scope(request_language(request, ctx)):
        return i18n.gettext(
            "Too many failed attempts. Try again in %(seconds)d seconds.", seconds=seconds
        )


def _login_page(
    request: Request,
    *,
    next_path: str,
    error: str | None = None,
    email: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "auth/login.html",
        {"next": next_path, "error": error, "email": email},
        status_code=status,
        headers=headers,
    )


@router.get("/login", dependencies=[public()])
def login_form(request: Request, ctx: RequestCtx, next: str = "") -> Response:
    if ctx.principal is not None:
        return RedirectResponse(safe_next(next, home_path(request, ctx)), status_code=303)
    if ctx.totp_pending:
        return RedirectResponse("/login/totp", status_code=303)
    return _login_page(request, next_path=safe_next(next, ""))


@router.post("/login", dependencies=[public()])
def login_submit(
    request: Request,
    ctx: RequestCtx,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    target = safe_next(next, "")
    blocked = _address_blocked(request, ctx, step="password")
    if blocked:
        return _login_page(
            request,
            next_path=target,
            error=_too_many(request, ctx, blocked),
            email=email,
            status=429,
            headers={"Retry-After": str(blocked)},
        )
    result = sessions.login(ctx.db, email=email, password=password)
    if not result.ok or result.token is None:
        request.app.state.login_failures.fail(_client(request))
    if result.reason == "locked":
        return _login_page(
            request,
            next_path=target,
            error=_too_many(request, ctx, result.retry_after),
            email=email,
            status=429,
            headers={"Retry-After": str(result.retry_after)},
        )
    if not result.ok or result.token is None:
        with i18n.language_scope(request_language(request, ctx)):
            message = i18n.gettext("Wrong e-mail address or password.")
        return _login_page(request, next_path=target, error=message, email=email, status=400)
    if ctx.web_session is not None:  # a half-finished login is replaced
        sessions.logout(ctx.db, ctx.web_session)
    chosen = request.cookies.get(i18n.LANG_COOKIE)
    if (
        result.account is not None
        and chosen in i18n.LANGUAGES
        and chosen != result.account.language
    ):
        # The language picked on the login page becomes the account's.
        identity.set_language(ctx.db, account=result.account, language=str(chosen))
    if result.reason == "totp":
        dest = "/login/totp" + (f"?next={target}" if target else "")
    else:
        dest = target or "/"
    response = RedirectResponse(dest, status_code=303)
    set_session_cookie(response, result.token)
    return response


@router.get("/login/totp", dependencies=[public()])
def totp_form(request: Request, ctx: RequestCtx, next: str = "") -> Response:
    if not ctx.totp_pending:
        return RedirectResponse("/login", status_code=303)
    return render(request, "auth/totp.html", {"next": safe_next(next, ""), "error": None})


@router.post("/login/totp", dependencies=[public()])
def totp_submit(
    request: Request,
    ctx: RequestCtx,
    code: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    ws, account = ctx.web_session, ctx.account
    if not ctx.totp_pending or ws is None or account is None:
        return RedirectResponse("/login", status_code=303)
    target = safe_next(next, "")
    blocked = _address_blocked(request, ctx, step="totp")
    if blocked:
        sessions.logout(ctx.db, ws)
        page = _login_page(
            request,
            next_path=target,
            error=_too_many(request, ctx, blocked),
            status=429,
            headers={"Retry-After": str(blocked)},
        )
        clear_session_cookie(page)
        return page
    if sessions.lock_remaining(account) == 0 and totp.use_code(ctx.db, account, code):
        token = sessions.pass_totp(ctx.db, ws, account)
        response = RedirectResponse(target or "/", status_code=303)
        set_session_cookie(response, token)
        return response
    sessions.register_failure(ctx.db, account, step="totp")
    request.app.state.login_failures.fail(_client(request))
    wait = sessions.lock_remaining(account)
    if wait:
        message = _too_many(request, ctx, wait)
    else:
        with i18n.language_scope(request_language(request, ctx)):
            message = i18n.gettext("The code is not right. Enter the current code of your app.")
    if wait:
        sessions.logout(ctx.db, ws)
        page = _login_page(
            request, next_path=target, error=message, status=429, headers={"Retry-After": str(wait)}
        )
        clear_session_cookie(page)
        return page
    return render(request, "auth/totp.html", {"next": target, "error": message}, status_code=400)


@router.post("/logout", dependencies=[login_required()])
def logout(ctx: RequestCtx) -> Response:
    if ctx.web_session is not None:
        sessions.logout(ctx.db, ctx.web_session)
    response = RedirectResponse(f"/login?notice={LOGGED_OUT}", status_code=303)
    clear_session_cookie(response)
    return response


@router.post("/language", dependencies=[public()])
def choose_language(
    request: Request,
    ctx: RequestCtx,
    language: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    if language not in i18n.LANGUAGES:
        language = i18n.DEFAULT
    if ctx.principal is not None and ctx.account is not None:
        identity.set_language(ctx.db, account=ctx.account, language=language)
    response = RedirectResponse(
        safe_next(next, "/") if next != "/login" else "/login", status_code=303
    )
    response.set_cookie(
        i18n.LANG_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax", httponly=True, path="/"
    )
    return response


@router.post("/unit", dependencies=[login_required()])
def choose_unit(request: Request, ctx: RequestCtx, unit_id: Annotated[int, Form()]) -> Response:
    if unit_id in ctx.unit_ids():
        ctx.unit_id = unit_id
        if ctx.web_session is not None:
            ctx.web_session.active_unit_id = unit_id
    return RedirectResponse(home_path(request, ctx), status_code=303)
