"""CERT Insider Threat Test Dataset folders (r4.2 to r6.2): logon, device, file, email,
http and decoy files become events; ``psychometric.csv`` is counted and never stored;
``LDAP/`` is left to the org domain's importer (see :mod:`keyguard.ingest.service`)."""

from __future__ import annotations

import bisect
import csv
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from keyguard.errors import InputError
from keyguard.ingest.cert_layout import ACTIVITY_FILES, FILES, Layout, detect
from keyguard.ingest.cert_split import CSV_FALLBACK, fields_sql, split_fields
from keyguard.ingest.cert_sql import decoy_sql, field_names, stage_b_sql
from keyguard.ingest.context import FileCounts, PlannedFile, RunContext
from keyguard.ingest.enrich import enrich_params, enrich_sql
from keyguard.ingest.lines import LineChunk
from keyguard.ingest.registry import Adapter, FieldUse, SourceDeclaration

REMOVED = "[removed]"
_DATE_LIKE = re.compile(r"^\s*[0-9/.-]+ [0-9:.]+\s*$")
FAST_ROWS = f"(SELECT * FROM kg_fields WHERE a_reason IS DISTINCT FROM '{CSV_FALLBACK}')"
#: Rows handed to DuckDB at once: each query has a fixed cost (planning, the time-zone
#: tables), so consecutive chunks are checked together (see docs/ingest.md).
BATCH_ROWS = 60_000


@dataclass
class Prepared:
    """Consecutive line chunks of one file and stage A's columns of all their lines."""

    chunks: list[LineChunk]
    fields: pa.Table

    @property
    def rows(self) -> int:
        return self.fields.num_rows

    def line(self, number: int) -> bytes:
        """Physical line ``number`` of the file (it lies in one of the chunks)."""
        i = bisect.bisect_right([c.first for c in self.chunks], number) - 1
        chunk = self.chunks[i]
        return chunk.line(number - chunk.first)


