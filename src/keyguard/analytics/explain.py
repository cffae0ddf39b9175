"""Every alert explains itself: which policies fired, each indicator's value against the
person's own and peers' usual range, a daily chart by category over ±30 days with the
person's usual 10th–90th percentile band and markers on the days policies fired, and the
evidence events with their source. Plain data for the page, its JSON twin and the CSV."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.analytics.baselines import scaled_value
from keyguard.analytics.days import day_no, iso
from keyguard.analytics.evidence import (
    daily_counts,
    evidence_filter,
    pseudonymiser,
    read_events,
)
from keyguard.analytics.models import Alert
from keyguard.analytics.service import Viewer, display_user
from keyguard.analytics.store import SCHEMA_FILE, Cache
from keyguard.policies import catalog
from keyguard.policies.loader import load_policies
from keyguard.records.org.models import Person, Unit

CHART_DAYS = 30
CATEGORIES = ("logon", "device", "file", "decoy", "email", "http")
EVIDENCE_COLUMNS = [
    "local_time",
    "utc_time",
    "category",
    "activity",
    "item",
    "level",
    "host",
    "object",
    "source",
    "ingest_run",
]


def _spellings(home: Path, unit_code: str, key: str) -> list[str]:
    path = Cache(home, unit_code).root / "users.json"
    if not path.exists():
        return []
    known: dict[str, dict[str, int]] = json.loads(path.read_text(encoding="utf-8"))
    return sorted(known.get(key, {}))


def _cached_rows(
    home: Path, unit_code: str, table: str, key: str, lo: int, hi: int
) -> list[dict[str, Any]]:
    cache = Cache(home, unit_code)
    files = cache.files(table, lo, hi)
    if not files:
        return []
    con = duckdb.connect()
    try:
        every = [str(cache.table_dir(table) / SCHEMA_FILE), *files]
        listing = ", ".join("'" + f.replace("'", "''") + "'" for f in every)
        lit = "'" + key.replace("'", "''") + "'"
        return (
            con.sql(
                f"SELECT * FROM read_parquet([{listing}], union_by_name = true, "
                f"hive_partitioning = false) WHERE user_key = {lit} "
                f"AND day_no BETWEEN {lo} AND {hi} ORDER BY day_no"
            )
            .to_arrow_table()
            .to_pylist()
        )
    finally:
        con.close()


def indicator_rows(
    alert: Alert, features: dict[int, dict[str, Any]], baselines: dict[int, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each indicator of the alert on the day of the episode where it was highest, with the
    person's own 10th–90th percentile and median and the peers' median and 90th percentile
    (indicators that stayed at zero over the episode come last)."""
    cat = catalog.indicators()
    episode = range(day_no(alert.first_day), day_no(alert.last_day) + 1)
    out = []
    for ind in alert.indicators:
        days = [d for d in episode if d in features]
        if not days or ind not in cat:
            continue
        best = max(days, key=lambda d: features[d].get(ind) or 0)
        b = baselines.get(best, {})
        row = features[best]
        out.append(
            {
                "id": ind,
                "title": cat[ind].title,
                "day": iso(best),
                "value": row.get(ind),
                # what the own range is compared with while the history is shorter than
                # the window (None once it covers it)
                "value_scaled": scaled_value(
                    ind, row.get(ind), best, row.get("seen_from"), row.get("unit_from")
                ),
                "window": cat[ind].window,
                "own_p10": b.get(f"{ind}__own_p10"),
                "own_p50": b.get(f"{ind}__own_p50"),
                "own_p90": b.get(f"{ind}__own_p90"),
                "own_days": b.get("own_days"),
                "peer_p50": b.get(f"{ind}__peer_p50"),
                "peer_p90": b.get(f"{ind}__peer_p90"),
                "peer_level": b.get("peer_level"),
                "peer_n": b.get("peer_n"),
                "description": cat[ind].description,
            }
        )
    return sorted(out, key=lambda r: not r["value"])


