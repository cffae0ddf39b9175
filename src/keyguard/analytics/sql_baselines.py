"""Baselines and the ``scored`` relation the policies read (the quantiles themselves are
computed by :mod:`keyguard.analytics.baselines`).

Own baseline: each person's 10th/50th/90th percentile of every indicator over their active
days in the previous ``own_window_days`` (the day itself excluded). Peer baseline: the
50th/90th percentile over the person-days of their peer group in the ``peer_window_days``
before the start of the week — department and job title, else department, else the unit,
the first with at least ``min_peers`` people. Quantiles are robust to the outliers a few
bad days make. ``scored`` adds robust z-scores and ratios:

- ``<id>__own_z = (value - own_p50) / max((own_p90 - own_p10) / 2.5631, floor)``
- ``<id>__peer_z = (value - peer_p50) / max((peer_p90 - peer_p50) / 1.2816, floor)``
- ``<id>__own_ratio = value / max(own_p90, floor)`` (and ``peer_ratio`` alike)

with ``floor`` 1 for counts and 1 MB for byte volumes; null (never true in a policy) when the
person has fewer than ``own_min_days`` earlier active days.

Counts over a window (``kind: cumulative``, e.g. distinct items over 90 days) grow while a
person's history is shorter than the window, so a steady level would look like a rise
against the person's own earlier, still-filling values. Their *own* statistics are
therefore computed on the count scaled to a full window,
``value * window / min(window, day - start + 1)`` — ``start`` the person's first day in the
data (``seen_from``), or for an indicator counted only once the data covers
``counted_after_days`` days, that day if later — the same value once the history covers
the window. Thresholds (``gte``) and
peer statistics use the count itself (peers' counts fill alike).
"""

from __future__ import annotations

from typing import Any

from keyguard.policies import catalog


def baseline_ids() -> list[str]:
    """Indicators with baselines (every indicator but flags and shares)."""
    return [i.id for i in catalog.indicators().values() if i.kind not in catalog.PLAIN_KINDS]


def peer_ids() -> list[str]:
    return [
        i.id for i in catalog.indicators().values() if i.kind not in catalog.PLAIN_KINDS and i.peer
    ]


def floor_of(ind: str) -> float:
    return 1_000_000.0 if catalog.indicators()[ind].kind == "bytes" else 1.0


def own_scaled(ind: str, alias: str = "f") -> str:
    """SQL of the value of ``ind`` that own statistics compare: for a count over a window,
    scaled to a full window while the person's history is shorter (see module doc)."""
    spec = catalog.indicators()[ind]
    if spec.kind != "cumulative" or not spec.window:
        return f"{alias}.{ind}"
    w = int(spec.window)
    start = f"{alias}.seen_from"
    if spec.counted_after_days:
        start = f"GREATEST({start}, {alias}.unit_from + {int(spec.counted_after_days)})"
    covered = f"LEAST({w}, GREATEST({alias}.day_no - {start} + 1, 1))"
    return f"({alias}.{ind} * {w}.0 / COALESCE({covered}, {w}))"


def stat_columns(ind: str, stat: str) -> str:
    """SQL of one derived statistic of ``ind`` (``own_z``, ``peer_ratio``, ``own_p90`` ...)
    over ``f`` (features) and ``b`` (baselines)."""
    fl = floor_of(ind)
    if stat in ("own_z", "own_ratio"):
        ok = "b.own_days >= {min_days}"
        v = own_scaled(ind)
        if stat == "own_z":
            return (
                f"CASE WHEN {ok} THEN ({v} - b.{ind}__own_p50) / GREATEST("
                f"(b.{ind}__own_p90 - b.{ind}__own_p10) / 2.5631, {fl}) END"
            )
        return f"CASE WHEN {ok} THEN {v} / GREATEST(b.{ind}__own_p90, {fl}) END"
    if stat == "peer_z":
        return (
            f"(f.{ind} - b.{ind}__peer_p50) / GREATEST((b.{ind}__peer_p90 - "
            f"b.{ind}__peer_p50) / 1.2816, {fl})"
        )
    if stat == "peer_ratio":
        return f"f.{ind} / GREATEST(b.{ind}__peer_p90, {fl})"
    return f"b.{ind}__{stat}"


def scored_sql(lo: int, hi: int, cfg: dict[str, Any], columns: list[str] | None = None) -> str:
    """``features`` joined with ``baselines`` for ``lo..hi``: every indicator value and the
    derived ``<id>__<stat>`` columns named in ``columns`` (default: all of them)."""
    min_days = int(cfg["own_min_days"])
    if columns is None:
        peers = set(peer_ids())
        columns = [
            f"{i}__{s}"
            for i in baseline_ids()
            for s in ("own_p10", "own_p50", "own_p90", "own_z", "own_ratio")
        ]
        columns += [
            f"{i}__{s}"
            for i in baseline_ids()
            if i in peers
            for s in ("peer_p50", "peer_p90", "peer_z", "peer_ratio")
        ]
    cols = ["f.*", "b.own_days", "b.peer_n", "b.peer_level"]
    for col in columns:
        ind, stat = col.split("__", 1)
        cols.append(stat_columns(ind, stat).replace("{min_days}", str(min_days)) + f" AS {col}")
    return (
        f"SELECT {', '.join(cols)} FROM features f JOIN baselines b "
        f"ON b.user_key = f.user_key AND b.day_no = f.day_no "
        f"WHERE f.day_no BETWEEN {lo} AND {hi}"
    )
