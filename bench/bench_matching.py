"""Register matching at scale: N events (default 20 M) against P item patterns (default 5,000)
with ``keyguard.records.register.matching.event_items`` in DuckDB.

Run: ``.venv/bin/python -m bench.bench_matching [--events N] [--patterns P]``. The events
(Parquet) and a records database with the register imported from CSV are made once under
``bench-out/matching/`` and reused; the matching runs in a fresh process whose time and
peak memory (max RSS) are printed with the command. The number of matches is checked
against the count known from how the events were made.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

OUT = Path("bench-out/matching")
DIRS = 40  # file servers x departments in the synthetic layout


def _paths(n_events: int, n_patterns: int) -> tuple[Path, Path]:
    base = OUT / f"e{n_events}_p{n_patterns}"
    return base / "events.parquet", base / "home"


def make_events(target: Path, n_events: int, n_patterns: int) -> int:
    """Write the events with DuckDB; returns how many should match an item."""
    import duckdb

    target.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    # 62.5 % of events fall in an item's folder (k < P); the rest in unregistered folders
    # of the same servers. Case and separators vary as in real logs.
    con.execute(f"""
        COPY (
            SELECT 'e' || i AS event_id, DATE '2026-01-01' + CAST(i % 90 AS INTEGER) AS local_date,
                   'DTAA/U' || lpad(CAST(i % 4000 AS VARCHAR), 4, '0') AS source_user,
                   'PC-' || (i % 4000) AS host, 'file' AS category, 'open' AS activity,
                   CASE WHEN i % 3 = 0
                        THEN '\\\\FS' || (k % {DIRS}) || '\\Dept' || (k % {DIRS * 3})
                             || '\\Projects\\P' || k || '\\sub' || (i % 7) || '\\f' || (i % 997)
                             || '.docx'
                        ELSE '//fs' || (k % {DIRS}) || '/dept' || (k % {DIRS * 3})
                             || '/projects/p' || k || '/f' || (i % 991) || '.xlsx'
                   END AS object
            FROM (SELECT i, CAST(hash(i) % {int(n_patterns * 1.6)} AS BIGINT) AS k
                  FROM range({n_events}) t(i))
        ) TO '{target}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
    """)
    expected = con.execute(
        f"SELECT count(*) FROM read_parquet('{target}') "
        f"WHERE CAST(regexp_extract(lower(object), 'projects.p([0-9]+)', 1) AS BIGINT) "
        f"< {n_patterns}"
    ).fetchone()
    assert expected is not None
    return int(expected[0])


def make_records(home: Path, n_patterns: int) -> None:
    """A records database with one unit and P register items imported from CSV."""
    os.environ["KEYGUARD_HOME"] = str(home)
    from keyguard.audit.context import Actor, actor_scope
    from keyguard.db.session import session_scope
    from keyguard.identity.bootstrap import mark_home, migrate, prepare_home
    from keyguard.records.org.service import create_unit
    from keyguard.records.register.imports import import_register

    prepare_home(home)
    migrate()
    mark_home(home)
    csv = home / "register.csv"
    with csv.open("w", encoding="utf-8") as fh:
        fh.write("reference,title,level,owner_department,location\n")
        levels = ("internal", "confidential", "secret", "top secret")
        for k in range(n_patterns):
            fh.write(
                f"B-{k:05d},Project {k},{levels[k % 4]},,"
                f"\\\\fs{k % DIRS}\\dept{k % (DIRS * 3)}\\projects\\p{k}\\*\n"
            )
    with actor_scope(Actor(name="bench")), session_scope() as session:
        unit = create_unit(session, code="bench", name="Bench unit")
        report = import_register(session, unit=unit, path=csv)
        assert report.created == n_patterns, report.problems[:3]


def run_matching(events: Path, home: Path, per_partition: int | None = None) -> dict[str, object]:
    """Count the (event, item) pairs; runs in its own process (see main)."""
    os.environ["KEYGUARD_HOME"] = str(home)
    import duckdb

    from keyguard.records.register import matching
    from keyguard.records.register.matching import event_items

    if per_partition:
        matching.EVENTS_PER_PARTITION = per_partition

    con = duckdb.connect()
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{events}')")
    t0 = time.perf_counter()
    start = resource.getrusage(resource.RUSAGE_SELF)
    row = (
        event_items(con, "bench")
        .aggregate("count(*) AS pairs, count(DISTINCT event_id) AS events, max(level_rank) AS top")
        .fetchall()[0]
    )
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - start.ru_utime - start.ru_stime
    return {
        "pairs": row[0],
        "matched_events": row[1],
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 1),
        "peak_mb": round(usage.ru_maxrss / 1024),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--patterns", type=int, default=5_000)
    parser.add_argument(
        "--per-partition",
        type=int,
        default=0,
        help="events per matching partition (default: the library's EVENTS_PER_PARTITION)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    events, home = _paths(args.events, args.patterns)
    if args.child:
        print(json.dumps(run_matching(events, home, args.per_partition or None)))
        return 0
    meta = events.parent / "expected.json"
    if not meta.exists():
        t0 = time.perf_counter()
        expected = make_events(events, args.events, args.patterns)
        make_records(home, args.patterns)
        meta.write_text(json.dumps({"expected": expected}), encoding="utf-8")
        print(
            f"made {args.events:,} events and {args.patterns:,} items in "
            f"{time.perf_counter() - t0:.1f} s ({events.parent})"
        )
    expected = json.loads(meta.read_text(encoding="utf-8"))["expected"]
    command = [
        sys.executable,
        "-m",
        "bench.bench_matching",
        "--events",
        str(args.events),
        "--patterns",
        str(args.patterns),
        *(["--per-partition", str(args.per_partition)] if args.per_partition else []),
    ]
    child = subprocess.run([*command, "--child"], capture_output=True, text=True, check=False)
    if child.returncode != 0:
        print(child.stderr, file=sys.stderr)
        return child.returncode
    result = json.loads(child.stdout.strip().splitlines()[-1])
    ok = result["pairs"] == expected
    print(
        f"register matching: {args.events:,} events x {args.patterns:,} patterns -> "
        f"{result['pairs']:,} matches (expected {expected:,}: {'OK' if ok else 'WRONG'}) "
        f"in {result['seconds']} s ({result['cpu_seconds']} s of CPU), "
        f"peak memory {result['peak_mb']} MB"
    )
    print("command: " + " ".join([".venv/bin/python", *command[1:]]))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
