"""The compliance score of the unit or a department: the number, the formula next to it,
the evidence behind every term, and the score over time as a chart with a data table."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.identity.permissions import Principal, can
from keyguard.records.duties.score import history
from keyguard.records.duties.views import chart_points, compliance_view
from keyguard.records.org.models import Unit
from keyguard.web.deps import ActiveUnit, DashboardCard, DbSession, UnitInfo, render, require
from keyguard.web.i18n import lazy_gettext

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("Compliance score"),
        "path": "/units/{unit_id}/compliance",
        "permission": "compliance.view",
        "order": 14,
    },
]


def card_data(db: Session, info: UnitInfo, principal: Principal) -> dict[str, Any]:
    """The latest stored score of the unit and the one before (dashboard card and API)."""
    rows = history(db, unit_id=info.id, days=2)
    latest = rows[-1] if rows else None
    return {
        "score": latest.score if latest else None,
        "day": latest.day.isoformat() if latest else None,
        "previous": rows[-2].score if len(rows) > 1 else None,
    }


DASHBOARD_CARDS = [
    DashboardCard(
        key="compliance",
        title=lazy_gettext("Compliance score"),
        template="compliance/_dashboard_card.html",
        data=card_data,
        permission="compliance.view",
        order=15,
    )
]


@router.get("/units/{unit_id}/compliance")
def compliance_page(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("compliance.view")],
    department: int | None = None,
) -> HTMLResponse:
    identify = can(principal, "people.identify", unit.id)
    row = db.get(Unit, unit.id)
    assert row is not None
    data = compliance_view(db, unit=row, department_id=department, identify=identify)
    if department is not None and department not in {d["id"] for d in data["departments"]}:
        from fastapi import HTTPException

        raise HTTPException(404, "no such department")
    if identify:
        audit.record(
            db,
            "view",
            "compliance_evidence",
            department,
            {"department": department},
            unit_id=unit.id,
        )
    chart = chart_points(data["history"])
    return render(request, "compliance/score.html", {"data": data, "chart": chart})
