"""Own baselines of counts over a window (distinct items over 90 days): while a person's
history is shorter than the window the count is still filling, so it is compared with the
person's own usual level scaled to a full window — a steady reader is not "rising", a
batch on top of the usual pace or collection from nothing is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from keyguard.analytics.baselines import own_scaled, own_stats, scaled_value
from keyguard.analytics.config import load_config
from keyguard.analytics.sql_baselines import scored_sql

IND = "items_outside_ntk_90d"
RARE = "items_outside_ntk_rare_90d"


@pytest.fixture(scope="module")
def cfg(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    loaded: dict[str, Any] = load_config(Path(tmp_path_factory.mktemp("home")))
    return loaded


def _features(values: dict[str, list[float]], seen_from: int = 0, unit_from: int = 0) -> pa.Table:
    n = len(next(iter(values.values())))
    cols: dict[str, Any] = {
        "user_key": ["u1"] * n,
        "day_no": list(range(n)),
        "seen_from": [seen_from] * n,
        "unit_from": [unit_from] * n,
    }
    cols.update({k: [float(v) for v in vs] for k, vs in values.items()})
    return pa.table(cols)


def _own_ratio(features: pa.Table, ind: str, day: int, cfg: dict[str, Any]) -> float:
    base = own_stats(features, day, day, cfg, {ind})
    con = duckdb.connect()
    con.register("features", features)
    con.register(
        "baselines",
        base.append_column("peer_n", pa.array([None], pa.int64())).append_column(
            "peer_level", pa.array([None], pa.string())
        ),
    )
    row = con.execute(scored_sql(day, day, cfg, [f"{ind}__own_ratio"])).fetchone()
    assert row is not None
    return float(row[-1])


def test_a_steady_pace_while_the_window_fills_is_not_a_rise(cfg: dict[str, Any]) -> None:
    # two new items a day from the first day: the 90-day count is still filling on day 50
    steady = _features({IND: [2 * (d + 1) for d in range(51)]})
    assert _own_ratio(steady, IND, 50, cfg) == pytest.approx(1.0, abs=0.01)


def test_a_batch_on_top_of_a_steady_pace_is_a_rise(cfg: dict[str, Any]) -> None:
    counts = [float(d + 1) for d in range(50)] + [71.0]  # one a day, then 20 more on day 50
    assert _own_ratio(_features({IND: counts}), IND, 50, cfg) > 1.3


def test_collection_from_nothing_is_a_rise(cfg: dict[str, Any]) -> None:
    counts = [0.0] * 40 + [float(d - 39) for d in range(40, 43)]  # one a day from day 40
    assert _own_ratio(_features({IND: counts}), IND, 42, cfg) > 3


def test_counting_that_starts_late_is_scaled_from_its_own_start(cfg: dict[str, Any]) -> None:
    # rare items are only counted once the data covers 28 days: from then on, one a day
    counts = [0.0] * 28 + [float(d - 27) for d in range(28, 61)]
    assert _own_ratio(_features({RARE: counts}), RARE, 60, cfg) == pytest.approx(1.0, abs=0.01)
    # every counted day is one item per covered day: 90 over a full window
    base = own_stats(_features({RARE: counts}), 60, 60, cfg, {RARE})
    assert base.column(f"{RARE}__own_p90").to_pylist() == [pytest.approx(90.0)]


def test_a_covered_window_compares_the_count_itself(cfg: dict[str, Any]) -> None:
    counts = [float(min(d + 1, 90)) for d in range(200)]
    base = own_stats(_features({IND: counts}), 199, 199, cfg, {IND})
    assert base.column(f"{IND}__own_p90").to_pylist() == [90.0]
    assert _own_ratio(_features({IND: counts}), IND, 199, cfg) == pytest.approx(1.0)


@pytest.mark.parametrize(("seen_from", "unit_from"), [(0, 0), (10, 0), (0, 40), (30, 5)])
def test_the_explanation_shows_the_value_own_statistics_compare(
    seen_from: int, unit_from: int
) -> None:
    """An alert's explanation shows, beside the count itself, the count scaled to a full
    window — the same value the own range is computed on — while the history is shorter."""
    days = 140
    values = {IND: [float(d % 17) for d in range(days)], RARE: [float(d % 5) for d in range(days)]}
    table = _features(values, seen_from=seen_from, unit_from=unit_from)
    matrix = own_scaled(table, [IND, RARE])
    for j, ind in enumerate((IND, RARE)):
        for d in range(seen_from, days):
            shown = scaled_value(ind, values[ind][d], d, seen_from, unit_from)
            if shown is None:  # the window is covered: the count itself is compared
                assert matrix[d, j] == values[ind][d]
            else:
                assert shown == pytest.approx(matrix[d, j])
                assert d - seen_from + 1 < 90 or ind == RARE
    assert scaled_value("logons", 3.0, 5, 0, 0) is None
    assert scaled_value(IND, 9.0, 200, 0, 0) is None
    assert scaled_value(IND, 9.0, 29, 0, 0) == pytest.approx(27.0)
