"""JSON twins of the alert pages (pseudonymised, audited like the pages)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel

from keyguard.analytics import views
from keyguard.api import ActiveUnit, DbSession, require
from keyguard.identity.permissions import Principal

router = APIRouter()


class TriageIn(BaseModel):
    status: str
    reason: str = ""


@router.get("/units/{unit_id}/alerts")
def alerts(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("alerts.view")],
    status: str = "",
) -> dict[str, Any]:
    """The alert queue, highest score first."""
    return views.queue(db, unit_id, principal, status)


@router.get("/units/{unit_id}/alerts/{alert_id}")
def alert(
    unit_id: int,
    alert_id: str,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("alerts.view")],
    day: str = "",
) -> dict[str, Any]:
    """One alert: policies, indicators against usual ranges, chart data and evidence."""
    return views.detail(db, unit_id, alert_id, principal, day or None)


@router.get("/units/{unit_id}/alerts/{alert_id}/evidence")
def alert_evidence(
    unit_id: int,
    alert_id: str,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("alerts.view")],
    day: str = "",
) -> list[dict[str, Any]]:
    """The evidence events (optionally of one day)."""
    return views.evidence(db, unit_id, alert_id, principal, day or None)


@router.post("/units/{unit_id}/alerts/{alert_id}/triage")
def alert_triage(
    unit_id: int,
    alert_id: str,
    body: TriageIn,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("alerts.triage")],
) -> dict[str, Any]:
    """Set the triage state (new, under_review, dismissed with a reason, confirmed)."""
    return views.triage(db, unit_id, alert_id, principal, body.status, body.reason)
