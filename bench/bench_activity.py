"""Activity pages at scale: the queries of ``keyguard.events.activity`` over a synthetic event
store of U users x D days (default 1,000 x 365, 50 events per user and day: ~18 M events).

Run: ``.venv/bin/python -m bench.bench_activity [--users U] [--days D] [--per-day N]``. The
store is written once under ``bench-out/activity/`` in the real layout (one folder per local
day) and reused; each query is timed and checked against the count known from how the
events were made; the peak memory (max RSS) of the process is printed at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
from pathlib import Path

OUT = Path("bench-out/activity")
UNIT = "bench"
START = dt.date(2025, 1, 1)
CATS = ["logon", "file", "email", "http", "device"]


def make_store(home: Path, users: int, days: int, per_day: int) -> None:
    import duckdb

    from keyguard.events.schema import EVENT_SCHEMA, duckdb_type
    from keyguard.events.store import EventStore

    store = EventStore(home)
    if store.days(UNIT) and len(store.days(UNIT)) == days:
        return
    store.ensure_schema()
    values = {
        "event_id": "'e' || d || '-' || i",
        "unit": f"'{UNIT}'",
        "time_utc": "(day + INTERVAL (h) HOUR + INTERVAL (i % 3600) SECOND)::TIMESTAMPTZ",
        "local_date": "day",
        "local_hour": "h",
        "source_user": "'U' || lpad(CAST(u AS VARCHAR), 4, '0')",
        "user_known": "u % 50 <> 0",
        "host": "'PC-' || lpad(CAST(u AS VARCHAR), 4, '0')",
        "category": f"{CATS}[1 + (i % 7) % 5]",
        "activity": "'open'",
        "object": "'\\\\fs01\\dept' || (u % 20) || '\\f' || (i % 997) || '.doc'",
        "source_file": "'bench.csv'",
        "source_line": "i",
        "adapter": "'cert'",
        "ingest_run": "'bench-run'",
    }
    cols = ", ".join(
        f"CAST({values.get(f.name, 'NULL')} AS {duckdb_type(f.type)}) AS {f.name}"
        for f in EVENT_SCHEMA
    )
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    n = users * per_day
    t0 = time.perf_counter()
    for d in range(days):
        day = START + dt.timedelta(days=d)
        folder = store.day_dir(UNIT, day)
        folder.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"COPY (SELECT {cols} FROM (SELECT i, {d} AS d, DATE '{day}' AS day, "
            f"CAST(i % {users} AS INTEGER) AS u, CAST(7 + (i * 7) % 13 AS INTEGER) AS h "
            f"FROM range({n}) t(i)) ORDER BY time_utc) "
            f"TO '{folder / 'part-bench-0.parquet'}' (FORMAT parquet)"
        )
    print(f"wrote {days} days x {n:,} events in {time.perf_counter() - t0:.1f} s", flush=True)


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    result = fn()
    print(f"{label:<48} {time.perf_counter() - t0:7.2f} s", flush=True)
    return result


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--per-day", type=int, default=50)
    args = ap.parse_args(argv)
    from keyguard.events import activity as q
    from keyguard.events.store import EventStore

    home = OUT / f"u{args.users}_d{args.days}_n{args.per_day}"
    make_store(home, args.users, args.days, args.per_day)
    store = EventStore(home)
    last = START + dt.timedelta(days=args.days - 1)
    per_day = args.users * args.per_day
    print(
        f"command: {sys.executable} -m bench.bench_activity --users {args.users} "
        f"--days {args.days} --per-day {args.per_day}"
    )
    last90 = q.Scope(UNIT, last - dt.timedelta(days=89), last)
    year = q.Scope(UNIT, START, last)
    o = timed("overview, last 90 days", lambda: q.overview(store, last90))
    assert o["total"] == per_day * min(90, args.days), o["total"]
    o = timed("overview, whole range", lambda: q.overview(store, year))
    assert o["total"] == per_day * args.days
    rows = timed("people by volume, last 90 days", lambda: q.user_totals(store, last90))
    assert len(rows) == args.users
    spellings = timed("distinct users, last 90 days", lambda: q.distinct_users(store, last90))
    some = tuple(spellings[: args.users // 10])
    dept = q.Scope(UNIT, last90.first, last, users=some)
    o = timed("overview, last 90 days, 10 % of users", lambda: q.overview(store, dept))
    one = q.Scope(UNIT, last - dt.timedelta(days=89), last, users=("U0001",))
    o = timed("one person, daily and hourly, 90 days", lambda: q.overview(store, one))
    assert o["total"] == args.per_day * min(90, args.days)
    day = q.Scope(UNIT, last, last, users=("U0001",))
    total, events = timed(
        "one person's day, first page of 100", lambda: q.day_events(store, day, limit=100)
    )
    assert total == args.per_day and len(events) == min(100, args.per_day)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS) {peak_mb:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
