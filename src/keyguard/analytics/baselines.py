"""Own and peer baselines: exact quantiles (linear interpolation, as SQL's
``quantile_cont``/Spark's ``percentile``) computed per person and per peer group.

SQL engines compute windowed quantiles over dozens of indicators very slowly, so this step
is a grouped computation over the ``features`` rows — on Spark the same function runs per
group (``applyInPandas``). Definitions are in :mod:`keyguard.analytics.sql_baselines`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from keyguard.analytics.sql_baselines import baseline_ids, peer_ids
from keyguard.policies import catalog

CUMULATIVE_PEER_DAYS = 7

BATCH = 4096


def _quantiles(vals: np.ndarray, counts: np.ndarray, qs: tuple[float, ...]) -> list[np.ndarray]:
    """``vals``: (rows, window, cols) sorted along the window with padding at the end;
    ``counts``: valid entries per row. Linear-interpolated quantiles, NaN when empty."""
    out = []
    n = counts.astype(float)
    rows = np.arange(vals.shape[0])[:, None]
    cols = np.arange(vals.shape[2])[None, :]
    for q in qs:
        pos = np.clip(q * (n - 1), 0, None)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, np.maximum(counts - 1, 0))
        frac = (pos - lo)[:, None]
        v_lo = vals[rows, lo[:, None], cols]
        v_hi = vals[rows, hi[:, None], cols]
        with np.errstate(invalid="ignore"):  # empty windows (inf padding) become NaN below
            res = v_lo + (v_hi - v_lo) * frac
        res[counts == 0] = np.nan
        out.append(res)
    return out


def _matrix(table: pa.Table, ids: list[str]) -> np.ndarray:
    return (
        np.column_stack(
            [table.column(i).to_numpy(zero_copy_only=False).astype(np.float64) for i in ids]
        )
        if ids
        else np.empty((table.num_rows, 0))
    )


def own_scaled(features: pa.Table, ids: list[str]) -> np.ndarray:
    """The indicator matrix own statistics are computed on: counts over a window scaled to a
    full window while the person's history (from ``seen_from``) is shorter than it — as
    :func:`keyguard.analytics.sql_baselines.own_scaled` does for the scored value."""
    x = _matrix(features, ids)
    if "seen_from" not in features.column_names:
        return x
    cat = catalog.indicators()
    days = features.column("day_no").to_numpy().astype(np.float64)
    seen = features.column("seen_from").to_numpy(zero_copy_only=False).astype(np.float64)
    unit_from = (
        features.column("unit_from").to_numpy(zero_copy_only=False).astype(np.float64)
        if "unit_from" in features.column_names
        else np.full(features.num_rows, np.nan)
    )
    for j, i in enumerate(ids):
        window = cat[i].window
        if cat[i].kind == "cumulative" and window:
            start = seen
            if cat[i].counted_after_days:
                start = np.fmax(seen, unit_from + cat[i].counted_after_days)
            covered = np.clip(days - start + 1, 1, window)
            covered = np.where(np.isnan(covered), window, covered)
            x[:, j] = x[:, j] * window / covered
    return x


def scaled_value(
    ind: str, value: float | None, day: int, seen_from: int | None, unit_from: int | None
) -> float | None:
    """``value`` of ``ind`` on ``day`` scaled to a full window as own statistics compare it
    (:func:`own_scaled`), or None when nothing is scaled (not a count over a window, or the
    person's history already covers the window)."""
    spec = catalog.indicators()[ind]
    if value is None or spec.kind != "cumulative" or not spec.window or seen_from is None:
        return None
    start = seen_from
    if spec.counted_after_days and unit_from is not None:
        start = max(seen_from, unit_from + spec.counted_after_days)
    covered = min(max(day - start + 1, 1), spec.window)
    return None if covered >= spec.window else value * spec.window / covered


def own_stats(
    features: pa.Table, lo: int, hi: int, cfg: dict[str, Any], only: set[str] | None = None
) -> pa.Table:
    """Per person-day in ``lo..hi``: active days and the 10/50/90th percentiles of each
    indicator over the person's previous ``own_window_days`` (the day itself excluded);
    counts over a window scaled to a full window (:func:`own_scaled`)."""
    w = int(cfg["own_window_days"])
    ids = [i for i in baseline_ids() if only is None or i in only]
    users = features.column("user_key").to_numpy(zero_copy_only=False)
    days = features.column("day_no").to_numpy().astype(np.int64)
    _, uidx = np.unique(users, return_inverse=True)
    order = np.lexsort((days, uidx))
    keys = uidx[order].astype(np.int64) * 10_000_000 + days[order]
    x = own_scaled(features, ids)[order]
    target = np.flatnonzero((days[order] >= lo) & (days[order] <= hi))
    start = np.searchsorted(keys, keys[target] - w, side="left")
    end = np.searchsorted(keys, keys[target], side="left")
    counts = end - start
    cols: dict[str, list[np.ndarray]] = {f"{i}__own_p{q}": [] for i in ids for q in (10, 50, 90)}
    for b in range(0, target.size, BATCH):
        s, c = start[b : b + BATCH], counts[b : b + BATCH]
        width = int(c.max()) if c.size and c.max() > 0 else 1
        idx = s[:, None] + np.arange(width)[None, :]
        valid = np.arange(width)[None, :] < c[:, None]
        vals = x[np.where(valid, idx, 0)]
        vals[~valid] = np.inf
        vals.sort(axis=1)
        p10, p50, p90 = _quantiles(vals, c, (0.1, 0.5, 0.9))
        for j, i in enumerate(ids):
            cols[f"{i}__own_p10"].append(p10[:, j])
            cols[f"{i}__own_p50"].append(p50[:, j])
            cols[f"{i}__own_p90"].append(p90[:, j])
    out: dict[str, Any] = {
        "user_key": pa.array(users[order][target], pa.string()),
        "day_no": pa.array(days[order][target], pa.int32()),
        "own_days": pa.array(counts, pa.int64()),
    }
    for name, parts in cols.items():
        arr = np.concatenate(parts) if parts else np.empty(0)
        out[name] = pa.array(arr, pa.float64(), mask=np.isnan(arr))
    return pa.table(out)


def _group_keys(features: pa.Table) -> dict[str, np.ndarray]:
    dept = features.column("department").to_numpy(zero_copy_only=False)
    title = features.column("job_title").to_numpy(zero_copy_only=False)
    return {
        "title": np.array(
            [
                f"{d} | {t}" if d is not None and t is not None else None
                for d, t in zip(dept, title, strict=True)
            ],
            dtype=object,
        ),
        "department": dept.astype(object),
        "unit": np.array([""] * features.num_rows, dtype=object),
    }


def peer_stats(
    features: pa.Table, lo: int, hi: int, cfg: dict[str, Any], only: set[str] | None = None
) -> pa.Table:
    """Peer statistics; cumulative indicators over the last week only (their values grow
    with the data's age, so an older window would understate the peers)."""
    regular = _peer_stats(
        features, lo, hi, int(cfg["peer_window_days"]), cumulative=False, only=only
    )
    cum = _peer_stats(features, lo, hi, CUMULATIVE_PEER_DAYS, cumulative=True, only=only)
    index = {
        k: i
        for i, k in enumerate(
            zip(
                cum.column("b").to_pylist(),
                cum.column("lvl").to_pylist(),
                cum.column("grp").to_pylist(),
                strict=True,
            )
        )
    }
    keys = list(
        zip(
            regular.column("b").to_pylist(),
            regular.column("lvl").to_pylist(),
            regular.column("grp").to_pylist(),
            strict=True,
        )
    )
    take = [index.get(k) for k in keys]
    out = regular
    for name in cum.column_names[4:]:
        col = cum.column(name).to_pylist()
        out = out.append_column(
            name, pa.array([col[i] if i is not None else None for i in take], pa.float64())
        )
    return out


def _peer_stats(
    features: pa.Table,
    lo: int,
    hi: int,
    w: int,
    *,
    cumulative: bool,
    only: set[str] | None = None,
) -> pa.Table:
    """Per week ``b`` with days in ``lo..hi`` and per peer group (``title``: department and
    job title, ``department``, ``unit``): people and the 50/90th percentiles of each
    indicator over the group's person-days in the ``peer_window_days`` before the week."""
    cum = {i.id for i in catalog.indicators().values() if i.kind == "cumulative"}
    ids = [i for i in peer_ids() if (i in cum) == cumulative and (only is None or i in only)]
    days = features.column("day_no").to_numpy().astype(np.int64)
    users = features.column("user_key").to_numpy(zero_copy_only=False)
    x = _matrix(features, ids)
    keys = _group_keys(features)
    out: dict[str, list[Any]] = {"b": [], "lvl": [], "grp": [], "n_people": []}
    stat_cols = {f"{i}__peer_p{q}": [] for i in ids for q in (50, 90)}
    weeks = sorted({int(d) // 7 for d in days if lo <= d <= hi})
    for b in weeks:
        rows = np.flatnonzero((days >= b * 7 - w) & (days < b * 7))
        if rows.size == 0:
            continue
        for lvl, key in keys.items():
            labels = key[rows]
            ok = np.array([v is not None for v in labels])
            sel, labels = rows[ok], labels[ok]
            if sel.size == 0:
                continue
            uniq, inv = np.unique(labels.astype(str), return_inverse=True)
            for g, name in enumerate(uniq):
                part = sel[inv == g]
                qs = np.quantile(x[part], [0.5, 0.9], axis=0) if ids else np.empty((2, 0))
                out["b"].append(b)
                out["lvl"].append(lvl)
                out["grp"].append(str(name))
                out["n_people"].append(len(set(users[part])))
                for j, i in enumerate(ids):
                    stat_cols[f"{i}__peer_p50"].append(float(qs[0, j]))
                    stat_cols[f"{i}__peer_p90"].append(float(qs[1, j]))
    table: dict[str, Any] = {
        "b": pa.array(out["b"], pa.int32()),
        "lvl": pa.array(out["lvl"], pa.string()),
        "grp": pa.array(out["grp"], pa.string()),
        "n_people": pa.array(out["n_people"], pa.int64()),
    }
    for name, vals in stat_cols.items():
        table[name] = pa.array(vals, pa.float64())
    return pa.table(table)


def baselines(
    features: pa.Table, lo: int, hi: int, cfg: dict[str, Any], only: set[str] | None = None
) -> pa.Table:
    """Per person-day in ``lo..hi``: own statistics, then the peer statistics of the finest
    group (department and title, department, unit) with at least ``min_peers`` people.
    ``only``: the indicators that need them (the policies' fields and those the
    explanations show); default every indicator with baselines."""
    own = own_stats(features, lo, hi, cfg, only)
    peers = peer_stats(features, lo, hi, cfg, only)
    m = int(cfg["min_peers"])
    index = {
        (b, lvl, grp): i
        for i, (b, lvl, grp) in enumerate(
            zip(
                peers.column("b").to_pylist(),
                peers.column("lvl").to_pylist(),
                peers.column("grp").to_pylist(),
                strict=True,
            )
        )
    }
    n_people = peers.column("n_people").to_numpy()
    # Group keys of the target rows (as known on their day), in the order of ``own``.
    days = features.column("day_no").to_numpy()
    pos = {
        (u, int(d)): i
        for i, (u, d) in enumerate(zip(features.column("user_key").to_pylist(), days, strict=True))
        if lo <= d <= hi
    }
    keys = _group_keys(features)
    chosen = np.full(own.num_rows, -1)
    level: list[str | None] = [None] * own.num_rows
    for r, (u, d) in enumerate(
        zip(own.column("user_key").to_pylist(), own.column("day_no").to_pylist(), strict=True)
    ):
        i = pos[(u, d)]
        for lvl in ("title", "department", "unit"):
            k = keys[lvl][i]
            j = index.get((d // 7, lvl, k)) if k is not None else None
            if j is not None and (n_people[j] >= m or lvl == "unit"):
                chosen[r], level[r] = j, lvl
                break
    ok = chosen >= 0
    take = np.where(ok, chosen, 0)
    cols: dict[str, Any] = {n: own.column(n) for n in own.column_names}
    peer_n = n_people[take] if n_people.size else np.zeros(own.num_rows, dtype=np.int64)
    cols["peer_n"] = pa.array(peer_n, pa.int64(), mask=~ok)
    cols["peer_level"] = pa.array(level, pa.string())
    for name in peers.column_names[4:]:
        arr = peers.column(name).to_numpy()
        vals = arr[take] if arr.size else np.zeros(own.num_rows)
        cols[name] = pa.array(vals, pa.float64(), mask=~ok)
    return pa.table(cols)
