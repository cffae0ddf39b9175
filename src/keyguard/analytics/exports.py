"""Alert and risk exports (CSV or JSON), audited. Users are written as in the source logs,
or as pseudonyms with ``pseudonymised``."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.analytics.models import Alert
from keyguard.analytics.run import source_users
from keyguard.analytics.service import _pseudonyms, display_user, risk_by_person
from keyguard.config import get_settings
from keyguard.errors import RuleViolation
from keyguard.records.org.models import Unit

ALERT_COLUMNS = ["user", "score", "day", "first_day", "detector", "indicators"]
RISK_COLUMNS = ["user", "score", "top_indicators"]


def alert_rows(session: Session, unit: Unit, *, pseudonymised: bool) -> list[dict[str, Any]]:
    """One row per active alert, highest score first: ``day`` is the first day it fired,
    ``first_day`` the first day of activity it covers (ISO local dates)."""
    names = _pseudonyms(session, unit)
    spell = source_users(get_settings().home, unit.code)
    rows = []
    q = (
        select(Alert)
        .where(Alert.unit_id == unit.id, Alert.active)
        .order_by(Alert.score.desc(), Alert.fired_day, Alert.id)
    )
    for a in session.scalars(q):
        rows.append(
            {
                "user": display_user(
                    unit.code,
                    a.user_key,
                    spell.get(a.user_key, a.source_user),
                    names.get(a.person_id or -1),
                    not pseudonymised,
                ),
                "score": round(float(a.score), 1),
                "day": a.fired_day.isoformat(),
                "first_day": a.first_day.isoformat(),
                "detector": a.policy_id,
                "indicators": ";".join(a.indicators),
            }
        )
    return rows


def risk_rows(
    session: Session,
    unit: Unit,
    *,
    pseudonymised: bool,
    start: dt.date | None = None,
    end: dt.date | None = None,
    as_of: dt.date | None = None,
) -> list[dict[str, Any]]:
    """One row per person seen in the logs: peak daily risk over ``start..end`` (or the
    risk decayed to ``as_of``), highest first; ``top_indicators`` joined by ``;``."""
    if as_of is not None and (start is not None or end is not None):
        raise RuleViolation("--as-of gives the risk on one day: do not combine it with --from/--to")
    names = _pseudonyms(session, unit)
    spell = source_users(get_settings().home, unit.code)
    scored = {
        r["user_key"]: r
        for r in risk_by_person(session, unit=unit, start=start, end=end, as_of=as_of)
    }
    people = dict.fromkeys(spell) | {k: r["person_id"] for k, r in scored.items()}
    rows = []
    for key in people:
        r = scored.get(key)
        person_id = r["person_id"] if r else None
        rows.append(
            {
                "user": display_user(
                    unit.code,
                    key,
                    spell.get(key, key),
                    names.get(person_id or -1),
                    not pseudonymised,
                ),
                "score": round(float(r["score"]), 1) if r else 0.0,
                "top_indicators": ";".join(r["top"]) if r and r["score"] > 0 else "",
            }
        )
    return sorted(rows, key=lambda x: (-x["score"], x["user"]))


def write(rows: list[dict[str, Any]], columns: list[str], out: Path, fmt: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        out.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)


def export_alerts(
    session: Session, unit: Unit, out: Path, *, fmt: str = "csv", pseudonymised: bool = False
) -> int:
    """Write the alerts export; audited. Returns the number of rows."""
    if fmt not in ("csv", "json"):
        raise RuleViolation(f"unknown format {fmt!r}: csv or json")
    rows = alert_rows(session, unit, pseudonymised=pseudonymised)
    write(rows, ALERT_COLUMNS, out, fmt)
    audit.record(
        session,
        "export",
        "alerts",
        None,
        {"file": str(out), "format": fmt, "rows": len(rows), "pseudonymised": pseudonymised},
        unit_id=unit.id,
    )
    return len(rows)


def export_risk(
    session: Session,
    unit: Unit,
    out: Path,
    *,
    pseudonymised: bool = False,
    start: dt.date | None = None,
    end: dt.date | None = None,
    as_of: dt.date | None = None,
    fmt: str = "csv",
) -> int:
    """Write the risk export; audited. Returns the number of rows."""
    rows = risk_rows(session, unit, pseudonymised=pseudonymised, start=start, end=end, as_of=as_of)
    write(rows, RISK_COLUMNS, out, fmt)
    audit.record(
        session,
        "export",
        "risk",
        None,
        {
            "file": str(out),
            "rows": len(rows),
            "pseudonymised": pseudonymised,
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
            "as_of": as_of.isoformat() if as_of else None,
        },
        unit_id=unit.id,
    )
    return len(rows)
