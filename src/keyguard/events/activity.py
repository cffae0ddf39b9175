"""Read-only activity queries over the event store, for the activity pages and their twins.

Everything is aggregated in DuckDB over the Parquet files of the chosen local days (only
those files are opened), so a unit of 1,000 people over a year answers from a few hundred
small rows; the one query that returns events (:func:`day_events`) reads a single day of
chosen users, with a limit and an offset.

These functions know nothing about people: a filter on users is a list of ``source_user``
spellings (the caller maps people and departments to them). ``source_user`` values are
returned as written in the logs; the caller pseudonymises before showing anything.

Days are the unit's local days (``local_date``), hours its local hours (``local_hour``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from keyguard.events.schema import CATEGORIES
from keyguard.events.store import EventStore

#: Columns of the rows :func:`day_events` returns.
EVENT_COLUMNS = (
    "event_id",
    "time_utc",
    "local_date",
    "local_hour",
    "source_user",
    "user_known",
    "host",
    "category",
    "activity",
    "object",
    "url_host",
    "site_category",
    "size",
    "to_removable",
    "from_removable",
    "sender",
    "recipients",
    "recipients_outside",
    "attachment_count",
    "source_file",
    "source_line",
    "adapter",
    "ingest_run",
)


@dataclass(frozen=True)
class Scope:
    """Which events: local days ``first..last`` (inclusive) of ``unit``, optionally only
    some categories and only some users (``source_user`` spellings; an empty list means
    nobody)."""

    unit: str
    first: dt.date
    last: dt.date
    categories: tuple[str, ...] | None = None
    users: tuple[str, ...] | None = None


def data_days(store: EventStore, unit: str) -> tuple[dt.date, dt.date] | None:
    """The first and last local day of ``unit`` that hold events (None: no events)."""
    days = store.days(unit)
    return (days[0], days[-1]) if days else None


def order_categories(found: Sequence[str]) -> list[str]:
    """The schema's categories first (in their order), then any other, sorted."""
    known = [c for c in CATEGORIES if c in found]
    return known + sorted(set(found) - set(known))


T = TypeVar("T")


