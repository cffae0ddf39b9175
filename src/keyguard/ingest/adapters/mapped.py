"""CSV and JSON-lines files read with a declarative YAML mapping
(:mod:`keyguard.ingest.mapping`). Each physical line is one record; a record's event id is
the source's own id when the mapping names one, else a hash of the mapping name, the
record (without content fields) and its position among identical records of the file."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from keyguard.errors import InputError
from keyguard.events.schema import FIELD_DOCS
from keyguard.ingest.context import FileCounts, PlannedFile, RunContext
from keyguard.ingest.enrich import PRE_SCHEMA, enrich_params, enrich_sql
from keyguard.ingest.lines import LineChunk, head_lines, is_blank, too_long_reason
from keyguard.ingest.mapping import (
    MappingSpec,
    RowError,
    apply,
    load_mapping,
    lookup,
    shipped_mappings,
)
from keyguard.ingest.registry import Adapter, FieldUse, SourceDeclaration

RAW_PREVIEW = 200
_PRE_FIELDS = [f.name for f in PRE_SCHEMA]


class MappedParser:
    """Applies one mapping to the lines of one file."""

    def __init__(self, spec: MappingSpec, name: str, columns: list[str], header_lines: int):
        self.spec = spec
        self.kind = spec.format
        self.variant = spec.name
        self.name = name
        self.columns = columns
        self.header_lines = header_lines
        self._sql: str | None = None

    # -- records --------------------------------------------------------------------------
    def record(self, text: str) -> dict[str, Any]:
        if self.spec.format == "jsonl":
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                raise RowError(f"not JSON ({exc.msg} at column {exc.colno})") from exc
            if not isinstance(obj, dict):
                raise RowError("not a JSON object")
            return obj
        try:
            fields = next(
                csv.reader(
                    [text], delimiter=self.spec.delimiter, quotechar=self.spec.quote, strict=True
                )
            )
        except csv.Error as exc:
            raise RowError(f"broken quoting ({exc})") from exc
        if len(fields) != len(self.columns):
            raise RowError(f"expected {len(self.columns)} columns, found {len(fields)}")
        return dict(zip(self.columns, fields, strict=True))

    def _kept(self, record: dict[str, Any]) -> str:
        kept = {n: lookup(record, n) for n in self.spec.source_fields()}
        return json.dumps(kept, ensure_ascii=False, default=str)

    def _hash(self, record: dict[str, Any]) -> str:
        body = {k: v for k, v in record.items() if k not in self.spec.content_fields}
        text = json.dumps([self.spec.name, body], sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def kept_raw(self, text: str) -> str:
        """An unparseable line: its start, unless the source has content fields."""
        if self.spec.content_fields:
            return f"[unparseable line of {len(text)} characters withheld: content fields]"
        return text[:RAW_PREVIEW]

    # -- chunks ---------------------------------------------------------------------------
    batch_rows = 0  # rows are read one by one in Python: nothing gained by combining

    def prepare(self, chunk: LineChunk) -> LineChunk:
        return chunk

    def combine(self, items: list[LineChunk]) -> LineChunk:
        return LineChunk.concat(items)

    @staticmethod
    def rows_of(prepared: LineChunk) -> int:
        return len(prepared)

    def tables(self, ctx: RunContext, chunk: LineChunk, counts: FileCounts) -> Iterator[pa.Table]:
        rows: list[dict[str, Any]] = []
        numbers = chunk.line_no.tolist()
        for line_no, raw, long in zip(numbers, chunk.lines(), chunk.too_long.tolist(), strict=True):
            if line_no <= self.header_lines or is_blank(raw):
                continue
            row = dict.fromkeys(_PRE_FIELDS)
            row["line_no"] = line_no
            rows.append(row)
            if long:
                row["reason"] = too_long_reason()
                row["raw_kept"] = self.kept_raw(raw.decode("utf-8", "replace"))
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                row["reason"] = "not UTF-8 text"
                row["raw_kept"] = self.kept_raw(raw.decode("utf-8", "replace"))
                continue
            try:
                record = self.record(text)
            except RowError as exc:
                row["reason"] = str(exc)
                row["raw_kept"] = self.kept_raw(text)
                continue
            if self.spec.skip_field is not None:
                value = lookup(record, self.spec.skip_field)
                if value is None or str(value) not in self.spec.skip_values:
                    rows.pop()
                    counts.read += 1
                    counts.skipped += 1
                    continue
            try:
                values = apply(self.spec, record, ctx.source_tz)
            except RowError as exc:
                row["reason"] = str(exc)
                row["raw_kept"] = self._kept(record)
                continue
            row.update({k: v for k, v in values.items() if k in row})
            if row["event_id"] is not None:
                row["event_id"] = f"{self.spec.name}:{row['event_id']}"
            else:
                row["content_hash"] = self._hash(record)
        if not rows:
            return
        ctx.con.register("pre_rows", pa.Table.from_pylist(rows, schema=PRE_SCHEMA))
        if self._sql is None:
            self._sql = enrich_sql("pre_rows", ctx)
        yield ctx.con.sql(self._sql, params=enrich_params(ctx, self.name)).to_arrow_table()


def _columns(spec: MappingSpec, path: Path) -> tuple[list[str], int]:
    if spec.format != "csv":
        return [], 0
    if not spec.header:
        return list(spec.columns), 0
    lines = head_lines(path, limit=1)
    if not lines:
        raise InputError(str(path), "the file is empty")
    try:
        first = lines[0].decode("utf-8")
        header = next(csv.reader([first], delimiter=spec.delimiter, quotechar=spec.quote))
    except (UnicodeDecodeError, csv.Error, StopIteration) as exc:
        raise InputError(str(path), "the header line cannot be read", line=1) from exc
    header = [h.strip() for h in header]
    wanted = set(spec.source_fields()) - spec.content_fields
    missing = sorted(n for n in wanted if n not in header)
    if missing:
        raise InputError(str(path), f"header lacks the mapped columns {missing}", line=1)
    return header, 1


def plan(
    path: Path, mapping: str | Path, fmt: str | None = None
) -> tuple[MappingSpec, PlannedFile]:
    """Check the file and the mapping; the one planned file."""
    spec = load_mapping(mapping)
    if fmt is not None and fmt != spec.format:
        raise InputError(str(spec.origin), f"this mapping reads {spec.format}, not {fmt}")
    if not path.exists():
        raise InputError(str(path), "no such file")
    if not path.is_file():
        raise InputError(str(path), "not a file")
    if not os.access(path, os.R_OK):
        raise InputError(str(path), "the file cannot be read (permission denied)")
    if path.stat().st_size == 0:
        raise InputError(str(path), "the file is empty")
    columns, header = _columns(spec, path)
    parser = MappedParser(spec, path.name, columns, header)
    return spec, PlannedFile(path, path.name, spec.format, spec.name, "events", header, parser)


def declarations() -> tuple[SourceDeclaration, ...]:
    """One declaration per shipped mapping: the event fields it fills."""
    out = []
    for name, path in shipped_mappings().items():
        spec = load_mapping(path)
        uses = tuple(
            FieldUse(
                t,
                FIELD_DOCS.get(t, t).split(";")[0].split(".")[0],
                "full URL only for uploads and register matches" if t == "url" else "as read",
            )
            for t in spec.targets()
        )
        out.append(
            SourceDeclaration(f"mapping {name}", uses, not_kept=tuple(sorted(spec.content_fields)))
        )
    return tuple(out)


ADAPTER = Adapter(
    name="mapping",
    title="CSV or JSON lines with a YAML mapping",
    declarations=declarations,
    plan=plan,
)
