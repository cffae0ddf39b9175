"""My account: profile and roles, language, password change, API tokens, TOTP enrolment."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from keyguard.errors import RuleViolation
from keyguard.identity import service as identity
from keyguard.identity import tokens, totp
from keyguard.identity.permissions import role_book
from keyguard.web import i18n
from keyguard.web.deps import (
    CurrentAccount,
    RequestCtx,
    login_required,
    notice,
    render,
    request_language,
)
from keyguard.web.i18n import N_, lazy_gettext

router = APIRouter(include_in_schema=False)

NAV = [{"label": lazy_gettext("My account"), "path": "/account", "permission": None, "order": 90}]

PASSWORD_CHANGED = notice("password_changed", lazy_gettext("Your password was changed."))
TOKEN_REVOKED = notice("token_revoked", lazy_gettext("The token was revoked."))
TOTP_ON = notice("totp_on", lazy_gettext("Two-factor sign-in is on."))
TOTP_OFF = notice("totp_off", lazy_gettext("Two-factor sign-in is off."))


def roles_of(ctx: Any) -> list[dict[str, Any]]:
    """The account's roles with their labels and unit names."""
    book = role_book()
    out = []
    for role, unit_id in sorted(ctx.principal.roles, key=lambda r: (r[0], r[1] or 0)):
        unit = ctx.unit(unit_id)
        out.append(
            {
                "role": role,
                "label": lazy_gettext(book.roles[role].label) if role in book.roles else role,
                "unit": unit.name if unit else None,
            }
        )
    return out


def account_page(request: Request, ctx: Any, *, status: int = 200, **extra: Any) -> HTMLResponse:
    account = ctx.account
    pending = bool(account.totp_secret and not account.totp_enabled)
    context: dict[str, Any] = {
        "roles": roles_of(ctx),
        "tokens": tokens.list_tokens(ctx.db, account.id),
        "totp_required": totp.totp_required(ctx.principal),
        "totp_pending": pending,
        "totp_secret": account.totp_secret if pending else None,
        "totp_uri": totp.provisioning_uri(account) if pending else None,
        "errors": {},
        "new_token": None,
    }
    context.update(extra)
    return render(request, "account/index.html", context, status_code=status)


#: Messages of the identity services, marked so that the catalogues translate them.
SERVICE_MESSAGES = (
    N_("the current password is wrong"),
    N_("the new password must differ from the current one"),
    N_("the two new passwords differ"),
    N_("a password needs at least 12 characters"),
    N_("a password needs more different characters"),
    N_("a token needs a name of 1 to 200 characters"),
    N_("a token lasts between 1 and 366 days"),
    N_("two-factor sign-in is already on"),
    N_("two-factor sign-in is not on"),
    N_("the code does not match; check the clock of your device"),
    N_("the code does not match"),
    N_("two-factor sign-in is required for approvers and administrators"),
)


def _message(request: Request, ctx: Any, exc: Exception) -> str:
    """A service's error in the page's language (when the catalogue knows it)."""
    with i18n.language_scope(request_language(request, ctx)):
        return i18n.gettext(str(exc))


@router.get("/account", dependencies=[login_required()])
def account(request: Request, ctx: RequestCtx) -> HTMLResponse:
    return account_page(request, ctx)


@router.post("/account/password", dependencies=[login_required()])
def change_password(
    request: Request,
    ctx: RequestCtx,
    account: CurrentAccount,
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    try:
        if new != confirm:
            raise RuleViolation("the two new passwords differ")
        identity.change_password(
            ctx.db,
            account=account,
            current=current,
            new=new,
            keep_session_id=ctx.web_session.id if ctx.web_session else None,
        )
    except RuleViolation as exc:
        return account_page(
            request, ctx, status=400, errors={"password": _message(request, ctx, exc)}
        )
    return RedirectResponse(f"/account?notice={PASSWORD_CHANGED}", status_code=303)


@router.post("/account/tokens", dependencies=[login_required()])
def create_token(
    request: Request,
    ctx: RequestCtx,
    account: CurrentAccount,
    name: Annotated[str, Form()] = "",
    days: Annotated[str, Form()] = "",
) -> Response:
    try:
        lifetime = int(days) if days.strip() else None
    except ValueError:
        lifetime = 0
    try:
        plain, _row = tokens.create_token(ctx.db, account=account, name=name, days=lifetime)
    except RuleViolation as exc:
        return account_page(request, ctx, status=400, errors={"token": _message(request, ctx, exc)})
    return account_page(request, ctx, new_token=plain)


@router.post("/account/tokens/{token_id}/revoke", dependencies=[login_required()])
def revoke_token(ctx: RequestCtx, account: CurrentAccount, token_id: int) -> Response:
    tokens.revoke_token(ctx.db, account_id=account.id, token_id=token_id)
    return RedirectResponse(f"/account?notice={TOKEN_REVOKED}", status_code=303)


@router.post("/account/totp/start", dependencies=[login_required()])
def totp_start(request: Request, ctx: RequestCtx, account: CurrentAccount) -> Response:
    try:
        totp.start_enrolment(ctx.db, account)
    except RuleViolation as exc:
        return account_page(request, ctx, status=400, errors={"totp": _message(request, ctx, exc)})
    return RedirectResponse("/account#totp", status_code=303)


@router.post("/account/totp/confirm", dependencies=[login_required()])
def totp_confirm(
    request: Request, ctx: RequestCtx, account: CurrentAccount, code: Annotated[str, Form()] = ""
) -> Response:
    try:
        totp.confirm_enrolment(ctx.db, account, code)
    except RuleViolation as exc:
        return account_page(request, ctx, status=400, errors={"totp": _message(request, ctx, exc)})
    return RedirectResponse(f"/account?notice={TOTP_ON}", status_code=303)


@router.post("/account/totp/disable", dependencies=[login_required()])
def totp_disable(
    request: Request, ctx: RequestCtx, account: CurrentAccount, code: Annotated[str, Form()] = ""
) -> Response:
    assert ctx.principal is not None  # login_required
    try:
        totp.disable(ctx.db, account, ctx.principal, code)
    except RuleViolation as exc:
        return account_page(request, ctx, status=400, errors={"totp": _message(request, ctx, exc)})
    return RedirectResponse(f"/account?notice={TOTP_OFF}", status_code=303)
