"""Who saw whom: every look at a real identity (who, whom, when, why, approved by whom) and
every re-identification request with its decision, for auditors (``audit.view``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from keyguard.cases import views
from keyguard.errors import NotFound, RuleViolation
from keyguard.identity.permissions import Principal, can
from keyguard.records.org.models import Unit
from keyguard.web.deps import ActiveUnit, DbSession, render, require
from keyguard.web.i18n import lazy_gettext

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("Who saw whom"),
        "path": "/units/{unit_id}/audit/who-saw",
        "permission": "audit.view",
        "order": 95,
    }
]

Auditor = Annotated[Principal, require("audit.view")]


def parse_day(value: str, what: str) -> dt.date | None:
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise RuleViolation(f"{what} {value!r} is not a date (YYYY-MM-DD)") from None


@router.get("/units/{unit_id}/audit/who-saw")
def who_saw(
    request: Request,
    unit_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Auditor,
    subject: str = "",
    since: str = "",
    until: str = "",
) -> HTMLResponse:
    unit = db.get(Unit, info.id)
    if unit is None:
        raise NotFound("no such unit")
    data = views.who_saw(
        db,
        unit=unit,
        subject=subject or None,
        since=parse_day(since, "from"),
        until=parse_day(until, "until"),
        names=can(principal, "people.identify", unit.id),
    )
    return render(
        request,
        "audit_views/who_saw.html",
        {**data, "subject": subject, "since": since, "until": until},
    )
