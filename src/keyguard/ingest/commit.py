"""Phase 2 of a run: per unit and local day, deduplicate the staged events against what the
store already holds and against each other, then move complete files into the store one by
one with an atomic rename. A crash at any point leaves every partition without or with each
new file whole; running the same ingest again adds exactly what is missing.

A day whose staged files hold new, distinct source ids only (the usual case for fresh data)
is published as staged — no rewrite. Otherwise the day is rewritten once: the first
occurrence of each id (by file order, then line) is kept, ids already stored are dropped,
and rows without a source id get ``<source>:<hash of the row and its position among
identical rows of its file>``. Memory is bounded by the busiest day, not the input size.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from keyguard.events.schema import EVENT_SCHEMA
from keyguard.events.store import DECOY_SCHEMA, EventStore, publish
from keyguard.ingest.context import FileCounts, RunContext
from keyguard.ingest.staging import DayFiles, Stager, parquet_options


def _ids(paths: list[Path]) -> pa.Array:
    if not paths:
        return pa.array([], pa.string())
    chunks = []
    for path in paths:
        with pq.ParquetFile(path) as f:  # not pq.read_table: no pyarrow.dataset needed
            chunks.extend(f.read(columns=["event_id"])["event_id"].chunks)
    return pa.chunked_array(chunks, pa.string()).combine_chunks()


def _hash_ids(table: pa.Table, prefix: str) -> pa.Array:
    """``prefix`` + hash of (row hash, position among identical rows of the same file)."""
    seen: Counter[tuple[int, str]] = Counter()
    out = []
    for seq, digest in zip(
        table["kg_seq"].to_pylist(), table["content_hash"].to_pylist(), strict=True
    ):
        n = seen[(seq, digest)]
        seen[(seq, digest)] += 1
        out.append(prefix + hashlib.sha256(f"{digest}:{n}".encode()).hexdigest()[:32])
    return pa.array(out, pa.string())


def _rewrite_day(
    ctx: RunContext,
    day: dt.date,
    files: DayFiles,
    existing: list[Path],
    dups: Counter[int],
    out: Path,
) -> Path | None:
    """The day's new events, deduplicated, as one file ``out`` (None when nothing is new)."""
    parts = []
    for seq, path in files.files:
        t = pq.read_table(path, schema=EVENT_SCHEMA)
        parts.append(t.append_column("kg_seq", pa.array(np.full(t.num_rows, seq, np.int32))))
    for seq, path in files.hashed:
        t = pq.read_table(path)
        t = t.append_column("kg_seq", pa.array(np.full(t.num_rows, seq, np.int32)))
        t = t.sort_by([("kg_seq", "ascending"), ("source_line", "ascending")])
        t = t.set_column(
            t.schema.get_field_index("event_id"), "event_id", _hash_ids(t, ctx.id_prefix)
        )
        parts.append(t.drop_columns(["content_hash"]))
    table = pa.concat_tables(parts).sort_by([("kg_seq", "ascending"), ("source_line", "ascending")])
    table = table.append_column("kg_i", pa.array(np.arange(table.num_rows, dtype=np.int64)))
    first = table.group_by("event_id", use_threads=False).aggregate([("kg_i", "min")])
    keep = pc.is_in(table["kg_i"], value_set=first["kg_i_min"])
    if existing:
        keep = pc.and_(keep, pc.invert(pc.is_in(table["event_id"], value_set=_ids(existing))))
    dropped = table.filter(pc.invert(keep))
    for item in pc.value_counts(dropped["kg_seq"]).to_pylist():
        dups[int(item["values"])] += int(item["counts"])
    kept = table.filter(keep)
    if not kept.num_rows:
        return None
    kept = kept.sort_by([("time_utc", "ascending")]).select(EVENT_SCHEMA.names)
    pq.write_table(kept.cast(EVENT_SCHEMA), out, **parquet_options(EVENT_SCHEMA))
    return out


def commit(ctx: RunContext, stager: Stager, counts: list[FileCounts]) -> int:
    """Publish the run's events, rejects and decoys; fill ``duplicate``/``accepted``.
    Returns the number of event files published."""
    store = EventStore(ctx.home)
    store.ensure_schema()
    stager.close()
    final = ctx.staging / "final"
    final.mkdir(parents=True, exist_ok=True)
    produced: list[tuple[Path, Path]] = []
    dups: Counter[int] = Counter()
    days = sorted(stager.days)
    done = 0
    for i, day in enumerate(days):
        files = stager.days[day]
        existing = store.files(ctx.unit, day)
        dest = store.day_dir(ctx.unit, day)
        paths = [p for _, p in files.files]
        ids = _ids(paths) if not files.hashed and not existing else None
        if ids is not None and pc.count_distinct(ids).as_py() == len(ids):
            produced += [(p, dest / f"part-{ctx.run_uid}-{k}.parquet") for k, p in enumerate(paths)]
        else:
            out = _rewrite_day(ctx, day, files, existing, dups, final / f"{day}.parquet")
            if out is not None:
                produced.append((out, dest / f"part-{ctx.run_uid}-0.parquet"))
        done += files.rows
        ctx.report("deduplicate", i + 1, len(days), done)
    for i, (src, dest) in enumerate(produced, start=1):
        publish(src, dest)
        ctx.report("commit", i, len(produced), i)
    if stager.has_rejects:
        publish(stager.rejects_path, store.rejects_dir(ctx.unit) / f"{ctx.run_uid}.parquet")
    _commit_decoys(ctx, store, stager, counts)
    for fc in counts:
        if fc.kind != "decoy":
            fc.duplicate = dups.get(fc.seq, 0)
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
