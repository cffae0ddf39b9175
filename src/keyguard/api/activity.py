"""JSON twins of the activity pages (pseudonymised and audited like the pages)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from keyguard.analytics import activity
from keyguard.api import ActiveUnit, DbSession, require
from keyguard.identity.permissions import Principal

router = APIRouter()


@router.get("/units/{unit_id}/activity")
def activity_overview(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("events.view")],
    first: str = "",
    last: str = "",
    category: str = "",
    department: str = "",
) -> dict[str, Any]:
    """Events per local day and category (with the chart data), per local hour, per
    category, per source adapter and ingest run, known people against unknown accounts.
    Default range: the last 90 days of data; ``category`` takes a comma-separated list."""
    return activity.overview(
        db,
        unit_id,
        principal,
        first=first or None,
        last=last or None,
        category=category or None,
        department=department or None,
    )


@router.get("/units/{unit_id}/activity/people")
def activity_people(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("events.view")],
    first: str = "",
    last: str = "",
    category: str = "",
    department: str = "",
    search: str = "",
    account: str = "",
    page: str = "1",
) -> dict[str, Any]:
    """People and unknown accounts by pseudonym, busiest first, 50 a page."""
    return activity.people(
        db,
        unit_id,
        principal,
        first=first or None,
        last=last or None,
        category=category or None,
        department=department or None,
        search=search or None,
        account=account or None,
        page=page,
    )


@router.get("/units/{unit_id}/activity/people/{pseudonym}")
def activity_person(
    unit_id: int,
    pseudonym: str,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("events.view")],
    first: str = "",
    last: str = "",
    day: str = "",
    category: str = "",
    page: str = "1",
) -> dict[str, Any]:
    """One person's timeline: daily and hourly volume by category, and the events of one
    local day (default: the last active day), 100 a page. Every call is audited."""
    return activity.person(
        db,
        unit_id,
        pseudonym,
        principal,
        first=first or None,
        last=last or None,
        day=day or None,
        category=category or None,
        page=page,
    )
