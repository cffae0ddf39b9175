"""The compliance score of the unit or a department: the number, the formula next to it,
the evidence behind every term, and the score over time as a chart with a data table."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from keyguard import audit
from keyguard.identity.permissions import Principal, can
from keyguard.records.duties.views import chart_points, compliance_view
from keyguard.records.org.models import Unit
from keyguard.web.deps import ActiveUnit, DbSession, render, require
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
