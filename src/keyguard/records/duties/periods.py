"""Periods of a duty's frequency and due dates (pure functions over local dates)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Period:
    """One period a duty's evidence is due for: ``key`` names it ("2026-Q4", "once")."""

    key: str
    start: dt.date
    end: dt.date  # inclusive


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def period_of(frequency: str, day: dt.date, since: dt.date) -> Period:
    """The period of ``frequency`` containing ``day``; one-off duties have a single period
    starting ``since`` (when the person took on the duty)."""
    if frequency == "monthly":
        return Period(f"{day:%Y-%m}", day.replace(day=1), _month_end(day.year, day.month))
    if frequency == "quarterly":
        q = (day.month - 1) // 3
        start = dt.date(day.year, 3 * q + 1, 1)
        return Period(f"{day.year}-Q{q + 1}", start, _month_end(day.year, 3 * q + 3))
    if frequency == "yearly":
        return Period(str(day.year), dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))
    key = "start" if frequency == "on_start" else "once"
    return Period(key, since, since)


def previous_period(frequency: str, period: Period) -> Period | None:
    """The period before ``period`` (``None`` for one-off duties)."""
    if frequency not in ("monthly", "quarterly", "yearly"):
        return None
    return period_of(frequency, period.start - dt.timedelta(days=1), period.start)


def due_date(frequency: str, period: Period, since: dt.date, grace_days: int) -> dt.date:
    """When evidence for ``period`` is due: the period's end, but never sooner than
    ``grace_days`` after the person took on the duty."""
    floor = since + dt.timedelta(days=grace_days)
    if frequency in ("monthly", "quarterly", "yearly"):
        return max(period.end, floor)
    return floor
