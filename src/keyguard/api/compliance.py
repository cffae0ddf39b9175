"""JSON twin of the compliance page: score, formula, terms with evidence, history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException

from keyguard import audit
from keyguard.api import ActiveUnit, DbSession, require
from keyguard.identity.permissions import Principal, can
from keyguard.records.duties.views import compliance_view
from keyguard.records.org.models import Unit

router = APIRouter()


@router.get("/units/{unit_id}/compliance")
def compliance(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("compliance.view")],
    department: int | None = None,
) -> dict[str, Any]:
    """The compliance score of the unit (or ``department``), computed only from evidence."""
    identify = can(principal, "people.identify", unit.id)
    data = compliance_view(
        db, unit=db.get(Unit, unit.id), department_id=department, identify=identify
    )
    if department is not None and department not in {d["id"] for d in data["departments"]}:
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
    return data
