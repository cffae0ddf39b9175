"""Plain data for the alert and risk pages and their JSON twins (both call these)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.analytics import service
from keyguard.analytics.explain import EVIDENCE_COLUMNS, evidence_rows, explain
from keyguard.analytics.models import TRIAGE_STATES
from keyguard.config import get_settings
from keyguard.errors import NotFound, RuleViolation
from keyguard.identity.permissions import Principal
from keyguard.records.org.models import Unit


def viewer_of(principal: Principal, unit_id: int) -> service.Viewer:
    """Analysts see pseudonyms only; nobody sees their own alerts; department heads none."""
    return service.Viewer(
        person_id=principal.person_id,
        identify=False,
        department_head="department_head" in principal.role_names(unit_id),
    )


def unit_of(db: Session, unit_id: int) -> Unit:
    unit = db.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"no unit {unit_id}")
    return unit


def queue(
    db: Session, unit_id: int, principal: Principal, status: str | None = None
) -> dict[str, Any]:
    if status and status not in TRIAGE_STATES:
        raise RuleViolation(f"unknown status {status!r}")
    unit = unit_of(db, unit_id)
    rows = service.list_alerts(
        db, unit=unit, viewer=viewer_of(principal, unit_id), status=status or None
    )
    return {"alerts": rows, "status": status or "", "states": list(TRIAGE_STATES)}


def detail(
    db: Session, unit_id: int, alert_id: str, principal: Principal, day: str | None = None
) -> dict[str, Any]:
    unit = unit_of(db, unit_id)
    viewer = viewer_of(principal, unit_id)
    alert = service.get_alert(db, alert_id, unit=unit, viewer=viewer)
    home = get_settings().home
    data = explain(db, alert, unit, viewer, home)
    chosen = _day(day)
    data["evidence"] = evidence_rows(db, unit, alert, home, viewer, chosen)
    data["evidence_day"] = chosen.isoformat() if chosen else ""
    data["triage"] = service.triage_history(db, alert.id)
    data["states"] = list(TRIAGE_STATES)
    return data


def evidence(
    db: Session, unit_id: int, alert_id: str, principal: Principal, day: str | None = None
) -> list[dict[str, Any]]:
    unit = unit_of(db, unit_id)
    viewer = viewer_of(principal, unit_id)
    alert = service.get_alert(db, alert_id, unit=unit, viewer=viewer)
    return evidence_rows(db, unit, alert, get_settings().home, viewer, _day(day))


def evidence_csv(
    db: Session, unit_id: int, alert_id: str, principal: Principal, day: str | None = None
) -> str:
    """The evidence as CSV; the download is audited."""
    rows = evidence(db, unit_id, alert_id, principal, day)
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=EVIDENCE_COLUMNS)
    w.writeheader()
    w.writerows(rows)
    audit.record(
        db,
        "export",
        "alert_evidence",
        alert_id,
        {"rows": len(rows), "day": day, "format": "csv"},
        unit_id=unit_id,
    )
    return out.getvalue()


def triage(
    db: Session, unit_id: int, alert_id: str, principal: Principal, status: str, reason: str | None
) -> dict[str, Any]:
    unit = unit_of(db, unit_id)
    alert = service.set_status(
        db, alert_id, unit=unit, viewer=viewer_of(principal, unit_id), status=status, reason=reason
    )
    return {"id": alert.id, "status": alert.status, "reason": alert.status_reason}


def risk(
    db: Session, unit_id: int, principal: Principal, as_of: str | None = None
) -> dict[str, Any]:
    unit = unit_of(db, unit_id)
    day = _day(as_of)
    rows = service.risk_list(db, unit=unit, viewer=viewer_of(principal, unit_id), as_of=day)
    return {"people": rows, "as_of": day.isoformat() if day else ""}


def _day(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise RuleViolation(f"{value!r} is not an ISO date") from exc
