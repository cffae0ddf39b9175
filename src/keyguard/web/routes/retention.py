"""Retention settings of a unit (``retention.manage``): days kept per kind of data, the
minimum raw events need (longest detector window plus baseline period), today's cut-offs,
cases on legal hold, the last purges, and "purge now"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from keyguard.cases import retention
from keyguard.errors import KeyguardError, NotFound
from keyguard.identity.permissions import Principal
from keyguard.records.org.models import Unit
from keyguard.scheduler.lock import job_lock
from keyguard.web.deps import ActiveUnit, DbSession, UnitInfo, notice, render, require
from keyguard.web.i18n import lazy_gettext
from keyguard.web.routes.cases import _error

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("Retention"),
        "path": "/units/{unit_id}/retention",
        "permission": "retention.manage",
        "order": 90,
    }
]
SAVED = notice("retention_saved", lazy_gettext("The retention settings were saved."))
PURGED = notice("retention_purged", lazy_gettext("The purge ran; its counts are below."))

Keeper = Annotated[Principal, require("retention.manage")]
KIND_LABELS = {
    "raw_events": lazy_gettext("Raw events (the event store)"),
    "alerts": lazy_gettext("Alerts"),
    "dismissed_alerts": lazy_gettext("Dismissed alerts"),
    "cases": lazy_gettext("Closed cases (never those on legal hold)"),
    "audit_log": lazy_gettext("Audit log (sealed, never edited)"),
}


def _unit(db: Session, info: UnitInfo) -> Unit:
    unit = db.get(Unit, info.id)
    if unit is None:
        raise NotFound("no such unit")
    return unit


def page(
    request: Request, db: Session, unit: Unit, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    ctx = retention.settings_view(db, unit=unit)
    ctx.update(error=error, kinds=KIND_LABELS)
    return render(request, "retention/settings.html", ctx, status_code=status_code)


@router.get("/units/{unit_id}/retention")
def settings_page(
    request: Request, unit_id: int, db: DbSession, info: ActiveUnit, principal: Keeper
) -> HTMLResponse:
    return page(request, db, _unit(db, info))


def _days(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValueError(f"{value!r} is not a number of days")
    return int(value)


@router.post("/units/{unit_id}/retention")
def save(
    request: Request,
    unit_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Keeper,
    raw_events: Annotated[str, Form()] = "",
    alerts: Annotated[str, Form()] = "",
    dismissed_alerts: Annotated[str, Form()] = "",
    cases: Annotated[str, Form()] = "",
    audit_log: Annotated[str, Form()] = "",
) -> Response:
    unit = _unit(db, info)
    try:
        values = {
            "raw_events": _days(raw_events),
            "alerts": _days(alerts),
            "dismissed_alerts": _days(dismissed_alerts),
            "cases": _days(cases),
            "audit_log": _days(audit_log),
        }
        for required in ("raw_events", "alerts", "dismissed_alerts"):
            if values[required] is None:
                values.pop(required)
        retention.set_retention(db, unit=unit, values=values)
    except (KeyguardError, ValueError) as exc:
        db.rollback()
        return page(request, db, _unit(db, info), error=_error(request, exc), status_code=400)
    return RedirectResponse(f"/units/{unit_id}/retention?notice={SAVED}", status_code=303)


@router.post("/units/{unit_id}/retention/purge")
def purge(
    request: Request, unit_id: int, db: DbSession, info: ActiveUnit, principal: Keeper
) -> Response:
    unit = _unit(db, info)
    try:
        with job_lock("retention purge"):
            retention.purge_unit(db, unit=unit)
    except KeyguardError as exc:
        db.rollback()
        return page(request, db, _unit(db, info), error=_error(request, exc), status_code=400)
    return RedirectResponse(f"/units/{unit_id}/retention?notice={PURGED}", status_code=303)
