"""Evidence of an alert: the events behind it, read from the event store, and the
pseudonymiser that keeps identities out of what analysts see (staff e-mail addresses,
path segments that name a person, host owners)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.events.schema import EVENT_SCHEMA
from keyguard.policies import catalog
from keyguard.records.org.models import Person, Unit

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
EVIDENCE_LIMIT = 2000


class Pseudonymiser:
    """Replaces staff ids, names and addresses of the unit's people by pseudonyms in text;
    any other e-mail address keeps its domain and loses its name part."""

    def __init__(self, people: Iterable[Person]):
        terms: dict[str, str] = {}
        for p in people:
            for t in self._terms(p):
                if len(t) >= 3:
                    terms.setdefault(t.casefold(), p.pseudonym)
        self.emails = {t: v for t, v in terms.items() if "@" in t}
        words = sorted((t for t in terms if "@" not in t), key=len, reverse=True)
        self.words = terms
        self.rx = (
            re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE) if words else None
        )

    @staticmethod
    def _terms(p: Person) -> list[str]:
        out = [p.staff_id]
        for addr in [p.email or "", *(p.personal_emails or [])]:
            if "@" in addr:
                out += [addr, addr.split("@", 1)[0]]
        parts = [w for w in re.split(r"[^\w]+", p.full_name or "") if w]
        if len(parts) >= 2:
            first, last = parts[0], parts[-1]
            out += [
                f"{first}.{last}",
                f"{first}_{last}",
                f"{first}{last}",
                f"{first} {last}",
                f"{last}.{first}",
                f"{last}, {first}",
                f"{first[0]}{last}",
                p.full_name,
            ]
            out += [w for w in parts if len(w) >= 4]
        return out

    def email(self, addr: str) -> str:
        low = addr.casefold()
        if low in self.emails:
            return self.emails[low]
        local, _, domain = low.partition("@")
        if local in self.words:
            return f"{self.words[local]}@{domain}"
        return "x-" + hashlib.sha256(low.encode()).hexdigest()[:8] + "@" + domain

    def text(self, value: str | None) -> str | None:
        if not value:
            return value
        out = _EMAIL.sub(lambda m: self.email(m.group(0)), value)
        if self.rx is not None:
            out = self.rx.sub(lambda m: self.words[m.group(0).casefold()], out)
        return out


def pseudonymiser(session: Session, unit: Unit) -> Pseudonymiser:
    return Pseudonymiser(session.scalars(select(Person).where(Person.unit_id == unit.id)))


def _files(home: Path, unit_code: str, first: dt.date, last: dt.date) -> list[str]:
    root = home / "events" / f"unit={unit_code}"
    files: list[str] = []
    day = first
    while day <= last:
        files += [str(f) for f in sorted((root / f"day={day.isoformat()}").glob("*.parquet"))]
        day += dt.timedelta(days=1)
    return files


def _source(files: list[str]) -> str:
    listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    return (
        f"(SELECT * FROM _schema UNION ALL BY NAME SELECT * FROM read_parquet([{listing}], "
        "union_by_name = true, hive_partitioning = false))"
    )


def _connect(source_users: list[str]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("_schema", EVENT_SCHEMA.empty_table())
    con.register("_users", pa.table({"u": source_users}))
    return con


def read_events(
    home: Path,
    unit_code: str,
    source_users: list[str],
    first: dt.date,
    last: dt.date,
    where: str = "TRUE",
) -> list[dict[str, Any]]:
    """The events of ``source_users`` on local days ``first..last`` matching ``where`` (an
    evidence filter of the catalog), oldest first, at most ``EVIDENCE_LIMIT``."""
    files = _files(home, unit_code, first, last)
    if not files or not source_users:
        return []
    con = _connect(source_users)
    try:
        return (
            con.sql(
                f"SELECT * FROM {_source(files)} WHERE source_user IN (SELECT u FROM _users) "
                f"AND ({where}) ORDER BY time_utc, source_file, source_line LIMIT {EVIDENCE_LIMIT}"
            )
            .to_arrow_table()
            .to_pylist()
        )
    finally:
        con.close()


def daily_counts(
    home: Path, unit_code: str, source_users: list[str], first: dt.date, last: dt.date
) -> dict[str, dict[str, int]]:
    """Events per local day (ISO) and category."""
    files = _files(home, unit_code, first, last)
    out: dict[str, dict[str, int]] = {}
    if not files or not source_users:
        return out
    con = _connect(source_users)
    try:
        rows = con.execute(
            f"SELECT CAST(local_date AS VARCHAR), lower(category), COUNT(*) FROM {_source(files)} "
            "WHERE source_user IN (SELECT u FROM _users) GROUP BY 1, 2"
        ).fetchall()
    finally:
        con.close()
    for d, cat, n in rows:
        out.setdefault(d, {})[cat] = int(n)
    return out


def evidence_filter(indicators: list[str]) -> str:
    """The union of the evidence filters of ``indicators`` (catalog)."""
    cat = catalog.indicators()
    parts = sorted({cat[i].evidence for i in indicators if i in cat and cat[i].evidence})
    return " OR ".join(f"({p})" for p in parts) if parts else "FALSE"
