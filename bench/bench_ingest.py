"""Benchmark of ``keyguard ingest cert``: throughput against a bare DuckDB scan of the same
files, and peak memory for two input sizes (the larger must not need more than ~1.3x).

Usage::

    .venv/bin/python -m bench.bench_ingest [--sizes 50,500] [--data bench-out/ingest] [--runs 3]

The bench writes CERT r6.2-format folders of about the given sizes (MB) itself (DuckDB
``COPY``, deterministic; the same number of events per day, so a larger input covers more
days), then, for each size, runs in fresh subprocesses, back to back and ``--runs`` times
each: the bare scan (``SELECT count(*) FROM read_csv(f, all_varchar=true)`` per file) and
the full ingest (fresh home and SQLite database; like the bare side's DuckDB import and
connection, the modules the ingest imports on first use are loaded before its clock
starts). The best time of each side makes the ratio (the machine is shared: the load
average is printed beside every figure); the peak memory is the highest of the ingest runs.
Each figure is printed with the command that made it. Nothing is asserted: the goals
(throughput >= 0.4 of the bare scan, peak ratio <= 1.3) are reported as met or missed.

Beside them, a third side shows what DuckDB alone reaches on the same files when it does
only the least any ingest must do — read every file, parse the date, write the columns but
the content to zstd Parquet partitioned by day (``COPY ... PARTITION_BY``), with all its
threads — and none of keyguard's work (checks and reasons, line numbers, ids, time zones,
known users, URL hosts, rejects, deduplication, the atomic commit, the SHA-256 of each file).
Its ratio to the bare scan is a ceiling for the ingest's ratio on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EVENTS_PER_DAY = 60_000
#: (file, share of the bytes, approximate bytes per row) — http dominates, as in CERT.
MIX = (
    ("http.csv", 0.70, 340),
    ("email.csv", 0.15, 330),
    ("file.csv", 0.08, 260),
    ("logon.csv", 0.04, 70),
    ("device.csv", 0.03, 90),
)
WORDS = (
    *("the", "of", "and", "to", "in", "is", "was", "for", "on", "that", "with", "as", "by"),
    *("at", "from", "this", "be", "are", "it", "an", "or", "have", "not", "which", "report"),
    *("project", "budget", "meeting", "draft", "review", "plan", "design", "secret"),
)


def _id(i: str) -> str:
    return (
        f"'{{' || upper(substr(md5(CAST({i} AS VARCHAR)), 1, 8)) || '-' || "
        f"upper(substr(md5(CAST({i} AS VARCHAR)), 9, 4)) || '-' || "
        f"upper(substr(md5(CAST({i} AS VARCHAR)), 13, 12)) || '}}'"
    )


def _words(i: str, n: int) -> str:
    words = "[" + ", ".join(f"'{w}'" for w in WORDS) + "]"
    parts = [f"{words}[1 + (hash({i} * {k + 7}) % {len(WORDS)})::INTEGER]" for k in range(n)]
    return " || ' ' || ".join(parts)


def write_folder(folder: Path, megabytes: int) -> dict[str, int]:
    """A CERT r6.2-format folder of about ``megabytes`` MB; returns rows per file."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    total = megabytes * 1_000_000
    all_rows = sum(int(total * share / per_row) for _, share, per_row in MIX)
    span = all_rows * 86400 / EVENTS_PER_DAY  # seconds covered by every file
    rows: dict[str, int] = {}
    for k, (name, share, per_row) in enumerate(MIX):
        n = int(total * share / per_row)
        rows[name] = n
        t = (
            f"strftime(TIMESTAMP '2010-01-04 00:00:00' + to_seconds(CAST(i * {span / n} "
            "AS BIGINT)), '%m/%d/%Y %H:%M:%S')"
        )
        user = "'USR' || lpad(((i * 7919) % 500)::VARCHAR, 4, '0')"
        pc = "'PC-' || lpad(((i * 104729) % 900)::VARCHAR, 4, '0')"
        base = f"{_id(f'i * 10 + {k}')} AS id, {t} AS date, {user} AS user, {pc} AS pc"
        cols = {
            "http.csv": f"{base}, 'http://www' || (i % 50)::VARCHAR || '.example.com/p/' || "
            f"(i % 333)::VARCHAR || '/page.html' AS url, CASE WHEN i % 97 = 0 THEN "
            f"'WWW Upload' WHEN i % 13 = 0 THEN 'WWW Download' ELSE 'WWW Visit' END AS "
            f"activity, {_words('i', 45)} || ', ' || {_words('i + 1', 5)} AS content",
            "email.csv": f"{base}, 'usr' || (i % 500)::VARCHAR || '@dtaa.example;ext' || "
            f"(i % 40)::VARCHAR || '@mail.example' AS \"to\", NULL AS cc, NULL AS bcc, "
            f"'usr' || (i % 77)::VARCHAR || '@dtaa.example' AS \"from\", CASE WHEN i % 3 = 0 "
            f"THEN 'View' ELSE 'Send' END AS activity, (1000 + i % 50000)::VARCHAR AS size, "
            f"CASE WHEN i % 5 = 0 THEN 'C:\\docs\\r' || (i % 90)::VARCHAR || '.doc(' || "
            f"(i % 9000)::VARCHAR || ')' END AS attachments, {_words('i', 40)} AS content",
            "file.csv": f"{base}, 'C:\\share\\p' || (i % 60)::VARCHAR || '\\f' || "
            f"(i % 700)::VARCHAR || '.doc' AS filename, CASE i % 4 WHEN 0 THEN 'File Open' "
            f"WHEN 1 THEN 'File Write' WHEN 2 THEN 'File Copy' ELSE 'File Delete' END AS "
            f"activity, CASE WHEN i % 11 = 0 THEN 'True' ELSE 'False' END AS "
            f"to_removable_media, 'False' AS from_removable_media, {_words('i', 30)} AS content",
            "logon.csv": f"{base}, CASE WHEN i % 2 = 0 THEN 'Logon' ELSE 'Logoff' END AS activity",
            "device.csv": f"{base}, 'R:\\;R:\\d' || (i % 10)::VARCHAR AS file_tree, "
            f"CASE WHEN i % 2 = 0 THEN 'Connect' ELSE 'Disconnect' END AS activity",
        }[name]
        quote = ", FORCE_QUOTE (content)" if name in ("http.csv", "email.csv", "file.csv") else ""
        con.execute(
            f"COPY (SELECT {cols} FROM range({n}) r(i)) TO '{folder / name}' "
            f"(FORMAT csv, HEADER{quote})"
        )
    con.close()
    return rows


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_bare(folder: Path) -> dict[str, float]:
    import duckdb

    con = duckdb.connect()
    began = time.perf_counter()
    rows = 0
    for f in sorted(folder.glob("*.csv")):
        rows += con.sql(f"SELECT count(*) FROM read_csv('{f}', all_varchar=true)").fetchall()[0][0]
    return {"seconds": time.perf_counter() - began, "rows": rows, "peak_mb": _peak_mb()}


