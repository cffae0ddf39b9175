"""What every stage of one ingest run shares: the unit, time zones, who is known, the URL
rules, the DuckDB connection with its helper tables, counts and progress reporting."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from keyguard.ingest import tz

#: ``progress(step, done, total, rows)``: ``done``/``total`` in the step's unit (bytes while
#: reading a file, files while committing); ``rows`` handled so far in the step.
ProgressFn = Callable[[str, int, int, int], None]

#: Register URL locations: patterns (``*`` wildcard, as in the register) or a predicate.
UrlPatterns = Iterable[str] | Callable[[str], bool]

COUNT_FIELDS = ("read", "accepted", "duplicate", "rejected", "skipped", "outside_retention")


@dataclass
class FileCounts:
    """Counts of one input file; ``read`` always equals the sum of the others."""

    name: str
    kind: str
    variant: str = ""
    sha256: str = ""
    size_bytes: int = 0
    read: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    skipped: int = 0
    outside_retention: int = 0
    staged: int = 0  # rows written to staging; split into accepted/duplicate on commit
    seq: int = 0  # position of the file in its run (the first occurrence of an id wins)

    def balanced(self) -> bool:
        rest = self.accepted + self.duplicate + self.rejected + self.skipped
        return self.read == rest + self.outside_retention

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "variant": self.variant,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            **{k: getattr(self, k) for k in COUNT_FIELDS},
        }


class Parser(Protocol):
    """Turns line chunks of one file into enriched rows (events and rejects)."""

    kind: str
    variant: str
    #: Prepared chunks are combined until they hold this many rows before ``tables`` is
    #: called (0: every chunk on its own).
    batch_rows: int

    def prepare(self, chunk: Any) -> Any:
        """Work on a chunk that needs no run state (runs on a helper thread)."""

    def combine(self, items: list[Any]) -> Any:
        """Consecutive prepared chunks as one (only called when ``batch_rows`` > 0)."""

    @staticmethod
    def rows_of(prepared: Any) -> int:
        """How many rows a prepared chunk holds (for ``batch_rows``)."""

    def tables(self, ctx: RunContext, prepared: Any, counts: FileCounts) -> Iterable[pa.Table]:
        """Enriched rows (events and rejects) of a prepared chunk."""

    def kept_raw(self, text: str) -> str:
        """A rejected row's text as it may be kept (content removed)."""


@dataclass
class PlannedFile:
    """One file an adapter will read: ``action`` is ``events``, ``decoys`` or ``policy_skip``."""

    path: Path
    name: str
    kind: str
    variant: str
    action: str
    header_lines: int = 0
    parser: Parser | None = None


@dataclass
class UrlRules:
    """Which web addresses keep their full URL besides uploads."""

    table: pa.Table  # host, normalised, like_pattern, exact (register URL locations)
    predicate: Callable[[str], bool] | None = None


URL_RULES_SCHEMA = pa.schema(
    [
        ("host", pa.string()),
        ("normalised", pa.string()),
        ("like_pattern", pa.string()),
        ("exact", pa.bool_()),
    ]
)


@dataclass
class RunContext:
    """Options and state of one run (one unit, one adapter)."""

    home: Path
    unit: str
    unit_tz: str
    source_tz: str
    run_uid: str
    adapter: str
    staging: Path
    known_users: list[str] = field(default_factory=list)
    email_domains: list[str] = field(default_factory=list)
    url_rules: UrlRules | None = None
    keep_from: dt.date | None = None
    progress: ProgressFn | None = None
    id_prefix: str = ""
    _con: duckdb.DuckDBPyConnection | None = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = self._connect()
        return self._con

    def _connect(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(config={"memory_limit": "2GB"})
        tmp = self.staging / "duckdb.tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = '{tmp}'")
        con.execute("SET TimeZone = 'UTC'")
        con.register("tz_src", tz.local_to_utc_table(self.source_tz))
        con.register("tz_unit", tz.utc_to_local_table(self.unit_tz))
        known = sorted({u.strip().lower() for u in self.known_users if u and u.strip()})
        con.register("known_users", pa.table({"k": pa.array(known, pa.string())}))
        rules = self.url_rules.table if self.url_rules else URL_RULES_SCHEMA.empty_table()
        con.register("reg_urls", rules)
        return con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def inside_regex(self) -> str | None:
        """RE2 pattern matching an address in the unit's own domains (subdomains too)."""
        domains = sorted({d.strip().lower().lstrip("@") for d in self.email_domains if d.strip()})
        if not domains:
            return None
        alts = "|".join(re.escape(d) for d in domains)
        return rf"@([^@]*\.)?({alts})$"

    def report(self, step: str, done: int, total: int, rows: int) -> None:
        if self.progress is not None:
            self.progress(step, done, total, rows)
