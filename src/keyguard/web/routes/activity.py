"""Activity of the unit: volume by local day and category (chart and data table), by hour,
by category, source and known/unknown account; the people by volume; one person's
timeline by pseudonym with the events of a day. Pseudonymised; a person's timeline is
audited, never one's own, never for department heads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from keyguard.analytics import activity
from keyguard.identity.permissions import Principal
from keyguard.web.deps import (
    ActiveUnit,
    DashboardCard,
    DbSession,
    UnitInfo,
    is_htmx,
    render,
    require,
)
from keyguard.web.i18n import lazy_gettext

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("Activity"),
        "path": "/units/{unit_id}/activity",
        "permission": "events.view",
        "order": 42,
    }
]


def card_data(db: Session, unit: UnitInfo, principal: Principal) -> dict[str, Any]:
    return activity.card(db, unit.id)


DASHBOARD_CARDS = [
    DashboardCard(
        key="activity",
        title=lazy_gettext("Activity"),
        template="activity/_dashboard_card.html",
        data=card_data,
        permission="events.view",
        order=42,
    )
]


@router.get("/units/{unit_id}/activity", response_class=HTMLResponse)
def activity_overview(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("events.view")],
    first: str = "",
    last: str = "",
    category: str = "",
    department: str = "",
) -> HTMLResponse:
    data = activity.overview(
        db,
        unit_id,
        principal,
        first=first or None,
        last=last or None,
        category=category or None,
        department=department or None,
    )
    template = "activity/_overview.html" if is_htmx(request) else "activity/overview.html"
    return render(request, template, {"data": data})


@router.get("/units/{unit_id}/activity/people", response_class=HTMLResponse)
def activity_people(
    request: Request,
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
) -> HTMLResponse:
    data = activity.people(
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
    template = "activity/_people.html" if is_htmx(request) else "activity/people.html"
    return render(request, template, {"data": data})


@router.get("/units/{unit_id}/activity/people/{pseudonym}", response_class=HTMLResponse)
def activity_person(
    request: Request,
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
) -> HTMLResponse:
    data = activity.person(
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
    template = "activity/_day.html" if is_htmx(request) else "activity/person.html"
    return render(request, template, {"data": data})