def run_floor(folder: Path, out: Path) -> dict[str, float]:
    """DuckDB alone: every file to Parquet by day, the least any ingest does (see above)."""
    import duckdb

    con = duckdb.connect()
    began = time.perf_counter()
    for f in sorted(folder.glob("*.csv")):
        src = f"read_csv('{f}', all_varchar=true)"
        names = [r[0] for r in con.sql(f"DESCRIBE SELECT * FROM {src}").fetchall()]
        kept = ", ".join(f'"{n}"' for n in names if n.lower() not in ("content", "date"))
        when = "strptime(date, '%m/%d/%Y %H:%M:%S')"
        con.execute(
            f"COPY (SELECT {kept}, {when} AS time, CAST({when} AS DATE) AS day FROM {src}) "
            f"TO '{out / f.stem}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (day))"
        )
    seconds = time.perf_counter() - began
    rows = con.sql(f"SELECT count(*) FROM read_parquet('{out}/**/*.parquet')").fetchall()[0][0]
    return {"seconds": seconds, "rows": rows, "peak_mb": _peak_mb()}


def run_ingest(folder: Path, home: Path) -> dict[str, float]:
    os.environ["KEYGUARD_HOME"] = str(home)
    os.environ.pop("KEYGUARD_DATABASE_URL", None)
    from keyguard.db.session import session_scope
    from keyguard.identity.bootstrap import mark_home, migrate, prepare_home
    from keyguard.ingest.enrich import _category_function
    from keyguard.ingest.registry import adapters
    from keyguard.ingest.service import ingest_cert

    # What the ingest imports on first use is imported before the clock starts, as the bare
    # side imports DuckDB and connects before its clock (this environment compiles every
    # module from source in each process: PYTHONDONTWRITEBYTECODE).
    adapters()
    _category_function()
    prepare_home(home)
    migrate()
    mark_home(home)
    from keyguard.records.org import service as org

    with session_scope() as session:  # the data starts in 2010: keep every day of it
        unit = org.create_unit(session, code="bench", name="bench", timezone="UTC")
        unit.settings = {"retention": {"raw_events": 100 * 366}}
    began = time.perf_counter()
    with session_scope() as session:
        result = ingest_cert(session, folder=folder, unit_code="bench", timezone="UTC")
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "rows": result.totals["read"],
        "accepted": result.totals["accepted"],
        "peak_mb": _peak_mb(),
    }


