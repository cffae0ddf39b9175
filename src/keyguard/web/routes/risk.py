"""The risk list: each person's current risk (pseudonymised), highest first, a page at a
time (``analytics.service.risk_page``: a constant number of queries per page)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from keyguard.analytics import service, views
from keyguard.errors import RuleViolation
from keyguard.identity.permissions import Principal
from keyguard.web.deps import ActiveUnit, DbSession, render, require
from keyguard.web.i18n import lazy_gettext

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("Risk"),
        "path": "/units/{unit_id}/risk",
        "permission": "alerts.view",
        "order": 45,
    }
]


@router.get("/units/{unit_id}/risk", response_class=HTMLResponse)
def risk_page(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("alerts.view")],
    as_of: str = "",
    page: int = 1,
) -> HTMLResponse:
    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise RuleViolation(f"{as_of!r} is not an ISO date") from None
    data = service.risk_page(
        db,
        unit=views.unit_of(db, unit_id),
        viewer=views.viewer_of(principal, unit_id),
        as_of=day,
        page=page,
    )
    base = f"/units/{unit_id}/risk?" + (urlencode({"as_of": as_of}) + "&" if as_of else "")
    return render(
        request,
        "risk/list.html",
        {**data, "shown_as_of": data["as_of"], "as_of": as_of, "base_url": base},
    )
