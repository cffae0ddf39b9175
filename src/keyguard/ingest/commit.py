"""Phase 2 of a run: deduplicate the staged events per unit and local day against what the
store already holds and against each other, write each day's new events as one complete
Parquet file in the staging folder, then move the files into the store one by one with an
atomic rename. A crash at any point leaves every partition either without or with its
whole new file; running the same ingest again adds exactly what is missing.

Days are handled in batches of at most :data:`BATCH_ROWS` staged rows (whole days), so
memory depends on the busiest days, not on the size of the input.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from keyguard.events.schema import FIELDS
from keyguard.events.store import DECOY_SCHEMA, EventStore, publish
from keyguard.ingest.context import FileCounts, RunContext
from keyguard.ingest.staging import Stager

BATCH_ROWS = 400_000


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _files(paths: list[Path]) -> str:
    return "[" + ", ".join(_lit(str(p)) for p in paths) + "]"


def plan_batches(day_rows: Counter[dt.date], limit: int = BATCH_ROWS) -> list[list[dt.date]]:
    """Consecutive days grouped so each group holds at most ``limit`` rows (or one day)."""
    batches: list[list[dt.date]] = []
    current: list[dt.date] = []
    size = 0
    for day in sorted(day_rows):
        n = day_rows[day]
        if current and size + n > limit:
            batches.append(current)
            current, size = [], 0
        current.append(day)
        size += n
    if current:
        batches.append(current)
    return batches


def _stage_batch(
    ctx: RunContext, stager: Stager, days: list[dt.date], existing: list[Path]
) -> None:
    con = ctx.con
    lo, hi = days[0].isoformat(), days[-1].isoformat()
    source = (
        f"read_parquet({_files(stager.staged_files())}) "
        f"WHERE local_date BETWEEN DATE {_lit(lo)} AND DATE {_lit(hi)}"
    )
    if stager.hashed_ids:
        # rows without a source id: hash of the row and its position among identical rows
        ident = (
            f"coalesce(event_id, {_lit(ctx.id_prefix)} || substr(sha256(content_hash || ':' || "
            "CAST(row_number() OVER (PARTITION BY file_seq, content_hash ORDER BY source_line)"
            " - 1 AS VARCHAR)), 1, 32))"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE kg_batch AS "
            f"SELECT * REPLACE ({ident} AS event_id) FROM {source}"
        )
    else:
        con.execute(f"CREATE OR REPLACE TEMP TABLE kg_batch AS SELECT * FROM {source}")
    seen = (
        f"(SELECT DISTINCT local_date, event_id FROM read_parquet({_files(existing)}, "
        "hive_partitioning = false, union_by_name = true))"
        if existing
        else "(SELECT CAST(NULL AS DATE) AS local_date, CAST(NULL AS VARCHAR) AS event_id "
        "WHERE false)"
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE kg_ranked AS
        SELECT b.*, (row_number() OVER (PARTITION BY b.local_date, b.event_id
                                        ORDER BY b.file_seq, b.source_line) > 1
                     OR e.event_id IS NOT NULL) AS kg_dup
        FROM kg_batch b LEFT JOIN {seen} e
          ON e.local_date = b.local_date AND e.event_id = b.event_id"""
    )


def commit(ctx: RunContext, stager: Stager, counts: list[FileCounts]) -> int:
    """Publish the run's events, rejects and decoys; fill ``duplicate``/``accepted``.
    Returns the number of event files published."""
    store = EventStore(ctx.home)
    store.ensure_schema()
    stager.close()
    con = ctx.con
    final = ctx.staging / "final"
    produced: list[tuple[Path, Path]] = []
    dup_by_seq: Counter[int] = Counter()
    batches = plan_batches(stager.day_rows) if stager.rows else []
    cols = ", ".join(FIELDS)
    done_rows = 0
    for k, days in enumerate(batches):
        existing = [f for d in days for f in store.files(ctx.unit, d)]
        _stage_batch(ctx, stager, days, existing)
        for seq, n in con.sql(
            "SELECT file_seq, count(*) FROM kg_ranked WHERE kg_dup GROUP BY file_seq"
        ).fetchall():
            dup_by_seq[int(seq)] += int(n)
        out = final / f"b{k:04d}"
        final.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"COPY (SELECT {cols}, strftime(local_date, '%Y-%m-%d') AS day FROM kg_ranked "
            f"WHERE NOT kg_dup ORDER BY local_date, time_utc, event_id) TO {_lit(str(out))} "
            "(FORMAT parquet, PARTITION_BY (day), COMPRESSION zstd)"
        )
        for j, path in enumerate(sorted(out.glob("day=*/*.parquet"))):
            day = dt.date.fromisoformat(path.parent.name.removeprefix("day="))
            dest = store.day_dir(ctx.unit, day) / f"part-{ctx.run_uid}-{k:04d}-{j}.parquet"
            produced.append((path, dest))
        done_rows += sum(stager.day_rows[d] for d in days)
        ctx.report("deduplicate", done_rows, stager.rows, done_rows)
        con.execute("DROP TABLE kg_batch; DROP TABLE kg_ranked")
    for i, (src, dest) in enumerate(produced, start=1):
        publish(src, dest)
        ctx.report("commit", i, len(produced), i)
    if stager.has_rejects:
        dest = store.rejects_dir(ctx.unit) / f"{ctx.run_uid}.parquet"
        publish(stager.rejects_path, dest)
    _commit_decoys(ctx, store, stager, counts)
    for seq, fc in enumerate(counts):
        if fc.kind == "decoy":
            continue
        fc.duplicate = dup_by_seq.get(seq, 0)
        fc.accepted = fc.staged - fc.duplicate
    shutil.rmtree(final, ignore_errors=True)
    return len(produced)


def _commit_decoys(
    ctx: RunContext, store: EventStore, stager: Stager, counts: list[FileCounts]
) -> None:
    """Merge new decoy rows into ``decoys.parquet`` (one row per host and path)."""
    decoy_counts = [fc for fc in counts if fc.kind == "decoy"]
    if not decoy_counts:
        return
    old = store.decoys(ctx.unit)
    seen = {(h, p) for h, p in zip(old["host"].to_pylist(), old["path"].to_pylist(), strict=True)}
    fresh = pa.concat_tables(stager.decoys) if stager.decoys else DECOY_SCHEMA.empty_table()
    keep = []
    for i, (h, p) in enumerate(
        zip(fresh["host"].to_pylist(), fresh["path"].to_pylist(), strict=True)
    ):
        if (h, p) not in seen:
            seen.add((h, p))
            keep.append(i)
    fc = decoy_counts[0]
    fc.duplicate = fresh.num_rows - len(keep)
    fc.accepted = len(keep)
    if keep:
        merged = pa.concat_tables([old, fresh.take(keep)])
        tmp = ctx.staging / "decoys.parquet"
        pq.write_table(merged, tmp)
        publish(tmp, store.decoys_path(ctx.unit))
