"""The alert queue, an alert with its explanation, chart and evidence, and triage.
Everything is pseudonymised; nobody sees alerts about themselves."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from keyguard.analytics import views
from keyguard.cases import service as cases_service
from keyguard.cases import views as case_views
from keyguard.identity.permissions import Principal, can
from keyguard.web.deps import ActiveUnit, DbSession, is_htmx, render, require
from keyguard.web.i18n import lazy_gettext

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("Alerts"),
        "path": "/units/{unit_id}/alerts",
        "permission": "alerts.view",
        "order": 44,
    }
]


@router.get("/units/{unit_id}/alerts", response_class=HTMLResponse)
def alert_queue(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("alerts.view")],
    status: str = "",
) -> HTMLResponse:
    return render(request, "alerts/list.html", views.queue(db, unit_id, principal, status))


@router.get("/units/{unit_id}/alerts/{alert_id}", response_class=HTMLResponse)
def alert_detail(
    request: Request,
    unit_id: int,
    alert_id: str,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("alerts.view")],
    day: str = "",
) -> HTMLResponse:
    if is_htmx(request):
        rows = views.evidence(db, unit_id, alert_id, principal, day or None)
        return render(
            request,
            "alerts/_evidence.html",
            {"evidence": rows, "evidence_day": day, "alert_id": alert_id},
        )
    data = views.detail(db, unit_id, alert_id, principal, day or None)
    data.update(cases_of(db, principal, unit_id, alert_id))
    return render(request, "alerts/detail.html", data)


def cases_of(db: Session, principal: Principal, unit_id: int, alert_id: str) -> dict[str, Any]:
    """The cases this alert is linked to (never one about the viewer), pseudonymous, and
    the open one if any (then no second case can be opened from it)."""
    if not can(principal, "cases.view", unit_id):
        return {"cases": [], "active_case": None}
    found = [
        c
        for c in cases_service.cases_of_subject(db, unit_id=unit_id, kind="alert", ref=alert_id)
        if principal.person_id is None or c.person_id != principal.person_id
    ]
    rows = [case_views.case_row(db, c) for c in found]
    return {
        "cases": rows,
        "active_case": next((r for r in rows if r["status"] != "closed"), None),
    }


@router.get("/units/{unit_id}/alerts/{alert_id}/evidence.csv")
def alert_evidence_csv(
    unit_id: int,
    alert_id: str,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("alerts.view")],
    day: str = "",
) -> Response:
    text = views.evidence_csv(db, unit_id, alert_id, principal, day or None)
    return Response(
        text,
        media_type="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="alert-{alert_id[:12]}-evidence.csv"'
        },
    )


@router.post("/units/{unit_id}/alerts/{alert_id}/triage")
def alert_triage(
    unit_id: int,
    alert_id: str,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("alerts.triage")],
    status: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> RedirectResponse:
    views.triage(db, unit_id, alert_id, principal, status, reason)
    return RedirectResponse(f"/units/{unit_id}/alerts/{alert_id}#triage", status_code=303)