class CertParser:
    """Parses chunks of one CERT file of a known layout."""

    def __init__(self, layout: Layout, header_lines: int, name: str) -> None:
        self.layout = layout
        self.kind = layout.kind
        self.variant = layout.variant
        self.header_lines = header_lines
        self.name = name
        #: each query parsed once per run's connection: a batch then skips DuckDB's parser
        self._statements: dict[str, duckdb.Statement] = {}
        self._parsed_on: duckdb.DuckDBPyConnection | None = None

    def _run(self, ctx: RunContext, fields: str) -> pa.Table:
        con = ctx.con
        if self._parsed_on is not con:
            self._statements, self._parsed_on = {}, con
        statement = self._statements.get(fields)
        if statement is None:
            sql = (
                decoy_sql(fields)
                if self.kind == "decoy"
                else enrich_sql(f"({stage_b_sql(self.layout, fields)})", ctx)
            )
            statement = self._statements[fields] = con.extract_statements(sql)[0]
        params = {} if self.kind == "decoy" else enrich_params(ctx, self.name)
        return con.sql(statement, params=params).to_arrow_table()

    batch_rows = BATCH_ROWS

    @staticmethod
    def rows_of(prepared: Prepared) -> int:
        return prepared.rows

    def prepare(self, chunk: LineChunk) -> Prepared:
        return Prepared([chunk], split_fields(chunk, self.layout, self.header_lines))

    def combine(self, items: list[Prepared]) -> Prepared:
        """Consecutive prepared chunks as one batch (Arrow tables concatenated, no copy)."""
        if len(items) == 1:
            return items[0]
        return Prepared(
            [c for p in items for c in p.chunks], pa.concat_tables([p.fields for p in items])
        )

    def tables(self, ctx: RunContext, prepared: Prepared, counts: FileCounts) -> Iterator[pa.Table]:
        fields = prepared.fields
        fallback = pc.fill_null(pc.equal(fields["a_reason"], CSV_FALLBACK), False)
        quoted: list[int] = []
        if pc.any(fallback).as_py():
            quoted = pc.filter(fields["line_no"], fallback).to_pylist()
        ctx.con.register("kg_fields", fields)
        yield self._with_raw(self._run(ctx, fields_sql(FAST_ROWS, self.layout)), prepared)
        if quoted:
            ctx.con.register("kg_csv_rows", self.csv_rows(prepared, quoted))
            yield self._with_raw(self._run(ctx, "kg_csv_rows"), prepared)

    def _with_raw(self, table: pa.Table, batch: Prepared) -> pa.Table:
        """Fill ``raw_kept`` of rejected rows with the row minus its content."""
        rejected = pc.is_valid(table["reason"])
        if not pc.any(rejected).as_py():
            return table
        numbers = pc.filter(table["line_no"], rejected).to_pylist()
        texts = [self.kept_raw(batch.line(n).decode("utf-8", "replace")) for n in numbers]
        column = pc.replace_with_mask(
            table["raw_kept"].combine_chunks().cast(pa.string()),
            rejected.combine_chunks() if isinstance(rejected, pa.ChunkedArray) else rejected,
            pa.array(texts, pa.string()),
        )
        return table.set_column(table.schema.get_field_index("raw_kept"), "raw_kept", column)

    def csv_rows(self, batch: Prepared, numbers: list[int]) -> pa.Table:
        """Stage A's columns for lines whose leading fields are quoted (Python ``csv``)."""
        names = field_names(self.layout)
        width = self.layout.width
        out: dict[str, list[object]] = {"line_no": [], "a_reason": []}
        for n in names:
            out[n] = []
        for number in numbers:
            line = batch.line(number).decode("utf-8")
            reason: str | None = None
            fields: list[str] = []
            try:
                fields = next(csv.reader([line], strict=True))
            except csv.Error as exc:
                reason = f"broken quoting ({exc})"
            except StopIteration:
                reason = "empty row"
            if reason is None:
                short = len(fields) < width if self.layout.content else len(fields) != width
                if short:
                    reason = f"expected {width} columns, found {len(fields)}"
            fields = ([f.strip(" \t") for f in fields] + [""] * len(names))[: len(names)]
            out["line_no"].append(number)
            out["a_reason"].append(reason)
            for n, value in zip(names, fields, strict=True):
                out[n].append(value)
        return pa.table(
            {k: pa.array(v, pa.int64() if k == "line_no" else pa.string()) for k, v in out.items()}
        )

    def kept_raw(self, text: str) -> str:
        """A rejected row without its content column: for layouts with content, at most the
        first four fields (id, date, user, pc), never a field that could be the content
        shifted left (the last one of a short row), and none from the first that does not
        have the shape of its column on: a quote, a space (but in the date), a date that
        is not one, a web address (``://``), a pc with ``:``, ``/`` or ``\\``. Content
        that slid left (a comma missing before it) always sits behind the URL, path or
        address columns, which fail these shapes, so it is never reached."""
        if not self.layout.content:
            return text
        pieces = text.split(",", 4)
        kept = pieces[:4] if len(pieces) > 4 else pieces[:-1]
        out = []
        for i, piece in enumerate(kept):
            if i == 1:
                shaped = bool(_DATE_LIKE.match(piece))
            else:
                shaped = not any(c.isspace() for c in piece) and "://" not in piece
                if i == 3:
                    shaped = shaped and not any(c in piece for c in ":/\\")
            if '"' in piece or not shaped:
                break
            out.append(piece)
        return ",".join([*out, REMOVED])


def _readable(path: Path) -> None:
    if not os.access(path, os.R_OK):
        raise InputError(str(path), "the file cannot be read (permission denied)")
    if path.stat().st_size == 0:
        raise InputError(str(path), "the file is empty")


def _psychometric_header(path: Path) -> int:
    with path.open("rb") as fh:
        first = fh.readline(4096)
    return 1 if first.lstrip(b"\xef\xbb\xbf").lower().startswith(b"employee_name") else 0


