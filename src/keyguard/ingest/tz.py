"""Time-zone tables that let DuckDB turn local wall-clock times into UTC and back with
exactly Python's ``zoneinfo`` rules (PEP 495, ``fold=0``):

- a wall-clock time in a DST gap (e.g. 02:30 on the spring-forward night in Berlin) does
  not exist; it is read with the offset *before* the change, so 02:30 becomes 01:30 UTC
  (03:30 summer time);
- a wall-clock time in a repeated hour (02:30 on the fall-back night) is read as its
  *first* occurrence (summer time): 00:30 UTC.

The transitions of a zone are found once per process (a weekly scan from 1900 to 2100, then
day by day and a bisection to the second); times outside that range are refused.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import lru_cache

import numpy as np
import pyarrow as pa

from keyguard.errors import ConfigError

FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)
_EPOCH = dt.date(1970, 1, 1)
_DAY = 86400


def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{name!r} is not an IANA time zone") from exc


def _offset(tz: zoneinfo.ZoneInfo, utc_seconds: int) -> int:
    moment = dt.datetime.fromtimestamp(utc_seconds, tz)
    off = moment.utcoffset()
    return int(off.total_seconds()) if off is not None else 0


@lru_cache(maxsize=16)
def transitions(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(utc_seconds, offset_before, offset_after)`` of every change of the zone's offset."""
    tz = zone(name)
    start = (FIRST_DAY - _EPOCH).days * _DAY
    stop = (LAST_DAY - _EPOCH).days * _DAY + _DAY
    times, before, after = [], [], []

    def bisect(lo: int, hi: int, o_lo: int) -> int:
        while hi - lo > 1:  # offset(lo) == o_lo != offset(hi)
            mid = (lo + hi) // 2
            if _offset(tz, mid) == o_lo:
                lo = mid
            else:
                hi = mid
        return hi

    week = 7 * _DAY
    prev_t, prev_o = start, _offset(tz, start)
    for w in range(start + week, stop + week, week):
        o_w = _offset(tz, w)
        if o_w == prev_o:
            prev_t = w
            continue
        # a change this week: walk it day by day (two changes in one day are not seen)
        for t in range(prev_t + _DAY, w + 1, _DAY):
            o = _offset(tz, t)
            if o != prev_o:
                times.append(bisect(t - _DAY, t, prev_o))
                before.append(prev_o)
                after.append(o)
                prev_o = o
        prev_t, prev_o = w, o_w
    return (
        np.array(times, dtype=np.int64),
        np.array(before, dtype=np.int64),
        np.array(after, dtype=np.int64),
    )


def _initial(name: str) -> int:
    return _offset(zone(name), (FIRST_DAY - _EPOCH).days * _DAY)


def _day_table(bounds: np.ndarray, after: np.ndarray, initial: int, key: str) -> pa.Table:
    """Per day: the offset in force at its start (``o0``) and up to two later changes
    within the day (``{key}1``/``o1``, ``{key}2``/``o2``), boundaries in seconds."""
    days = np.arange((FIRST_DAY - _EPOCH).days, (LAST_DAY - _EPOCH).days + 1, dtype=np.int64)
    starts = days * _DAY
    idx = np.searchsorted(bounds, starts, side="right")
    offs = np.concatenate(([initial], after)) if len(after) else np.array([initial])
    o0 = offs[idx]
    cols: dict[str, pa.Array] = {
        "d": pa.array(days.astype("datetime64[D]"), pa.date32()),
        "o0": pa.array(o0, pa.int32()),
    }
    for k in (1, 2):
        pos = idx + (k - 1)
        inside = pos < len(bounds)
        safe = np.minimum(pos, max(len(bounds) - 1, 0))
        if len(bounds):
            inside &= bounds[safe] < starts + _DAY
            b = np.where(inside, bounds[safe], 0)
            o = np.where(inside, after[safe], 0)
        else:
            b = np.zeros(len(days), dtype=np.int64)
            o = np.zeros(len(days), dtype=np.int64)
        cols[f"{key}{k}"] = pa.array(
            (b * 1_000_000).astype("datetime64[us]"), pa.timestamp("us"), mask=~inside
        )
        cols[f"o{k}"] = pa.array(o, pa.int32(), mask=~inside)
    return pa.table(cols)


@lru_cache(maxsize=16)
def local_to_utc_table(name: str) -> pa.Table:
    """Keyed by *local* date ``d``: wall-clock boundaries ``b1``/``b2`` (local time, as
    naive timestamps) from which offsets ``o1``/``o2`` apply; before them ``o0``.

    A change at UTC instant T from offset A to B applies to wall times from
    ``T + max(A, B)``: gap times keep the old offset, repeated times their first one.
    """
    times, before, after = transitions(name)
    bounds = times + np.maximum(before, after)
    return _day_table(bounds, after, _initial(name), "b")


@lru_cache(maxsize=16)
def utc_to_local_table(name: str) -> pa.Table:
    """Keyed by *UTC* date ``d``: UTC instants ``t1``/``t2`` from which ``o1``/``o2`` apply."""
    times, _before, after = transitions(name)
    return _day_table(times, after, _initial(name), "t")


def offset_sql(ts: str, alias: str, key: str) -> str:
    """SQL choosing the offset (seconds) for timestamp ``ts`` from joined day-table row
    ``alias`` (``key`` is ``b`` for local→UTC tables, ``t`` for UTC→local)."""
    return (
        f"CASE WHEN {alias}.{key}2 IS NOT NULL AND {ts} >= {alias}.{key}2 THEN {alias}.o2 "
        f"WHEN {alias}.{key}1 IS NOT NULL AND {ts} >= {alias}.{key}1 THEN {alias}.o1 "
        f"ELSE {alias}.o0 END"
    )


def to_utc(local: dt.datetime, name: str) -> dt.datetime:
    """A naive wall-clock time of zone ``name`` as an aware UTC datetime (``fold=0``)."""
    return local.replace(tzinfo=zone(name), fold=0).astimezone(dt.UTC)
