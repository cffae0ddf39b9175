"""JSON twin of the risk list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from keyguard.analytics import views
from keyguard.api import ActiveUnit, DbSession, require
from keyguard.identity.permissions import Principal

router = APIRouter()


@router.get("/units/{unit_id}/risk")
def risk(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("alerts.view")],
    as_of: str = "",
) -> dict[str, Any]:
    """Each person's risk on ``as_of`` (default: the last day with data), highest first."""
    return views.risk(db, unit_id, principal, as_of or None)
