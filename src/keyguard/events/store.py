"""The Parquet event store: layout, atomic commits and the read API for analytics and web.

Layout under ``<home>/events``::

    _schema.json                                   store schema version and columns
    unit=<code>/day=<YYYY-MM-DD>/part-<run>-*.parquet   events of one unit and local day
    unit=<code>/decoys.parquet                     decoy files (CERT decoy_file.csv)

Rejected rows live in ``<home>/rejects/unit=<code>/<run>.parquet``.

Files appear only by ``os.replace`` of a complete, fsynced file, so a reader (or a crash)
never sees half a file; readers glob ``part-*.parquet`` only. Every file also holds the
``unit`` and ``local_date`` columns, so the DuckDB view needs no hive partitioning.

DuckDB note: ``time_utc`` is a ``TIMESTAMPTZ``; fetching it with ``fetchall()`` needs
``pytz`` (not installed) — use ``to_arrow_table()`` or ``time_utc::TIMESTAMP`` (naive UTC).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from keyguard.config import get_settings
from keyguard.errors import ConfigError, NotFound
from keyguard.events.schema import EVENT_SCHEMA, SCHEMA_VERSION, empty_events_sql

SCHEMA_FILE = "_schema.json"
PART_GLOB = "part-*.parquet"
DECOYS_FILE = "decoys.parquet"
_DAY_DIR = re.compile(r"^day=(\d{4}-\d{2}-\d{2})$")
_UNIT_DIR = re.compile(r"^unit=([A-Za-z0-9_-]+)$")
_RUN_STAMP = re.compile(r"^(\d{8})T\d{6}Z-")
PURGE_PREFIX = ".purge-"

DECOY_SCHEMA = pa.schema(
    [
        ("unit", pa.string()),
        ("host", pa.string()),
        ("path", pa.string()),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("ingest_run", pa.string()),
    ]
)

REJECT_SCHEMA = pa.schema(
    [
        ("unit", pa.string()),
        ("ingest_run", pa.string()),
        ("source_file", pa.string()),
        ("line", pa.int64()),
        ("reason", pa.string()),
        ("raw", pa.string()),  # the row with its content columns removed
    ]
)


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(src: Path, dest: Path) -> Path:
    """Move a complete file into place atomically (fsync file, rename, fsync folder)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(src, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(src, dest)
    fsync_dir(dest.parent)
    return dest


class EventStore:
    """The event store of one home (default: the settings' home)."""

    def __init__(self, home: Path | None = None) -> None:
        self.home = home or get_settings().home
        self.root = self.home / "events"
        self.rejects_root = self.home / "rejects"

    # -- layout ---------------------------------------------------------------------------
    def unit_dir(self, unit: str) -> Path:
        if not _UNIT_DIR.match(f"unit={unit}"):
            raise ConfigError(f"unit code {unit!r} cannot name an event-store folder")
        return self.root / f"unit={unit}"

    def day_dir(self, unit: str, day: dt.date) -> Path:
        return self.unit_dir(unit) / f"day={day.isoformat()}"

    def glob(self, unit: str | None = None) -> str:
        """Glob of every event file of ``unit`` (all units when None)."""
        base = self.unit_dir(unit) if unit else self.root / "unit=*"
        return str(base / "day=*" / PART_GLOB)

    def units(self) -> list[str]:
        if not self.root.is_dir():
            return []
        found = (_UNIT_DIR.match(p.name) for p in self.root.iterdir() if p.is_dir())
        return sorted(m.group(1) for m in found if m)

    def days(self, unit: str) -> list[dt.date]:
        """Local days of ``unit`` that hold events, ascending."""
        base = self.unit_dir(unit)
        if not base.is_dir():
            return []
        out = []
        for p in base.iterdir():
            m = _DAY_DIR.match(p.name)
            if m and any(p.glob(PART_GLOB)):
                out.append(dt.date.fromisoformat(m.group(1)))
        return sorted(out)

    def files(self, unit: str | None = None, day: dt.date | None = None) -> list[Path]:
        """Event files of ``unit`` (every unit when None), of one day when given."""
        if day is not None:
            if unit is None:
                raise ValueError("a day needs a unit")
            return sorted(self.day_dir(unit, day).glob(PART_GLOB))
        units = [unit] if unit else self.units()
        out: list[Path] = []
        for code in units:
            out.extend(sorted(self.unit_dir(code).glob(f"day=*/{PART_GLOB}")))
        return out

    # -- schema ---------------------------------------------------------------------------
    def read_schema(self) -> dict[str, Any] | None:
        path = self.root / SCHEMA_FILE
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path}: unreadable event-store schema file ({exc})") from exc
        return data if isinstance(data, dict) else None

    def check_schema(self) -> None:
        """Refuse a store written with another schema version."""
        data = self.read_schema()
        if data is not None and data.get("schema_version") != SCHEMA_VERSION:
            raise ConfigError(
                f"{self.root} holds event-store schema version {data.get('schema_version')}; "
                f"this keyguard reads and writes version {SCHEMA_VERSION}"
            )

    def ensure_schema(self) -> None:
        """Write ``_schema.json`` (atomically) when the store has none yet."""
        self.check_schema()
        if self.read_schema() is not None:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        doc = {
            "schema_version": SCHEMA_VERSION,
            "layout": "unit=<code>/day=<YYYY-MM-DD>/part-*.parquet",
            "fields": [{"name": f.name, "type": str(f.type)} for f in EVENT_SCHEMA],
        }
        tmp = self.root / f".{SCHEMA_FILE}.tmp"
        tmp.write_text(json.dumps(doc, indent=2), encoding="utf-8")
        publish(tmp, self.root / SCHEMA_FILE)

    # -- reading --------------------------------------------------------------------------
    def duckdb_view(
        self, con: duckdb.DuckDBPyConnection, unit: str | None = None, name: str = "events"
    ) -> None:
        """Create (or replace) view ``name`` over the unit's events (every unit when None).

        Files carry ``unit`` and ``local_date`` themselves; filter on ``local_date`` to
        let DuckDB skip files by their statistics. With no events yet the view is empty
        but typed.
        """
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"bad view name {name!r}")
        files = self.files(unit)
        if not files:
            con.execute(f"CREATE OR REPLACE VIEW {name} AS {empty_events_sql()}")
            return
        con.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet("
            f"{_sql_str(self.glob(unit))}, hive_partitioning = false, union_by_name = true)"
        )

    def read(self, unit: str, day: dt.date | None = None) -> pa.Table:
        """All events of ``unit`` (of one day when given) as an Arrow table."""
        files = self.files(unit, day)
        if not files:
            return EVENT_SCHEMA.empty_table()
        return pa.concat_tables(
            [pq.read_table(f, schema=EVENT_SCHEMA) for f in files], promote_options="none"
        )

    def count(self, unit: str | None = None) -> int:
        return sum(pq.ParquetFile(f).metadata.num_rows for f in self.files(unit))

    def event(self, unit: str, event_id: str, day: dt.date | None = None) -> dict[str, Any]:
        """One event with its provenance: every column, plus ``store_file`` (the Parquet
        file holding it). ``source_file``/``source_line`` name the input row."""
        files = self.files(unit, day)
        if files:
            con = duckdb.connect()
            try:
                listing = "[" + ", ".join(_sql_str(str(f)) for f in files) + "]"
                table = con.sql(
                    f"SELECT *, filename AS store_file FROM read_parquet({listing}, "
                    "filename = true, hive_partitioning = false, union_by_name = true) "
                    "WHERE event_id = $id LIMIT 1",
                    params={"id": event_id},
                ).to_arrow_table()
            finally:
                con.close()
            if table.num_rows:
                return table.to_pylist()[0]
        raise NotFound(f"no event {event_id!r} in unit {unit!r}")

    # -- dropping (retention) -------------------------------------------------------------
    def drop_days(self, unit: str, days: list[dt.date] | set[dt.date]) -> tuple[int, int]:
        """Remove whole local days of ``unit``: each day folder is first renamed aside in
        one atomic step (readers glob ``day=*``, so it vanishes at once), then deleted.
        Days without events are skipped and leftovers of an interrupted drop are finished,
        so it is safe to run again. Returns (days dropped, events they held). The caller
        holds the home's job lock (no ingest runs meanwhile)."""
        base = self.unit_dir(unit)
        self._finish_drops(base)
        n_days = n_events = 0
        for day in sorted(set(days)):
            folder = self.day_dir(unit, day)
            if not folder.is_dir():
                continue
            n_events += sum(pq.ParquetFile(f).metadata.num_rows for f in folder.glob(PART_GLOB))
            trash = base / f"{PURGE_PREFIX}{folder.name}-{secrets.token_hex(4)}"
            folder.replace(trash)
            fsync_dir(base)
            shutil.rmtree(trash)
            n_days += 1
        return n_days, n_events

    @staticmethod
    def _finish_drops(folder: Path) -> None:
        if folder.is_dir():
            for left in folder.glob(f"{PURGE_PREFIX}*"):
                shutil.rmtree(left, ignore_errors=True)

    def reject_files_before(self, unit: str, day: dt.date) -> list[Path]:
        """Rejects files of ingest runs that started before UTC day ``day`` (from the run id,
        ``YYYYMMDDTHHMMSSZ-…``; the file's modification time when the name is not one)."""
        out = []
        for path in sorted(self.rejects_dir(unit).glob("*.parquet")):
            m = _RUN_STAMP.match(path.name)
            if m:
                started = dt.datetime.strptime(m.group(1), "%Y%m%d").date()
            else:
                started = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).date()
            if started < day:
                out.append(path)
        return out

    def drop_rejects_before(self, unit: str, day: dt.date) -> tuple[int, int]:
        """Delete the rejected rows of runs older than ``day`` (see
        :meth:`reject_files_before`); returns (files, rows). Safe to run again."""
        files = self.reject_files_before(unit, day)
        rows = 0
        for path in files:
            with contextlib.suppress(OSError, pa.ArrowInvalid):  # a damaged one goes too
                rows += pq.ParquetFile(path).metadata.num_rows
            path.unlink(missing_ok=True)
        return len(files), rows

    # -- decoys ---------------------------------------------------------------------------
    def decoys_path(self, unit: str) -> Path:
        return self.unit_dir(unit) / DECOYS_FILE

    def decoys(self, unit: str) -> pa.Table:
        """Decoy files of the unit (``host``, ``path``), empty when none were ingested."""
        path = self.decoys_path(unit)
        if not path.exists():
            return DECOY_SCHEMA.empty_table()
        return pq.read_table(path, schema=DECOY_SCHEMA)

    # -- rejects --------------------------------------------------------------------------
    def rejects_dir(self, unit: str) -> Path:
        return self.rejects_root / self.unit_dir(unit).name

    def rejects(self, unit: str, run: str | None = None) -> pa.Table:
        """Rejected rows of the unit (of one ingest run when given)."""
        base = self.rejects_dir(unit)
        files = [base / f"{run}.parquet"] if run else sorted(base.glob("*.parquet"))
        tables = [pq.read_table(f, schema=REJECT_SCHEMA) for f in files if f.exists()]
        return pa.concat_tables(tables) if tables else REJECT_SCHEMA.empty_table()