def _child(mode: str, folder: Path, home: Path | None) -> tuple[dict[str, float], str]:
    cmd = [sys.executable, "-m", "bench.bench_ingest", f"--{mode}", str(folder)]
    if home is not None:
        cmd += ["--home", str(home)]
    out = subprocess.run(
        cmd,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "KEYGUARD_NO_PROGRESS": "1"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1]), " ".join(shlex.quote(c) for c in cmd)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,500", help="input sizes in MB (two)")
    parser.add_argument("--data", type=Path, default=Path("bench-out/ingest"))
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (best taken)")
    parser.add_argument("--bare", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ingest", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        print(json.dumps(run_bare(args.bare)))
        return 0
    if args.ingest:
        print(json.dumps(run_ingest(args.ingest, args.home)))
        return 0
    if args.floor:
        print(json.dumps(run_floor(args.floor, args.home)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"bench ingest: {' '.join(shlex.quote(a) for a in [sys.executable, *sys.argv])}")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    results = []
    for mb in sizes:
        folder = args.data / f"cert-{mb}mb"
        marker = folder / ".complete"
        if not marker.exists():
            shutil.rmtree(folder, ignore_errors=True)
            began = time.perf_counter()
            rows = write_folder(folder, mb)
            marker.write_text(json.dumps(rows), encoding="utf-8")
            print(
                f"  wrote {folder} ({sum(rows.values()):,} rows) in "
                f"{time.perf_counter() - began:.1f} s"
            )
        size = sum(f.stat().st_size for f in folder.glob("*.csv")) / 1e6
        bares, ings, floors, loads = [], [], [], []
        for _ in range(max(1, args.runs)):
            loads.append(os.getloadavg()[0])
            bare, bare_cmd = _child("bare", folder, None)
            with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
                ing, ing_cmd = _child("ingest", folder, Path(tmp) / "home")
            with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
                flo, flo_cmd = _child("floor", folder, Path(tmp))
            bares.append(bare)
            ings.append(ing)
            floors.append(flo)
            print(
                f"  {size:,.0f} MB run {len(ings)}: bare {bare['seconds']:.2f} s, ingest "
                f"{ing['seconds']:.2f} s, ratio {bare['seconds'] / ing['seconds']:.3f}; "
                f"DuckDB alone {flo['seconds']:.2f} s, ratio "
                f"{bare['seconds'] / flo['seconds']:.3f}; load average {loads[-1]:.1f}"
            )
        bare = min(bares, key=lambda r: r["seconds"])
        flo = min(floors, key=lambda r: r["seconds"])
        ing = {**min(ings, key=lambda r: r["seconds"]), "peak_mb": max(r["peak_mb"] for r in ings)}
        ratio = bare["seconds"] / ing["seconds"]
        results.append((mb, size, bare, ing, ratio))
        print(
            f"\n  input {size:,.0f} MB, {int(ing['rows']):,} rows ({int(ing['accepted']):,} "
            f"accepted); best of {len(ings)} runs each, load average "
            f"{min(loads):.1f}-{max(loads):.1f}"
        )
        print(
            f"    bare scan  {bare['seconds']:7.2f} s  {bare['rows'] / bare['seconds']:>12,.0f}"
            f" rows/s   <- {bare_cmd}"
        )
        print(
            f"    ingest     {ing['seconds']:7.2f} s  {ing['rows'] / ing['seconds']:>12,.0f}"
            f" rows/s   peak {ing['peak_mb']:,.0f} MB   <- {ing_cmd}"
        )
        print(
            f"    DuckDB alone {flo['seconds']:5.2f} s  {flo['rows'] / flo['seconds']:>12,.0f}"
            f" rows/s   (the least any ingest does, nothing of keyguard's)   <- {flo_cmd}"
        )
        print(
            f"    throughput ratio ingest/bare scan: {ratio:.3f} (goal >= 0.4: "
            f"{'met' if ratio >= 0.4 else 'missed'}); DuckDB alone/bare scan: "
            f"{bare['seconds'] / flo['seconds']:.3f} (the ceiling on this machine)"
        )
    if len(results) >= 2:
        small, large = results[0][3]["peak_mb"], results[-1][3]["peak_mb"]
        print(
            f"\n  peak memory {results[0][1]:,.0f} MB input: {small:,.0f} MB; "
            f"{results[-1][1]:,.0f} MB input: {large:,.0f} MB; ratio {large / small:.2f} "
            f"(goal <= 1.3: {'met' if large / small <= 1.3 else 'missed'})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
