"""Generator parameters, file names, CSV headers and deterministic random streams.

Imports only the standard library, numpy and ``keyguard.errors``.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

import numpy as np

from keyguard.errors import KeyguardError

MIN_USERS = 30
MIN_DAYS = 28

HEADERS: dict[str, list[str]] = {
    "logon.csv": ["id", "date", "user", "pc", "activity"],
    "device.csv": ["id", "date", "user", "pc", "file_tree", "activity"],
    "file.csv": [
        "id",
        "date",
        "user",
        "pc",
        "filename",
        "activity",
        "to_removable_media",
        "from_removable_media",
        "content",
    ],
    "email.csv": [
        "id",
        "date",
        "user",
        "pc",
        "to",
        "cc",
        "bcc",
        "from",
        "activity",
        "size",
        "attachments",
        "content",
    ],
    "http.csv": ["id", "date", "user", "pc", "url", "activity", "content"],
    "psychometric.csv": ["employee_name", "user_id", "O", "C", "E", "A", "N"],
    "decoy_file.csv": ["decoy_filename", "pc"],
    "LDAP": [
        "employee_name",
        "user_id",
        "email",
        "role",
        "projects",
        "business_unit",
        "functional_unit",
        "department",
        "team",
        "supervisor",
    ],
    "register.csv": [
        "reference",
        "title",
        "level",
        "owner_department",
        "location",
        "compartment",
        "custodian",
        "owner",
        "review_date",
    ],
    "grants.csv": [
        "grantee_type",
        "grantee",
        "item_reference",
        "purpose",
        "start",
        "end",
        "approved_by",
    ],
    "hosts.csv": ["host", "assigned_staff_id", "shared", "removable_media_allowed"],
}
"""Header row of every file the generator writes (``LDAP`` for each ``LDAP/YYYY-MM.csv``)."""

ACTIVITY_FILES: tuple[str, ...] = ("logon.csv", "device.csv", "file.csv", "email.csv", "http.csv")
"""The streamed activity files, in the order they are written."""

ANSWER_FILES: tuple[str, ...] = ("answers.csv", "events.csv", "meta.json")

# Random stream ids (the seed sequence is ``[seed, stream, *extra]``).
STREAM_ORG = 1
STREAM_HABITS = 2
STREAM_REGISTER = 3
STREAM_SCENARIOS = 4
STREAM_ACTIVITY = 5
STREAM_DIRTY = 6
STREAM_IDS = 7
STREAM_STATIC = 8

_DOMAIN = re.compile(r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass(frozen=True)
class GeneratorParams:
    """What to generate: size, period, seed, time zone and the unit's e-mail domain."""

    users: int = 200
    days: int = 60
    seed: int = 1
    start: dt.date = dt.date(2024, 1, 15)
    tz: str = "Europe/Berlin"
    domain: str = "dtaa.example"
    chunk_days: int = 7

    def validate(self) -> None:
        """Raise a KeyguardError naming the first unusable parameter."""
        if self.users < MIN_USERS:
            raise KeyguardError(f"--users must be at least {MIN_USERS} (got {self.users})")
        if self.days < MIN_DAYS:
            raise KeyguardError(f"--days must be at least {MIN_DAYS} (got {self.days})")
        if self.seed < 0:
            raise KeyguardError(f"--seed must be zero or positive (got {self.seed})")
        if not 1 <= self.chunk_days <= 31:
            raise KeyguardError("chunk_days must be between 1 and 31")
        try:
            zoneinfo.ZoneInfo(self.tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise KeyguardError(f"--tz {self.tz!r} is not an IANA time zone") from exc
        if not _DOMAIN.match(self.domain):
            raise KeyguardError(f"--domain {self.domain!r} is not a domain name")

    @property
    def end(self) -> dt.date:
        """Last generated local day (inclusive)."""
        return self.start + dt.timedelta(days=self.days - 1)


def rng_for(seed: int, stream: int, *extra: int) -> np.random.Generator:
    """A random generator that depends only on the seed, the stream id and ``extra``."""
    return np.random.default_rng(np.random.SeedSequence([seed, stream, *extra]))
