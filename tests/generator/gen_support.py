"""Readers of a generated folder shared by the generator tests (imported as ``gen_support``)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from keyguard.generator import GeneratorParams

SMALL = GeneratorParams(users=30, days=30, seed=7, start=dt.date(2024, 1, 15))
ACTIVITY = ("logon.csv", "device.csv", "file.csv", "email.csv", "http.csv")
DATE_FORMAT = "%m/%d/%Y %H:%M:%S"


def read_rows(path: Path) -> list[list[str]]:
    """All rows of a CSV file (header first); line number = list index + 1."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def pattern_regex(location: str) -> re.Pattern[str]:
    """Register location pattern ('*' = anything) as a case-insensitive regex."""
    return re.compile(
        "^" + ".*".join(re.escape(p) for p in location.split("*")) + "$", re.IGNORECASE
    )


@dataclass
class Generated:
    """A generated folder and its answers, with parsed views."""

    out: Path
    answers: Path
    _cache: dict[str, list[list[str]]] = field(default_factory=dict)

    def rows(self, name: str) -> list[list[str]]:
        """Rows of a file in the output folder (cached)."""
        if name not in self._cache:
            self._cache[name] = read_rows(self.out / name)
        return self._cache[name]

    def table(self, name: str) -> list[dict[str, str]]:
        """Data rows of a file as dicts, without the planted malformed rows."""
        rows = self.rows(name)
        header = rows[0]
        return [
            dict(zip(header, r, strict=True))
            for line, r in enumerate(rows[1:], start=2)
            if (name, line) not in self.dirty_lines
        ]

    @cached_property
    def meta(self) -> dict:
        return json.loads((self.answers / "meta.json").read_text(encoding="utf-8"))

    @cached_property
    def answer_rows(self) -> list[dict[str, str]]:
        rows = read_rows(self.answers / "answers.csv")
        assert rows[0] == ["scenario", "user", "start", "end"]
        return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]

    @cached_property
    def event_rows(self) -> list[dict[str, str]]:
        rows = read_rows(self.answers / "events.csv")
        return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]

    @cached_property
    def dirty_lines(self) -> set[tuple[str, int]]:
        return {(d["file"], d["line"]) for d in self.meta["dirty_rows"]}

    @cached_property
    def ldap(self) -> dict[str, list[dict[str, str]]]:
        out = {}
        for path in sorted((self.out / "LDAP").glob("*.csv")):
            rows = read_rows(path)
            out[path.stem] = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
        return out

    @cached_property
    def hosts(self) -> dict[str, dict[str, str]]:
        return {r["host"]: r for r in self.table("hosts.csv")}

    def covered(self, user: str, reference: str, month: str) -> bool:
        """Whether any grant gives ``user`` (as in LDAP ``month``) access to an item."""
        person = next(r for r in self.ldap[month] if r["user_id"] == user)
        for g in self.table("grants.csv"):
            if g["item_reference"] != reference:
                continue
            kind, grantee = g["grantee_type"], g["grantee"]
            if (
                (kind == "person" and grantee == user)
                or (kind == "team" and grantee == person["team"])
                or (kind == "department" and grantee == person["department"])
                or (kind == "position" and grantee == person["role"])
            ):
                return True
        return False

    def item_of(self, path: str) -> str | None:
        """Register reference whose location matches a path or URL."""
        for item in self.register_patterns:
            if item[1].match(path):
                return item[0]
        return None

    @cached_property
    def register_patterns(self) -> list[tuple[str, re.Pattern[str]]]:
        return [(r["reference"], pattern_regex(r["location"])) for r in self.table("register.csv")]


def when(text: str) -> dt.datetime:
    """Parse a CERT date."""
    return dt.datetime.strptime(text, DATE_FORMAT)
