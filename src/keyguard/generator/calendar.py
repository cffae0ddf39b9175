"""The unit's calendar: local days of the period, weekends, public holidays, months, and the
local times that do not exist (the hour skipped when daylight-saving time starts).

Imports only the standard library and numpy.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

import numpy as np


def easter_sunday(year: int) -> dt.date:
    """Western (Gregorian) Easter Sunday of ``year`` (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def public_holidays(year: int, tz: str) -> list[tuple[dt.date, str]]:
    """Public holidays of ``year`` for the unit's region (German set for Europe/Berlin)."""
    easter = easter_sunday(year)
    days = [
        (dt.date(year, 1, 1), "New Year's Day"),
        (easter - dt.timedelta(days=2), "Good Friday"),
        (easter + dt.timedelta(days=1), "Easter Monday"),
        (dt.date(year, 5, 1), "Labour Day"),
        (dt.date(year, 12, 25), "Christmas Day"),
        (dt.date(year, 12, 26), "Second Day of Christmas"),
    ]
    if tz == "Europe/Berlin":
        days += [
            (easter + dt.timedelta(days=39), "Ascension Day"),
            (easter + dt.timedelta(days=50), "Whit Monday"),
            (dt.date(year, 10, 3), "Day of German Unity"),
        ]
    return sorted(days)


@dataclass(frozen=True)
class Calendar:
    """Per-day facts of the generated period (index 0 is the start date)."""

    start: dt.date
    days: int
    tz: str
    dates: list[dt.date]
    weekday: np.ndarray  # int8, Monday=0
    holiday: np.ndarray  # bool
    workday: np.ndarray  # bool: weekday and not a holiday
    holidays: list[tuple[dt.date, str]]  # every public holiday of the years touched
    gap: np.ndarray  # int32 (days, 2): [start_sec, end_sec) of non-existent local time, or -1
    months: list[tuple[int, int]]  # (year, month) touched, in order
    month_of_day: np.ndarray  # int16 index into months
    day_prefix: list[str]  # "MM/DD/YYYY" per day

    def month_bounds(self, index: int) -> tuple[int, int]:
        """First and last day index of month ``index`` within the period."""
        days = np.flatnonzero(self.month_of_day == index)
        return int(days[0]), int(days[-1])

    def iso(self, day: int) -> str:
        """ISO date of a day index."""
        return self.dates[day].isoformat()

    def workdays_between(self, first: int, last: int) -> np.ndarray:
        """Workday indices in ``[first, last]`` (clipped to the period)."""
        first = max(first, 0)
        last = min(last, self.days - 1)
        if last < first:
            return np.zeros(0, dtype=np.int64)
        return first + np.flatnonzero(self.workday[first : last + 1])


def _gap_of(day: dt.date, zone: zoneinfo.ZoneInfo) -> tuple[int, int]:
    """Seconds of the local day that do not exist (spring-forward), as [start, end)."""
    start = dt.datetime(day.year, day.month, day.day, tzinfo=zone)
    after = start + dt.timedelta(days=1)
    if start.utcoffset() == after.utcoffset():
        return (-1, -1)
    for hour in range(24):
        local = dt.datetime(day.year, day.month, day.day, hour, tzinfo=zone)
        round_trip = local.astimezone(dt.UTC).astimezone(zone)
        if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
            width = int((after.utcoffset() or dt.timedelta()).total_seconds()) - int(
                (start.utcoffset() or dt.timedelta()).total_seconds()
            )
            return (hour * 3600, hour * 3600 + max(width, 0))
    return (-1, -1)


def build_calendar(start: dt.date, days: int, tz: str) -> Calendar:
    """The calendar of ``days`` local days from ``start`` in time zone ``tz``."""
    zone = zoneinfo.ZoneInfo(tz)
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    years = sorted({d.year for d in dates})
    holidays = [h for y in years for h in public_holidays(y, tz)]
    holiday_set = {d for d, _ in holidays}
    weekday = np.array([d.weekday() for d in dates], dtype=np.int8)
    holiday = np.array([d in holiday_set for d in dates], dtype=bool)
    workday = (weekday < 5) & ~holiday
    gap = np.array([_gap_of(d, zone) for d in dates], dtype=np.int32).reshape(days, 2)
    months: list[tuple[int, int]] = []
    month_of_day = np.zeros(days, dtype=np.int16)
    for i, d in enumerate(dates):
        key = (d.year, d.month)
        if not months or months[-1] != key:
            months.append(key)
        month_of_day[i] = len(months) - 1
    return Calendar(
        start=start,
        days=days,
        tz=tz,
        dates=dates,
        weekday=weekday,
        holiday=holiday,
        workday=workday,
        holidays=holidays,
        gap=gap,
        months=months,
        month_of_day=month_of_day,
        day_prefix=[d.strftime("%m/%d/%Y") for d in dates],
    )


def shift_out_of_gaps(cal: Calendar, t: np.ndarray) -> np.ndarray:
    """Move times (seconds since period start) that fall into a DST gap to just after it."""
    day = t // 86400
    sec = t % 86400
    g0 = cal.gap[day, 0]
    g1 = cal.gap[day, 1]
    inside = (g0 >= 0) & (sec >= g0) & (sec < g1)
    if not inside.any():
        return t
    out = t.copy()
    out[inside] = day[inside] * 86400 + g1[inside] + (sec[inside] - g0[inside])
    return out


TIME_OF_DAY: list[str] = [
    f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
]
"""``HH:MM:SS`` for every second of a day."""


def local_text(cal: Calendar, t: int) -> str:
    """``MM/DD/YYYY HH:MM:SS`` of a time in seconds since the period start."""
    return f"{cal.day_prefix[t // 86400]} {TIME_OF_DAY[t % 86400]}"
