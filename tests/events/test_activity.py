"""The read-only activity queries (keyguard.events.activity) over a real event store made by
the real ingest of a hand-made CERT folder: local days, categories, hours, sources, known
and unknown accounts, per-user totals, one day's events in order with limit and offset,
and the scope's filters (days, categories, users; only the chosen days' files are read)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from keyguard.events import activity as q
from keyguard.events.schema import CATEGORIES
from keyguard.events.store import EventStore
from web.activity_data import DAYS, EXPECTED, EXPECTED_A001, EXPECTED_UNKNOWN, load
from web.prepared import build_world

D5, D6, D7 = DAYS


@pytest.fixture
def store(session: Session, home: Path, tmp_path: Path) -> EventStore:
    build_world(session)
    load(session, tmp_path)
    session.commit()
    return EventStore(home)


def scope(**kw: object) -> q.Scope:
    base: dict[str, object] = {"unit": "unit-a", "first": D5, "last": D7}
    base.update(kw)
    return q.Scope(**base)  # type: ignore[arg-type]


def test_data_days_and_empty_units(store: EventStore) -> None:
    assert q.data_days(store, "unit-a") == (D5, D7)
    assert q.data_days(store, "nobody") is None
    empty = q.overview(store, q.Scope("nobody", D5, D7))
    assert empty["total"] == 0 and empty["daily"] == [] and empty["sources"] == []
    assert q.user_totals(store, q.Scope("nobody", D5, D7)) == []
    assert q.day_events(store, q.Scope("nobody", D5, D5)) == (0, [])


def test_overview_aggregates(store: EventStore) -> None:
    data = q.overview(store, scope())
    assert data["by_category"] == EXPECTED
    assert data["categories"] == [c for c in CATEGORIES if c in EXPECTED]
    assert data["total"] == sum(EXPECTED.values())
    assert data["unknown"] == {"events": EXPECTED_UNKNOWN, "users": 1}
    assert data["known"] == {"events": data["total"] - EXPECTED_UNKNOWN, "users": 3}
    daily = {(r["day"], r["category"]): r["events"] for r in data["daily"]}
    assert daily[(D6, "logon")] == 4  # includes 01:30 local, which is D5 in UTC
    assert daily[(D6, "email")] == 1 and (D5, "email") not in daily
    hourly = {(r["hour"], r["category"]): r["events"] for r in data["hourly"]}
    assert hourly[(1, "logon")] == 1 and hourly[(10, "file")] == 6
    assert sum(hourly.values()) == data["total"]
    (source,) = data["sources"]
    assert source["adapter"] == "cert" and source["events"] == data["total"]
    assert (source["first_day"], source["last_day"]) == (D5, D7)


def test_scope_filters_days_categories_and_users(store: EventStore) -> None:
    one_day = q.overview(store, scope(first=D7, last=D7))
    assert one_day["by_category"] == {"logon": 4, "file": 2}
    assert (
        q.overview(store, scope(first=D7 + dt.timedelta(days=1), last=D7 + dt.timedelta(days=30)))[
            "total"
        ]
        == 0
    )
    files = q.overview(store, scope(categories=("file", "http")))
    assert files["by_category"] == {"file": 6, "http": 1}
    a001 = q.overview(store, scope(users=("A001",)))
    assert a001["by_category"] == EXPECTED_A001
    assert a001["unknown"]["events"] == 0
    assert q.overview(store, scope(users=()))["total"] == 0
    assert q.overview(store, scope(categories=()))["total"] == 0
    # quotes in a user name are data, not SQL
    assert q.overview(store, scope(users=("x' OR '1'='1",)))["total"] == 0


def test_user_totals(store: EventStore) -> None:
    rows = {r["source_user"]: r for r in q.user_totals(store, scope())}
    assert set(rows) == {"A001", "A003", "A006", "svc_backup"}
    assert next(iter(rows)) == "A001"  # busiest first
    a001 = rows["A001"]
    assert a001["by_category"] == EXPECTED_A001 and a001["events"] == sum(EXPECTED_A001.values())
    assert a001["days"] == 3 and (a001["first_day"], a001["last_day"]) == (D5, D7)
    assert a001["known"] is True and a001["off_hours"] == 1
    assert rows["svc_backup"]["known"] is False and rows["svc_backup"]["off_hours"] == 2
    assert q.distinct_users(store, scope()) == ["A001", "A003", "A006", "svc_backup"]
    assert q.distinct_users(store, scope(first=D7, last=D7)) == ["A001", "svc_backup"]


def test_day_events_in_order_with_limit_and_offset(store: EventStore) -> None:
    day = scope(first=D6, last=D6, users=("A001",))
    total, events = q.day_events(store, day)
    assert total == len(events) == 9
    assert set(events[0]) == set(q.EVENT_COLUMNS)
    times = [e["time_utc"] for e in events]
    assert times == sorted(times) and times[0].tzinfo is not None
    first = events[0]
    assert first["time_utc"] == dt.datetime(2026, 10, 5, 17, 30, tzinfo=dt.UTC)
    assert first["local_date"] == D6 and first["local_hour"] == 1
    assert first["source_file"] == "logon.csv" and first["source_line"] > 1
    pages = [q.day_events(store, day, limit=4, offset=o)[1] for o in (0, 4, 8)]
    assert [len(p) for p in pages] == [4, 4, 1]
    assert [e["event_id"] for p in pages for e in p] == [e["event_id"] for e in events]
    mail = next(e for e in events if e["category"] == "email")
    assert mail["recipients_outside"] is not None and mail["attachment_count"] == 1
