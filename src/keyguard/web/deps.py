"""What every page module uses: dependencies, ``render``, navigation and dashboard cards.

Route modules import from here only::

    from keyguard.web.deps import ActiveUnit, DbSession, render, require

    router = APIRouter()
    NAV = [{"label": lazy_gettext("Cases"), "path": "/units/{unit_id}/cases",
            "permission": "cases.view", "order": 40}]

    @router.get("/units/{unit_id}/cases")
    def cases(request: Request, db: DbSession, unit: ActiveUnit,
              principal: Annotated[Principal, require("cases.view")]) -> HTMLResponse:
        return render(request, "cases/list.html", {"cases": ...})

Every route declares its access with ``require("perm")``, ``login_required()`` or
``public()`` (see ``docs/web.md``); the app checks CSRF on every unsafe method.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date, format_datetime, get_timezone
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyguard.config import get_settings
from keyguard.identity.auth import (
    Access,
    ActiveUnit,
    CurrentAccount,
    DbSession,
    RequestContext,
    RequestCtx,
    UnitInfo,
    login_required,
    public,
    require,
)
from keyguard.identity.permissions import Principal, can
from keyguard.plugins import get_plugin_manager
from keyguard.scheduler.models import Notification
from keyguard.web import i18n
from keyguard.web.csrf import expected_token, set_pre_cookie

__all__ = [
    "Access",
    "ActiveUnit",
    "CurrentAccount",
    "DashboardCard",
    "DbSession",
    "Principal",
    "RequestContext",
    "RequestCtx",
    "UnitInfo",
    "is_htmx",
    "login_required",
    "notice",
    "public",
    "render",
    "require",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class DashboardCard:
    """A card on the unit dashboard, declared by a route module in ``DASHBOARD_CARDS``.

    ``data(db, unit, principal)`` returns a JSON-able dict; ``template`` (a partial, e.g.
    ``cases/_dashboard_card.html``) renders it with ``card``, ``data`` and ``unit``. The same
    dict is the card's entry in ``/api/v1/units/{unit_id}/dashboard``.
    """

    key: str
    title: Any
    template: str
    data: Callable[[Session, UnitInfo, Principal], dict[str, Any]]
    permission: str = "unit.view"
    order: int = 100


#: Messages a redirect may ask a page to show (``?notice=<key>``); keys only, never text.
NOTICES: dict[str, Any] = {}


def notice(key: str, message: Any) -> str:
    """Register a notice (a lazy-translated message) shown by ``?notice=<key>``."""
    NOTICES[key] = message
    return key


@jinja2.pass_context
def _format_dt(context: Any, value: Any, fmt: str = "medium", tz: str | None = None) -> str:
    """A date and time in the page's language, in ``tz`` or else the active unit's zone."""
    if value is None:
        return ""
    unit = context.get("unit")
    name = tz or (unit.timezone if unit is not None else None)
    zone = get_timezone(name) if name else None
    return format_datetime(
        value, format=fmt, tzinfo=zone, locale=i18n.babel_locale(i18n.current_language())
    )


def _format_date(value: Any, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_date(value, format=fmt, locale=i18n.babel_locale(i18n.current_language()))


def _format_number(value: Any) -> str:
    if value is None:
        return ""
    return format_decimal(value, locale=i18n.babel_locale(i18n.current_language()))


def _local_path(value: Any) -> str:
    """``value`` when it is a path on this site (safe as a link), else an empty string."""
    text = str(value or "")
    if text.startswith("/") and not text.startswith("//") and "\\" not in text:
        return text
    return ""


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment: keyguard's templates, then every plugin's folders."""
    folders = [str(TEMPLATES)]
    for batch in get_plugin_manager().hook.keyguard_template_dirs():
        folders.extend(str(f) for f in batch or [])
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda s: i18n.translations(i18n.current_language()).gettext(s),
        lambda s, p, n: i18n.translations(i18n.current_language()).ngettext(s, p, n),
        newstyle=True,
    )
    env.filters["datetime"] = _format_dt
    env.filters["date"] = _format_date
    env.filters["number"] = _format_number
    env.filters["local_path"] = _local_path
    # Data texts (hook results, role labels) are translated with |translate, never with
    # _(): Jinja's _() marks its result safe, which is right only for template literals.
    env.filters["translate"] = lambda text: i18n.translations(i18n.current_language()).gettext(
        str(text)
    )
    return env


def is_htmx(request: Request) -> bool:
    """An HTMX request that wants a fragment (not a boosted full page)."""
    return request.headers.get("hx-request") == "true" and not request.headers.get("hx-boosted")


def request_language(request: Request, ctx: RequestContext | None) -> str:
    account = ctx.account if ctx is not None else None
    return i18n.choose_language(
        account.language if account else None,
        request.cookies.get(i18n.LANG_COOKIE),
        request.headers.get("accept-language"),
    )


def nav_for(request: Request, ctx: RequestContext) -> list[dict[str, Any]]:
    """The navigation entries this principal may use in the active unit, in order."""
    principal = ctx.principal
    if principal is None:
        return []
    out: list[dict[str, Any]] = []
    here = request.url.path
    for item in getattr(request.app.state, "nav", []):
        path = str(item["path"])
        if "{unit_id}" in path:
            if ctx.unit_id is None:
                continue
            path = path.replace("{unit_id}", str(ctx.unit_id))
        permission = item.get("permission")
        if permission and not can(principal, permission, ctx.unit_id):
            continue
        out.append(
            {
                "label": item["label"],
                "path": path,
                "current": here == path or here.startswith(path.rstrip("/") + "/"),
            }
        )
    return out


def unread_count(db: Session, account_id: int) -> int:
    return int(
        db.scalar(
            select(func.count(Notification.id)).where(
                Notification.account_id == account_id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template`` in the request's language with the layout's context.

    Templates see ``principal``, ``account``, ``unit`` (active unit), ``units``, ``nav``,
    ``csrf_token``, ``can(perm)``, ``demo``, ``unread``, ``notice``, ``lang`` and ``_``.
    """
    ctx: RequestContext | None = getattr(request.state, "keyguard", None)
    language = request_language(request, ctx)
    settings = get_settings()
    with i18n.language_scope(language):
        base: dict[str, Any] = {
            "request": request,
            "lang": language,
            "html_lang": i18n.html_lang(language),
            "languages": i18n.LANGUAGES,
            "principal": None,
            "account": None,
            "unit": None,
            "units": [],
            "nav": [],
            "unread": 0,
            "demo": settings.demo,
            "csrf_token": "",
            "notice": None,
            "can": lambda *a, **k: False,
        }
        if ctx is not None:
            unit = ctx.active_unit
            base.update(
                principal=ctx.principal,
                account=ctx.account if ctx.principal else None,
                unit=unit,
                units=ctx.units(),
                nav=nav_for(request, ctx),
                demo=settings.demo or bool(unit and unit.is_demo),
                csrf_token=expected_token(request, ctx),
                can=lambda perm, unit_id=None: (
                    ctx.principal is not None
                    and can(ctx.principal, perm, unit_id if unit_id is not None else ctx.unit_id)
                ),
            )
            if ctx.principal is not None and ctx.account is not None:
                base["unread"] = unread_count(ctx.db, ctx.account.id)
        key = request.query_params.get("notice")
        if key in NOTICES:
            base["notice"] = str(NOTICES[key])
        base.update(context or {})
        html = environment().get_template(template).render(base)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    set_pre_cookie(request, response)
    return response
