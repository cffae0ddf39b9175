"""The unit dashboard: a grid of cards that any page module can add to.

A module adds cards with ``DASHBOARD_CARDS = [DashboardCard(...)]`` (see
:class:`keyguard.web.deps.DashboardCard`); each card is shown to those holding its
permission in the unit, and its data is also served by ``/api/v1/units/{unit_id}/dashboard``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyguard.identity.permissions import Principal, can
from keyguard.records.org.models import OrgNode, Person
from keyguard.web.deps import ActiveUnit, DashboardCard, DbSession, UnitInfo, render, require
from keyguard.web.i18n import lazy_gettext

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("Dashboard"),
        "path": "/units/{unit_id}/dashboard",
        "permission": "unit.view",
        "order": 10,
    }
]


def people_summary(db: Session, unit: UnitInfo, principal: Principal) -> dict[str, Any]:
    """People of the unit by employment status, and the number of departments."""
    rows = db.execute(
        select(Person.status, func.count(Person.id))
        .where(Person.unit_id == unit.id)
        .group_by(Person.status)
    ).all()
    by_status = {str(status): int(n) for status, n in rows}
    departments = (
        db.scalar(
            select(func.count(OrgNode.id)).where(
                OrgNode.unit_id == unit.id,
                OrgNode.kind == "department",
                OrgNode.retired_from.is_(None),
            )
        )
        or 0
    )
    return {
        "people": sum(by_status.values()),
        "by_status": by_status,
        "departments": int(departments),
    }


DASHBOARD_CARDS = [
    DashboardCard(
        key="people",
        title=lazy_gettext("People"),
        template="dashboard/_card_people.html",
        data=people_summary,
        permission="unit.view",
        order=10,
    ),
]


def cards_for(
    request: Request, db: Session, unit: UnitInfo, principal: Principal
) -> list[dict[str, Any]]:
    """The dashboard cards this principal may see in ``unit``, with their data."""
    out = []
    for card in getattr(request.app.state, "dashboard_cards", []):
        if can(principal, card.permission, unit.id):
            out.append({"card": card, "data": card.data(db, unit, principal)})
    return out


@router.get("/units/{unit_id}/dashboard")
def dashboard(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("unit.view")],
) -> HTMLResponse:
    return render(
        request, "dashboard/index.html", {"cards": cards_for(request, db, unit, principal)}
    )
