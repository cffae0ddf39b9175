"""Phase 1 of a run: rows of every file go to a private staging folder
(``<home>/runs/ingest-<run>/``) — events to one Parquet file with a row group per chunk
(sorted by local day, so phase 2 reads one range of days at a time), rejects to another —
while the per-file counts are kept. Nothing here is visible to readers of the store."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from keyguard.events.store import DECOY_SCHEMA, REJECT_SCHEMA
from keyguard.ingest.context import FileCounts, RunContext
from keyguard.ingest.enrich import STAGE_SCHEMA, Categoriser, keep_predicate_urls

MAX_RAW = 1000


class Stager:
    """Collects one run's staged events, rejects and decoys, and the days they touch."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.dir = ctx.staging
        self.dir.mkdir(parents=True, exist_ok=True)
        self.events_path = self.dir / "events.parquet"
        self.rejects_path = self.dir / "rejects.parquet"
        self._events: pq.ParquetWriter | None = None
        self._rejects: pq.ParquetWriter | None = None
        self.day_rows: Counter[dt.date] = Counter()
        self.rows = 0
        self.reject_rows = 0
        self.hashed_ids = False
        self.decoys: list[pa.Table] = []
        self.categoriser = Categoriser()

    # -- rejects --------------------------------------------------------------------------
    def _reject(self, fc: FileCounts, table: pa.Table) -> None:
        raws = [(r or "")[:MAX_RAW] for r in table["raw_kept"].to_pylist()]
        n = table.num_rows
        out = pa.table(
            {
                "unit": pa.array([self.ctx.unit] * n, pa.string()),
                "ingest_run": pa.array([self.ctx.run_uid] * n, pa.string()),
                "source_file": pa.array([fc.name] * n, pa.string()),
                "line": table["line_no"].cast(pa.int64()),
                "reason": table["reason"].cast(pa.string()),
                "raw": pa.array(raws, pa.string()),
            },
            schema=REJECT_SCHEMA,
        )
        if self._rejects is None:
            self._rejects = pq.ParquetWriter(self.rejects_path, REJECT_SCHEMA)
        self._rejects.write_table(out)
        fc.rejected += n
        self.reject_rows += n

    def _split(self, fc: FileCounts, table: pa.Table) -> pa.Table:
        fc.read += table.num_rows
        rejected = pc.is_valid(table["reason"])
        if pc.any(rejected).as_py():
            self._reject(fc, table.filter(rejected))
            table = table.filter(pc.invert(rejected))
        return table

    # -- events ---------------------------------------------------------------------------
    def add(self, fc: FileCounts, table: pa.Table) -> None:
        """Stage enriched rows of file ``fc`` (rejects go to the rejects file)."""
        ok = self._split(fc, table)
        if self.ctx.keep_from is not None and ok.num_rows:
            old = pc.fill_null(pc.less(ok["local_date"], pa.scalar(self.ctx.keep_from)), False)
            n_old = pc.sum(old).as_py() or 0
            if n_old:
                fc.outside_retention += n_old
                ok = ok.filter(pc.invert(old))
        if not ok.num_rows:
            return
        rules = self.ctx.url_rules
        if rules is not None and rules.predicate is not None:
            ok = ok.set_column(
                ok.schema.get_field_index("object"),
                "object",
                keep_predicate_urls(ok, rules.predicate),
            )
        cats = self.categoriser.column(ok["url_host"].combine_chunks())
        ok = ok.append_column("site_category", cats)
        staged = pa.table(
            {f.name: ok[f.name].cast(f.type) for f in STAGE_SCHEMA}, schema=STAGE_SCHEMA
        )
        staged = staged.sort_by([("local_date", "ascending")])
        if self._events is None:
            self._events = pq.ParquetWriter(self.events_path, STAGE_SCHEMA, compression="lz4")
        self._events.write_table(staged)
        for item in pc.value_counts(staged["local_date"]).to_pylist():
            self.day_rows[item["values"]] += item["counts"]
        if not self.hashed_ids and pc.any(pc.is_null(staged["event_id"])).as_py():
            self.hashed_ids = True
        fc.staged += staged.num_rows
        self.rows += staged.num_rows

    def add_decoys(self, fc: FileCounts, table: pa.Table) -> None:
        ok = self._split(fc, table)
        n = ok.num_rows
        if n:
            self.decoys.append(
                pa.table(
                    {
                        "unit": pa.array([self.ctx.unit] * n, pa.string()),
                        "host": ok["host"].cast(pa.string()),
                        "path": ok["path"].cast(pa.string()),
                        "source_file": pa.array([fc.name] * n, pa.string()),
                        "source_line": ok["line_no"].cast(pa.int64()),
                        "ingest_run": pa.array([self.ctx.run_uid] * n, pa.string()),
                    },
                    schema=DECOY_SCHEMA,
                )
            )
        fc.staged += n

    def skip(self, fc: FileCounts, rows: int) -> None:
        """Rows read but not kept by policy (e.g. personality scores)."""
        fc.read += rows
        fc.skipped += rows

    def close(self) -> None:
        for writer in (self._events, self._rejects):
            if writer is not None:
                writer.close()
        self._events = self._rejects = None

    @property
    def has_rejects(self) -> bool:
        return self.rejects_path.exists() and self.reject_rows > 0

    def staged_files(self) -> list[Path]:
        return [self.events_path] if self.rows else []
