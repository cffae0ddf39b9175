"""JSON twins of the loophole pages: findings (filtered), the checks and whether each
applies, one finding with its evidence and history, and the actions — run the checks,
assign an owner and a due date, close (fixed, or a risk accepted until a day), reopen.
Without ``people.identify`` people are pseudonyms; reading a finding is audited."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from keyguard.api import ActiveUnit, DbSession, UnitInfo, require
from keyguard.controls import service
from keyguard.controls.models import SEVERITIES
from keyguard.errors import NotFound, RuleViolation
from keyguard.identity.permissions import Principal, can
from keyguard.records.org.models import Unit
from keyguard.records.register.common import person_by_staff_id

router = APIRouter()
Viewer = Annotated[Principal, require("loopholes.view")]
Manager = Annotated[Principal, require("loopholes.manage")]


class AssignIn(BaseModel):
    owner_staff_id: str | None = Field(None, description="Staff id of the new owner")
    due_on: dt.date | None = None
    note: str = ""


class CloseIn(BaseModel):
    note: str
    resolution: Literal["fixed", "accepted"] = "fixed"
    until: dt.date | None = Field(None, description="Last day of an accepted risk")


class ReopenIn(BaseModel):
    note: str = ""


def _unit(db: Session, info: UnitInfo) -> Unit:
    unit = db.get(Unit, info.id)
    if unit is None:
        raise NotFound("no such unit")
    return unit


def _view(db: Session, principal: Principal, unit: Unit, finding_id: str) -> dict[str, Any]:
    identified = can(principal, "people.identify", unit.id)
    f = service.get_finding(db, unit=unit, finding_id=finding_id, identified=identified)
    return service.finding_view(db, unit=unit, finding=f, identified=identified, history=True)


@router.get("/units/{unit_id}/loopholes")
def findings(
    unit_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Viewer,
    status: Literal["open", "closed", ""] = "open",
    severity: Literal["critical", "high", "medium", "low", ""] = "",
    check: str = "",
    overdue: bool = False,
) -> dict[str, Any]:
    """Findings of the unit (default: open ones), most severe and soonest due first."""
    unit = _unit(db, info)
    identified = can(principal, "people.identify", unit.id)
    filt = service.FindingFilter(
        status=status or None, severity=severity or None, check_id=check or None, overdue=overdue
    )
    rows = service.list_findings(db, unit=unit, filt=filt, limit=100000)
    run = service.last_run(db, unit=unit)
    return {
        "unit": unit.code,
        "identified": identified,
        "counts": service.counts_by(db, unit=unit),
        "severities": list(SEVERITIES),
        "last_run": (
            {
                "id": run.id,
                "started_at": run.started_at.isoformat(),
                "as_of": run.as_of.isoformat(),
                "horizon": run.horizon.isoformat() if run.horizon else None,
            }
            if run
            else None
        ),
        "findings": [
            service.finding_view(db, unit=unit, finding=f, identified=identified) for f in rows
        ],
    }


@router.get("/units/{unit_id}/loopholes/checks")
def checks(
    unit_id: int, db: DbSession, info: ActiveUnit, principal: Viewer
) -> list[dict[str, Any]]:
    """Every check: what it supports, its query and parameters, inputs, whether it applies
    to the unit and what its last run did."""
    unit = _unit(db, info)
    return [
        {
            "id": s.check.id,
            "title": s.check.title,
            "description": s.check.description,
            "severity": s.check.severity,
            "status": s.check.status,
            "enabled": s.check.enabled,
            "supports": {"duties": list(s.check.duties), "controls": list(s.check.controls)},
            "inputs": list(s.check.inputs),
            "query": {"name": s.check.query, "params": s.check.params},
            "origin": s.check.origin,
            "state": s.state,
            "reason": s.reason,
            "last_run": s.last,
        }
        for s in service.check_states(db, unit=unit)
    ]


@router.post("/units/{unit_id}/loopholes/run")
def run(unit_id: int, db: DbSession, info: ActiveUnit, principal: Manager) -> dict[str, Any]:
    """Run every check now; returns what each did."""
    result = service.scan_unit_locked(db, unit=_unit(db, info))
    return {
        "run": result.run.id,
        "as_of": result.run.as_of.isoformat(),
        "horizon": result.run.horizon.isoformat() if result.run.horizon else None,
        "counts": result.counts,
        "checks": {o.check.id: o.as_dict() for o in result.outcomes},
    }


@router.get("/units/{unit_id}/loopholes/{finding_id}")
def finding(
    unit_id: int, finding_id: str, db: DbSession, info: ActiveUnit, principal: Viewer
) -> dict[str, Any]:
    """One finding with its evidence rows and history (the look is audited)."""
    return _view(db, principal, _unit(db, info), finding_id)


@router.post("/units/{unit_id}/loopholes/{finding_id}/assign")
def assign(
    unit_id: int,
    finding_id: str,
    body: AssignIn,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
) -> dict[str, Any]:
    """Give the finding an owner and/or a due date (scans keep them)."""
    unit = _unit(db, info)
    f = service.get_finding(db, unit=unit, finding_id=finding_id, view=False)
    owner = person_by_staff_id(db, unit.id, body.owner_staff_id) if body.owner_staff_id else None
    service.assign_finding(db, finding=f, owner=owner, due=body.due_on, note=body.note)
    return _view(db, principal, unit, finding_id)


@router.post("/units/{unit_id}/loopholes/{finding_id}/close")
def close(
    unit_id: int,
    finding_id: str,
    body: CloseIn,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
) -> dict[str, Any]:
    """Close as fixed (a scan reopens it if the loophole is still there) or accept the risk
    until a day."""
    unit = _unit(db, info)
    f = service.get_finding(db, unit=unit, finding_id=finding_id, view=False)
    if body.resolution == "accepted":
        if body.until is None:
            raise RuleViolation("say until when the risk is accepted")
        service.accept_finding(db, finding=f, note=body.note, until=body.until)
    else:
        service.close_finding(db, finding=f, note=body.note)
    return _view(db, principal, unit, finding_id)


@router.post("/units/{unit_id}/loopholes/{finding_id}/reopen")
def reopen(
    unit_id: int,
    finding_id: str,
    body: ReopenIn,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
) -> dict[str, Any]:
    """Reopen a closed finding."""
    unit = _unit(db, info)
    f = service.get_finding(db, unit=unit, finding_id=finding_id, view=False)
    service.reopen_finding(db, finding=f, note=body.note)
    return _view(db, principal, unit, finding_id)
