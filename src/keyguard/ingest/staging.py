"""Phase 1 of a run: rows of every file go to a private staging folder
(``<home>/runs/ingest-<run>/``) — events to one Parquet file per input file and local day,
already in the store's schema (so phase 2 can often move them into place unchanged),
rejects to one file — while the per-file counts are kept. Nothing here is visible to
readers of the store. At most :data:`MAX_OPEN` day files are open at once; a day seen
again later gets another file. Event files are written on one background thread (Parquet
encoding releases the GIL), so the next batch is checked while the last one is written."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from keyguard.events.schema import EVENT_SCHEMA
from keyguard.events.store import DECOY_SCHEMA, REJECT_SCHEMA
from keyguard.ingest.context import FileCounts, RunContext
from keyguard.ingest.enrich import STAGE_SCHEMA, Categoriser, keep_predicate_urls

MAX_RAW = 1000
MAX_OPEN = 32
#: Columns whose values rarely repeat: a dictionary would only cost time (and bytes).
NO_DICTIONARY = frozenset({"event_id", "time_utc", "source_line", "content_hash"})


def parquet_options(schema: pa.Schema) -> dict[str, object]:
    """How staged and rewritten event files are written: zstd at level 1 (on the bench's
    events as small as the default level 3, in three quarters of the time), no dictionary
    for ids, times and line numbers."""
    return {
        "compression": "zstd",
        "compression_level": 1,
        "use_dictionary": [n for n in schema.names if n not in NO_DICTIONARY],
    }


class BackgroundWriter:
    """Runs write and close calls in order on one thread, at most ``depth`` waiting; the
    first error is raised again by the next :meth:`submit` or by :meth:`finish`."""

    def __init__(self, depth: int = 2) -> None:
        self._queue: queue.Queue[Callable[[], object] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="ingest write", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if self._error is None:
                try:
                    job()
                except BaseException as exc:  # raised again on the caller's thread
                    self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def submit(self, job: Callable[[], object]) -> None:
        self._raise()
        self._queue.put(job)

    def finish(self) -> None:
        """Wait for every submitted call; raise the first error."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._raise()


@dataclass
class DayFiles:
    """Staged files of one local day: ``(file_seq, path)``; ``hashed`` ones still need
    their event ids (rows without a source id, in :data:`STAGE_SCHEMA`)."""

    files: list[tuple[int, Path]] = field(default_factory=list)
    hashed: list[tuple[int, Path]] = field(default_factory=list)
    rows: int = 0


class Stager:
    """Collects one run's staged events, rejects and decoys, and the days they touch."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.dir = ctx.staging
        self.dir.mkdir(parents=True, exist_ok=True)
        self.rejects_path = self.dir / "rejects.parquet"
        self._rejects: pq.ParquetWriter | None = None
        self._open: OrderedDict[tuple[int, dt.date, bool], pq.ParquetWriter] = OrderedDict()
        self.days: dict[dt.date, DayFiles] = {}
        self.rows = 0
        self.reject_rows = 0
        self.decoys: list[pa.Table] = []
        self.categoriser = Categoriser()
        self._background = BackgroundWriter()

    # -- rejects --------------------------------------------------------------------------
    def _reject(self, fc: FileCounts, table: pa.Table) -> None:
        table = table.sort_by([("line_no", "ascending")])
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
        hashed = pc.is_null(staged["event_id"])
        if pc.any(hashed).as_py():
            self._write_days(fc.seq, staged.filter(hashed), hashed=True)
            staged = staged.filter(pc.invert(hashed))
        if staged.num_rows:
            self._write_days(
                fc.seq, staged.select(EVENT_SCHEMA.names).cast(EVENT_SCHEMA), hashed=False
            )
        fc.staged += ok.num_rows
        self.rows += ok.num_rows

    def _writer(self, seq: int, day: dt.date, hashed: bool) -> pq.ParquetWriter:
        key = (seq, day, hashed)
        writer = self._open.get(key)
        if writer is not None:
            self._open.move_to_end(key)
            return writer
        if len(self._open) >= MAX_OPEN:
            _, oldest = self._open.popitem(last=False)
            self._background.submit(oldest.close)
        entry = self.days.setdefault(day, DayFiles())
        group = entry.hashed if hashed else entry.files
        tag = "-h" if hashed else ""
        path = self.dir / f"s{seq:03d}-{day.isoformat()}-{len(group)}{tag}.parquet"
        group.append((seq, path))
        schema = STAGE_SCHEMA if hashed else EVENT_SCHEMA
        writer = pq.ParquetWriter(path, schema, **parquet_options(schema))
        self._open[key] = writer
        return writer

    def _write_days(self, seq: int, table: pa.Table, *, hashed: bool) -> None:
        days = table["local_date"].combine_chunks().cast(pa.int32()).to_numpy(zero_copy_only=False)
        if len(days) > 1 and (np.diff(days) < 0).any():  # logs are mostly in time order
            table = table.sort_by([("local_date", "ascending")])
            days = (
                table["local_date"].combine_chunks().cast(pa.int32()).to_numpy(zero_copy_only=False)
            )
        cuts = [0, *(np.flatnonzero(np.diff(days)) + 1).tolist(), len(days)]
        for a, b in itertools.pairwise(cuts):
            day = dt.date(1970, 1, 1) + dt.timedelta(days=int(days[a]))
            writer = self._writer(seq, day, hashed)
            self._background.submit(lambda w=writer, t=table.slice(a, b - a): w.write_table(t))
            self.days[day].rows += b - a

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

    def end_file(self, fc: FileCounts) -> None:
        """File ``fc`` is read: its day files are closed (each open writer holds buffers)."""
        for key in [key for key in self._open if key[0] == fc.seq]:
            self._background.submit(self._open.pop(key).close)

    def skip(self, fc: FileCounts, rows: int) -> None:
        """Rows read but not kept by policy (e.g. personality scores)."""
        fc.read += rows
        fc.skipped += rows

    def close(self) -> None:
        """Every staged file written and closed (raises what writing them raised)."""
        try:
            for writer in self._open.values():
                self._background.submit(writer.close)
        finally:
            self._open.clear()
            self._background.finish()
        if self._rejects is not None:
            self._rejects.close()
            self._rejects = None

    def abandon(self) -> None:
        """After a failed run: stop the background writer (the staging folder is removed
        by the caller); errors of the files being written no longer matter."""
        with contextlib.suppress(Exception):  # the run's own error is the one reported
            self.close()

    @property
    def has_rejects(self) -> bool:
        return self.rejects_path.exists() and self.reject_rows > 0