def _again_if_files_vanish(fn: Callable[..., T]) -> Callable[..., T]:
    """Run once more (with a fresh list of files) when a day folder disappeared between
    listing and reading it (retention drops whole days atomically while pages read)."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except duckdb.IOException:
            return fn(*args, **kwargs)

    return run


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _files(store: EventStore, scope: Scope) -> list[str]:
    out: list[str] = []
    for day in store.days(scope.unit):
        if scope.first <= day <= scope.last:
            out.extend(str(f) for f in store.files(scope.unit, day))
    return out


class _Query:
    """One DuckDB connection with view ``ev`` over the scope's files and its filters as
    ``self.where`` (a SQL condition)."""

    def __init__(self, store: EventStore, scope: Scope) -> None:
        self.scope = scope
        self.files = _files(store, scope)
        self.con = duckdb.connect()
        conds = [f"local_date BETWEEN DATE '{scope.first}' AND DATE '{scope.last}'"]
        if scope.categories is not None:
            self.con.register("_cats", pa.table({"c": pa.array(scope.categories, pa.string())}))
            conds.append("category IN (SELECT c FROM _cats)")
        if scope.users is not None:
            self.con.register("_users", pa.table({"u": pa.array(scope.users, pa.string())}))
            conds.append("source_user IN (SELECT u FROM _users)")
        self.where = " AND ".join(conds)
        self.empty = not self.files or scope.users == () or scope.categories == ()
        if not self.empty:
            listing = ", ".join(_sql_str(f) for f in self.files)
            self.con.execute(
                f"CREATE VIEW ev AS SELECT * FROM read_parquet([{listing}], "
                "union_by_name = true, hive_partitioning = false)"
            )

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params or {}).fetchall()

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> _Query:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@_again_if_files_vanish
def overview(store: EventStore, scope: Scope) -> dict[str, Any]:
    """Volume of the scope: events per local day and category, per local hour and
    category, per category, per source (adapter and ingest run, with the days it covers),
    and known people against unknown accounts (events and distinct users).

    One scan of the files builds a small aggregate (day x hour x category x source x
    known); every figure is read from it.
    """
    out: dict[str, Any] = {
        "total": 0,
        "categories": [],
        "daily": [],
        "hourly": [],
        "by_category": {},
        "sources": [],
        "known": {"events": 0, "users": 0},
        "unknown": {"events": 0, "users": 0},
    }
    with _Query(store, scope) as q:
        if q.empty:
            return out
        q.con.execute(
            "CREATE TEMP TABLE agg AS SELECT local_date, local_hour, category, adapter, "
            "ingest_run, coalesce(user_known, false) AS known, count(*) AS n "
            f"FROM ev WHERE {q.where} GROUP BY ALL"
        )
        daily = q.rows(
            "SELECT local_date, category, sum(n)::BIGINT FROM agg GROUP BY ALL ORDER BY 1, 2"
        )
        hourly = q.rows(
            "SELECT local_hour, category, sum(n)::BIGINT FROM agg GROUP BY ALL ORDER BY 1, 2"
        )
        sources = q.rows(
            "SELECT adapter, ingest_run, sum(n)::BIGINT, min(local_date), max(local_date) "
            "FROM agg GROUP BY ALL ORDER BY 4, 1, 2"
        )
        known = q.rows("SELECT known, sum(n)::BIGINT FROM agg GROUP BY ALL")
        users = q.rows(
            "SELECT coalesce(user_known, false), count(DISTINCT source_user)::BIGINT "
            f"FROM ev WHERE {q.where} GROUP BY ALL"
        )
    by_cat: dict[str, int] = {}
    for _d, c, n in daily:
        by_cat[c] = by_cat.get(c, 0) + int(n)
    cats = order_categories(list(by_cat))
    out["categories"] = cats
    out["by_category"] = {c: by_cat[c] for c in cats}
    out["total"] = sum(by_cat.values())
    out["daily"] = [{"day": d, "category": c, "events": int(n)} for d, c, n in daily]
    out["hourly"] = [
        {"hour": int(h), "category": c, "events": int(n)} for h, c, n in hourly if h is not None
    ]
    out["sources"] = [
        {"adapter": a, "ingest_run": r, "events": int(n), "first_day": f, "last_day": last}
        for a, r, n, f, last in sources
    ]
    for flag, n in known:
        out["known" if flag else "unknown"]["events"] += int(n)
    for flag, n in users:
        out["known" if flag else "unknown"]["users"] += int(n)
    return out


@_again_if_files_vanish
def user_totals(store: EventStore, scope: Scope) -> list[dict[str, Any]]:
    """One row per ``source_user`` of the scope: whether it is a known person, its events
    per category and in all, the days it was active, its first and last day, and its
    events outside 07:00-19:00 local time. Busiest first."""
    with _Query(store, scope) as q:
        if q.empty:
            return []
        rows = q.rows(
            "SELECT source_user, bool_or(coalesce(user_known, false)), category, "
            "count(*)::BIGINT, min(local_date), "
            "max(local_date), count(*) FILTER (WHERE local_hour < 7 OR local_hour >= 19) "
            f"FROM ev WHERE {q.where} AND source_user IS NOT NULL GROUP BY source_user, category"
        )
        days = dict(
            q.rows(
                "SELECT source_user, count(DISTINCT local_date)::BIGINT FROM ev "
                f"WHERE {q.where} AND source_user IS NOT NULL GROUP BY 1"
            )
        )
    users: dict[str, dict[str, Any]] = {}
    for user, known, cat, n, first, last, off_hours in rows:
        u = users.setdefault(
            user,
            {
                "source_user": user,
                "known": bool(known),
                "events": 0,
                "by_category": {},
                "days": int(days.get(user, 0)),
                "first_day": first,
                "last_day": last,
                "off_hours": 0,
            },
        )
        u["known"] = u["known"] or bool(known)
        u["events"] += int(n)
        u["by_category"][cat] = int(n)
        u["first_day"] = min(u["first_day"], first)
        u["last_day"] = max(u["last_day"], last)
        u["off_hours"] += int(off_hours)
    return sorted(users.values(), key=lambda u: (-u["events"], u["source_user"]))


@_again_if_files_vanish
def day_events(
    store: EventStore, scope: Scope, *, limit: int = 100, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    """The events of the scope (meant for one day of one person's spellings), oldest first
    (then by source file and line): how many there are, and ``limit`` of them from
    ``offset``. Rows hold :data:`EVENT_COLUMNS`; ``time_utc`` is an aware datetime."""
    limit = max(1, min(int(limit), 1000))
    offset = max(0, int(offset))
    with _Query(store, scope) as q:
        if q.empty:
            return 0, []
        total = int(q.rows(f"SELECT count(*) FROM ev WHERE {q.where}")[0][0])
        cols = ", ".join(EVENT_COLUMNS)
        table = q.con.sql(
            f"SELECT {cols} FROM ev WHERE {q.where} "
            f"ORDER BY time_utc, source_file, source_line, event_id LIMIT {limit} OFFSET {offset}"
        ).to_arrow_table()
    return total, table.to_pylist()


@_again_if_files_vanish
def distinct_users(store: EventStore, scope: Scope) -> list[str]:
    """Every ``source_user`` spelling of the scope (reads one column)."""
    with _Query(store, scope) as q:
        if q.empty:
            return []
        rows = q.rows(
            f"SELECT DISTINCT source_user FROM ev WHERE {q.where} AND source_user IS NOT NULL"
        )
    return sorted(str(r[0]) for r in rows)