def chart(
    alert: Alert,
    counts: dict[str, dict[str, int]],
    baselines: dict[int, dict[str, Any]],
    markers: dict[str, list[str]],
    first: dt.date,
    last: dt.date,
) -> dict[str, Any]:
    """Daily counts by category with the usual band and policy markers, and its data table."""
    days = [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    cats = [c for c in CATEGORIES if any(counts.get(d, {}).get(c) for d in days)]
    cats += sorted({c for d in days for c in counts.get(d, {})} - set(cats))
    band = [baselines.get(day_no(dt.date.fromisoformat(d)), {}) for d in days]
    table = [
        {
            "day": d,
            **{c: counts.get(d, {}).get(c, 0) for c in cats},
            "usual_p10": b.get("events_total__own_p10"),
            "usual_p90": b.get("events_total__own_p90"),
            "policies": markers.get(d, []),
        }
        for d, b in zip(days, band, strict=True)
    ]
    palette = ["#1f6feb", "#8957e5", "#2da44e", "#bf3989", "#d29922", "#57606a", "#cf222e"]
    datasets: list[dict[str, Any]] = [
        {
            "type": "bar",
            "label": c,
            "data": [r[c] for r in table],
            "stack": "events",
            "backgroundColor": palette[i % len(palette)],
        }
        for i, c in enumerate(cats)
    ]
    datasets.append(
        {
            "type": "line",
            "label": "usual p90",
            "data": [r["usual_p90"] for r in table],
            "borderColor": "#6e7781",
            "borderDash": [4, 4],
            "pointRadius": 0,
            "fill": False,
        }
    )
    datasets.append(
        {
            "type": "line",
            "label": "usual p10",
            "data": [r["usual_p10"] for r in table],
            "borderColor": "#6e7781",
            "borderDash": [4, 4],
            "pointRadius": 0,
            "fill": "-1",
            "backgroundColor": "rgba(110,119,129,0.15)",
        }
    )
    top = max([sum(counts.get(d, {}).values()) for d in days] + [1])
    datasets.append(
        {
            "type": "scatter",
            "label": "policy fired",
            "data": [{"x": d, "y": top * 1.05} for d in days if markers.get(d)],
            "backgroundColor": "#cf222e",
            "pointStyle": "triangle",
            "pointRadius": 7,
        }
    )
    spec = {
        "type": "bar",
        "data": {"labels": days, "datasets": datasets},
        "options": {
            "responsive": True,
            "animation": False,
            "scales": {"x": {"stacked": True}, "y": {"stacked": True, "beginAtZero": True}},
        },
    }
    return {"spec": spec, "table": table, "categories": cats}


def evidence_rows(
    session: Session,
    unit: Unit,
    alert: Alert,
    home: Path,
    viewer: Viewer,
    day: dt.date | None = None,
) -> list[dict[str, Any]]:
    """The events behind the alert (its indicators' evidence filters) over its days, or one
    day; local and UTC time, item and level, host, source ``file:line``, ingest run."""
    first, last = (day, day) if day else (alert.first_day, alert.last_day)
    users = _spellings(home, unit.code, alert.user_key) or [alert.source_user]
    events = read_events(home, unit.code, users, first, last, evidence_filter(alert.indicators))
    tz = zoneinfo.ZoneInfo(unit.timezone or "UTC")
    items = _items(session, unit, home, alert.user_key, events)
    pz = None if viewer.identify else pseudonymiser(session, unit)
    out = []
    for e in events:
        t: dt.datetime = e["time_utc"]
        item, level = items.get(e["event_id"], (None, None))
        row = {
            "local_time": t.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
            "utc_time": t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
            "category": e["category"],
            "activity": e["activity"],
            "item": item,
            "level": level,
            "host": e["host"],
            "object": _object(e),
            "source": f"{e['source_file']}:{e['source_line']}",
            "ingest_run": e["ingest_run"],
        }
        if pz is not None:
            for k in ("host", "object", "item"):
                row[k] = pz.text(row[k])
        out.append(row)
    return out


def _object(e: dict[str, Any]) -> str | None:
    if e.get("category") == "email":
        rcpt = ", ".join(e.get("recipients") or [])
        n = len(e.get("attachments") or [])
        return f"from {e.get('sender')} to {rcpt}" + (f" ({n} attachments)" if n else "")
    if e.get("category") == "http":
        return e.get("url_host") or e.get("object")
    return e.get("object")


def _items(
    session: Session, unit: Unit, home: Path, key: str, events: list[dict[str, Any]]
) -> dict[str, tuple[str | None, str | None]]:
    """Event id -> (item, level): register items where there is a register, else the share
    the file lies on and whose it is."""
    with_object = [
        e for e in events if e.get("object") and e.get("category") in ("file", "http", "decoy")
    ]
    if not with_object:
        return {}
    from keyguard.records.register.matching import event_items, pattern_table

    if pattern_table(session, unit.id).num_rows:
        import pyarrow as pa

        con = duckdb.connect()
        try:
            con.register("kg_evidence", pa.Table.from_pylist(with_object))
            rows = event_items(con, unit.code, "kg_evidence", session=session).fetchall()
            cols = ["event_id", "local_date", "source_user", "item_id", "reference", "level"]
            out: dict[str, tuple[str | None, str | None]] = {}
            for r in rows:
                d = dict(zip(cols, r[:6], strict=True))
                prev = out.get(d["event_id"])
                ref = d["reference"] if prev is None else f"{prev[0]}; {d['reference']}"
                out[d["event_id"]] = (ref, d["level"])
            return out
        finally:
            con.close()
    lo = min(day_no(e["local_date"]) for e in with_object)
    hi = max(day_no(e["local_date"]) for e in with_object)
    owned = {
        (r["day_no"], r["item_id"]): r
        for r in _cached_rows(home, unit.code, "b_item_access", key, lo, hi)
    }
    out = {}
    for e in with_object:
        r = owned.get((day_no(e["local_date"]), str(e["object"]).replace("\\", "/").lower()))
        if r is not None:
            out[e["event_id"]] = (
                f"share of {r['owner']}" if r.get("owner") else "own share",
                "outside need-to-know" if r["outside"] else "within need-to-know",
            )
    return out


def explain(
    session: Session, alert: Alert, unit: Unit, viewer: Viewer, home: Path
) -> dict[str, Any]:
    """The whole explanation of one alert (for the page and its JSON twin)."""
    first = alert.fired_day - dt.timedelta(days=CHART_DAYS)
    last = alert.last_day + dt.timedelta(days=CHART_DAYS)
    lo, hi = day_no(first), day_no(last)
    features = {
        r["day_no"]: r for r in _cached_rows(home, unit.code, "features", alert.user_key, lo, hi)
    }
    baselines = {
        r["day_no"]: r for r in _cached_rows(home, unit.code, "baselines", alert.user_key, lo, hi)
    }
    others = list(
        session.scalars(
            select(Alert).where(
                Alert.unit_id == unit.id, Alert.user_key == alert.user_key, Alert.active
            )
        )
    )
    markers: dict[str, list[str]] = {}
    for a in others:
        for d in a.fired_days:
            markers.setdefault(d, []).append(a.policy_title)
    policies = {p.id: p for p in load_policies(home, include_deprecated=True)}
    policy = policies.get(alert.policy_id)
    person = session.get(Person, alert.person_id) if alert.person_id else None
    users = _spellings(home, unit.code, alert.user_key) or [alert.source_user]
    counts = daily_counts(home, unit.code, users, first, last)
    return {
        "alert": {
            "id": alert.id,
            "status": alert.status,
            "status_reason": alert.status_reason,
            "score": alert.score,
            "level": alert.level,
            "first_day": alert.first_day.isoformat(),
            "fired_day": alert.fired_day.isoformat(),
            "last_day": alert.last_day.isoformat(),
            "fired_days": list(alert.fired_days),
            "indicators": list(alert.indicators),
            "user": display_user(
                unit.code,
                alert.user_key,
                alert.source_user,
                person.pseudonym if person else None,
                viewer.identify,
            ),
        },
        "policy": {
            "id": alert.policy_id,
            "title": alert.policy_title,
            "version": alert.policy_version,
            "description": policy.description if policy else "",
            "condition": policy.condition_text if policy else "",
            "falsepositives": list(policy.falsepositives) if policy else [],
            "current_version": policy.version if policy else None,
        },
        "policies_fired": sorted(
            {(a.policy_title, a.fired_day.isoformat(), a.id) for a in others}, key=lambda t: t[1]
        ),
        "indicators": indicator_rows(alert, features, baselines),
        "chart": chart(alert, counts, baselines, markers, first, last),
        "notes": list(alert.notes),
    }
