"""The risk list: each person's current risk (pseudonymised), highest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from keyguard.analytics import views
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
) -> HTMLResponse:
    return render(request, "risk/list.html", views.risk(db, unit_id, principal, as_of or None))
