"""The analytics cache under ``<home>/analytics/unit=<code>/``: one folder per table holding
Parquet files that each cover a range of local days (``d<first>-<last>.parquet``, day
numbers), an empty ``_schema.parquet`` per table so a range without rows still has its
columns, and ``manifest.json`` recording what was computed from which inputs.

Replacing days ``lo..hi`` rewrites only the files overlapping that range, keeping their
other rows, so an incremental run touches little."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SCHEMA_FILE = "_schema.parquet"
_RANGE = re.compile(r"^d(-?\d+)_(-?\d+)\.parquet$")
OPEN = 10**7


class Cache:
    """Per-unit analytics cache."""

    def __init__(self, home: Path, unit_code: str):
        self.home = home
        self.root = home / "analytics" / f"unit={unit_code}"

    def table_dir(self, name: str) -> Path:
        return self.root / name

    def has(self, name: str) -> bool:
        return (self.table_dir(name) / SCHEMA_FILE).exists()

    def _ranges(self, name: str) -> list[tuple[int, int, Path]]:
        base = self.table_dir(name)
        if not base.is_dir():
            return []
        out = []
        for f in base.iterdir():
            m = _RANGE.match(f.name)
            if m:
                out.append((int(m.group(1)), int(m.group(2)), f))
        return sorted(out)

    def files(self, name: str, lo: int | None = None, hi: int | None = None) -> list[str]:
        """Files of ``name`` holding rows of days ``lo..hi`` (they may hold other days too:
        readers filter on ``day_no``)."""
        lo = -OPEN if lo is None else lo
        hi = OPEN if hi is None else hi
        return [str(f) for a, b, f in self._ranges(name) if a <= hi and b >= lo]

    def ranges(self, name: str) -> list[tuple[int, int]]:
        """The day ranges of ``name``'s files, in order."""
        return [(a, b) for a, b, _ in self._ranges(name)]

    def read(self, name: str, lo: int, hi: int) -> pa.Table:
        """The rows of the one file covering exactly days ``lo..hi`` (empty if none)."""
        path = self.table_dir(name) / f"d{lo}_{hi}.parquet"
        return pq.read_table(path) if path.exists() else self.schema(name).empty_table()

    def remove(self, name: str, lo: int, hi: int) -> None:
        """Remove the file covering exactly days ``lo..hi``, if any."""
        (self.table_dir(name) / f"d{lo}_{hi}.parquet").unlink(missing_ok=True)

    def put(self, name: str, table: pa.Table, lo: int, hi: int) -> None:
        """Add ``table`` as the rows of days ``lo..hi`` (the caller dropped those days)."""
        if not self.has(name):
            self.write_schema(name, table.schema)
        if table.num_rows:
            self._put(name, table, lo, hi)

    def schema(self, name: str) -> pa.Schema:
        return pq.read_schema(self.table_dir(name) / SCHEMA_FILE)

    def drop_days(self, name: str, lo: int, hi: int | None = None) -> None:
        """Remove the rows of days ``lo..hi`` (hi None: every later day too)."""
        hi = OPEN if hi is None else hi
        for a, b, f in self._ranges(name):
            if a > hi or b < lo:
                continue
            if a < lo or b > hi:
                table = pq.read_table(f)
                days = table.column("day_no")
                before = table.filter(pc.less(days, lo))
                after = table.filter(pc.greater(days, hi))
                if before.num_rows:
                    self._put(name, before, a, lo - 1)
                if after.num_rows:
                    self._put(name, after, hi + 1, b)
            f.unlink()

    def _put(self, name: str, table: pa.Table, lo: int, hi: int) -> None:
        pq.write_table(table, self.table_dir(name) / f"d{lo}_{hi}.parquet")

    def write_schema(self, name: str, schema: pa.Schema) -> None:
        base = self.table_dir(name)
        base.mkdir(parents=True, exist_ok=True)
        pq.write_table(schema.empty_table(), base / SCHEMA_FILE)

    def write(self, name: str, table: pa.Table, days: list[int]) -> None:
        """Replace the rows of ``days`` (a contiguous or sparse set) by ``table``'s rows."""
        if not days:
            return
        self.write_schema(name, table.schema)
        lo, hi = min(days), max(days)
        if len(days) == hi - lo + 1:
            self.drop_days(name, lo, hi)
        else:
            for d in days:
                self.drop_days(name, d, d)
        if table.num_rows:
            self._put(name, table, lo, hi)

    def clear_table(self, name: str) -> None:
        if self.table_dir(name).exists():
            shutil.rmtree(self.table_dir(name))

    def clear(self) -> None:
        if self.root.exists():
            shutil.rmtree(self.root)

    # manifest -----------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def manifest(self) -> dict[str, Any]:
        if not self.manifest_path.exists():
            return {}
        data: dict[str, Any] = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        return data

    def save_manifest(self, data: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.manifest_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(self.manifest_path)
