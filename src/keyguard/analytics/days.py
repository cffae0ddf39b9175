"""Day numbers: every local day is an integer (days since 1970-01-01) inside the SQL, so
windows are plain integer ranges on every engine."""

from __future__ import annotations

import datetime as dt

EPOCH = dt.date(1970, 1, 1)
NEVER = 10**6  # an open end (year ~4700)


def day_no(day: dt.date) -> int:
    return (day - EPOCH).days


def day_of(no: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(no))


def iso(no: int) -> str:
    return day_of(no).isoformat()
