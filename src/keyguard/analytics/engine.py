"""The embedded engine (DuckDB): where relations come from and where results go. Only
this module (and the evidence reader) speaks DuckDB's API; the queries themselves are
engine-neutral SQL rendered by :mod:`keyguard.policies.backends`."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa

from keyguard.analytics.days import iso
from keyguard.analytics.store import SCHEMA_FILE, Cache
from keyguard.events.schema import EVENT_SCHEMA


def _lit(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


class DuckEngine:
    """One in-process DuckDB connection for one detection run."""

    def __init__(self, memory_limit: str | None = None, threads: int | None = None):
        self.con = duckdb.connect()
        limit = memory_limit or os.environ.get("KEYGUARD_DUCKDB_MEMORY", "3GB")
        self.con.execute(f"SET memory_limit = '{limit}'")
        self.con.execute("SET preserve_insertion_order = false")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self._registered: list[str] = []

    def close(self) -> None:
        self.con.close()

    def register(self, name: str, table: pa.Table) -> None:
        self.con.register(name, table)

    def materialize(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def arrow(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def table(self, name: str) -> pa.Table:
        return self.arrow(f"SELECT * FROM {name}")

    def count(self, name: str) -> int:
        row = self.con.execute(f"SELECT COUNT(*) FROM {name}").fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def _cached_select(name: str, cache: Cache, lo: int | None, hi: int | None) -> str:
        every = [str(cache.table_dir(name) / SCHEMA_FILE), *cache.files(name, lo, hi)]
        listing = ", ".join(_lit(f) for f in every)
        where = []
        if lo is not None:
            where.append(f"day_no >= {int(lo)}")
        if hi is not None:
            where.append(f"day_no <= {int(hi)}")
        cond = (" WHERE " + " AND ".join(where)) if where else ""
        return (
            f"SELECT * FROM read_parquet([{listing}], union_by_name = true, "
            f"hive_partitioning = false){cond}"
        )

    def view_cached(
        self, name: str, cache: Cache, lo: int | None = None, hi: int | None = None
    ) -> None:
        """``name`` = cached table rows of days ``lo..hi``."""
        self.con.execute(
            f"CREATE OR REPLACE VIEW {name} AS " + self._cached_select(name, cache, lo, hi)
        )

    def load_cached(
        self,
        name: str,
        cache: Cache,
        lo: int | None = None,
        hi: int | None = None,
        as_name: str | None = None,
    ) -> None:
        """A temporary table ``as_name`` (default ``name``) with the cached rows of days
        ``lo..hi``, read once."""
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {as_name or name} AS "
            + self._cached_select(name, cache, lo, hi)
        )

    def drop_temp(self, name: str) -> None:
        """Drop the temporary table ``name`` if any (it would hide a view of that name)."""
        self.con.execute(f"DROP TABLE IF EXISTS temp.{name}")

    def append(self, name: str, other: str) -> None:
        """``name`` := ``name`` plus the rows of ``other`` (same columns)."""
        self.con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM {other}")

    def view_events(self, events_root: Path, days: list[int]) -> None:
        """``events`` = the event store's partitions of ``days`` (all of EVENT_SCHEMA)."""
        files: list[str] = []
        for d in days:
            files.extend(str(f) for f in sorted((events_root / f"day={iso(d)}").glob("*.parquet")))
        self.register("_event_schema", EVENT_SCHEMA.empty_table())
        cols = ", ".join(EVENT_SCHEMA.names)
        if not files:
            self.con.execute(f"CREATE OR REPLACE VIEW events AS SELECT {cols} FROM _event_schema")
            return
        listing = ", ".join(_lit(f) for f in files)
        self.con.execute(
            f"CREATE OR REPLACE VIEW events AS SELECT {cols} FROM (SELECT * FROM _event_schema "
            f"UNION ALL BY NAME SELECT * FROM read_parquet([{listing}], union_by_name = true, "
            "hive_partitioning = false))"
        )