def plan(folder: Path) -> tuple[list[PlannedFile], list[str], Path | None]:
    """The files of a CERT folder in reading order, notes for the run, the LDAP folder."""
    if not folder.exists():
        raise InputError(str(folder), "no such folder")
    if not folder.is_dir():
        raise InputError(str(folder), "not a folder (ingest cert takes a CERT dataset folder)")
    try:
        entries = {p.name.lower(): p for p in folder.iterdir()}
    except OSError as exc:
        raise InputError(str(folder), f"cannot list the folder ({exc.strerror or exc})") from exc
    if not any(name in entries and entries[name].is_file() for name in ACTIVITY_FILES):
        raise InputError(
            str(folder), "not a CERT dataset folder: none of " + ", ".join(ACTIVITY_FILES)
        )
    planned: list[PlannedFile] = []
    for name in FILES:
        path = entries.get(name)
        if path is None or not path.is_file():
            continue
        _readable(path)
        if name == "psychometric.csv":
            planned.append(
                PlannedFile(
                    path,
                    path.name,
                    "psychometric",
                    "r4.2-r6.2",
                    "policy_skip",
                    _psychometric_header(path),
                )
            )
            continue
        layout, header = detect(path, name)
        action = "decoys" if layout.kind == "decoy" else "events"
        planned.append(
            PlannedFile(
                path,
                path.name,
                layout.kind,
                layout.variant,
                action,
                header,
                CertParser(layout, header, path.name),
            )
        )
    ldap = entries.get("ldap")
    ldap_dir = ldap if ldap is not None and ldap.is_dir() else None
    known = set(FILES) | {"ldap"}
    ignored = sorted(p.name for key, p in entries.items() if key not in known)
    notes = [f"not CERT activity files, ignored: {', '.join(ignored)}"] if ignored else []
    return planned, notes, ldap_dir


_COMMON = (
    FieldUse("event_id", "tie every finding to its source row", "the CERT id"),
    FieldUse("time_utc", "when (UTC; local day and hour of the unit derived)"),
    FieldUse("source_user", "who (as in the logs; pseudonymised in analytics)"),
    FieldUse("host", "on which machine"),
    FieldUse("activity", "what was done"),
)


def declarations() -> tuple[SourceDeclaration, ...]:
    return (
        SourceDeclaration("CERT logon.csv", _COMMON),
        SourceDeclaration("CERT device.csv", _COMMON, not_kept=("file_tree",)),
        SourceDeclaration(
            "CERT file.csv",
            (
                *_COMMON,
                FieldUse("object", "which file (to match classified locations)", "the path"),
                FieldUse("to_removable", "copies to removable media"),
                FieldUse("from_removable", "copies from removable media"),
            ),
            not_kept=("content",),
        ),
        SourceDeclaration(
            "CERT email.csv",
            (
                *_COMMON,
                FieldUse("sender", "who sent it", "address, lower case"),
                FieldUse("recipients", "to whom (to, cc, bcc)", "addresses, lower case"),
                FieldUse("recipients_outside", "mail leaving the organization", "a count"),
                FieldUse("size", "how large"),
                FieldUse("attachments", "attached file names and sizes (r5.x-r6.2)"),
                FieldUse("attachment_count", "how many attachments"),
            ),
            not_kept=("content",),
        ),
        SourceDeclaration(
            "CERT http.csv",
            (
                *_COMMON,
                FieldUse("url_host", "which site", "host name only"),
                FieldUse("site_category", "kind of site (fixed categories)"),
                FieldUse(
                    "object",
                    "uploads and classified locations",
                    "full URL only for uploads and register matches",
                ),
            ),
            not_kept=("content", "url (other than uploads and register matches)"),
        ),
        SourceDeclaration(
            "CERT decoy_file.csv",
            (
                FieldUse("host", "machine holding a decoy file"),
                FieldUse("object", "path of the decoy file", "in decoys.parquet"),
            ),
        ),
        SourceDeclaration(
            "CERT psychometric.csv",
            (),
            not_kept=("employee_name", "user_id", "O", "C", "E", "A", "N"),
        ),
    )


ADAPTER = Adapter(
    name="cert",
    title="CERT Insider Threat Test Dataset folder (r4.2-r6.2)",
    declarations=declarations,
    plan=plan,
)
