"""Risk aggregation: repeats of one policy add less and less while independent policies add
up; a policy firing for many people of the unit weighs less (calibration from its base
rate, earlier days only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from keyguard.analytics.config import load_config
from keyguard.analytics.scoring import DayInputs, compute_risk, policy_calibration
from keyguard.policies.loader import active_policies
from keyguard.policies.model import Policy


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Policy]:
    home = tmp_path_factory.mktemp("home")
    return {p.title: p for p in active_policies(Path(home))}


def _by_level(policies: dict[str, Policy], level: str) -> list[Policy]:
    return [p for p in policies.values() if p.level == level]


def _people(n: int, days: range) -> dict[str, dict[int, DayInputs]]:
    return {f"u{i:03d}": {d: DayInputs(flags={}) for d in days} for i in range(n)}


def _peak(risk_rows: list[dict[str, object]], user: str) -> float:
    return max(float(r["score"]) for r in risk_rows if r["user_key"] == user)  # type: ignore[arg-type]


def test_independent_signals_outrank_one_noisy_policy(policies: dict[str, Policy]) -> None:
    cfg = load_config(None)
    medium = _by_level(policies, "medium")
    assert len(medium) >= 4
    days = _people(300, range(100))
    # one policy firing every day for a month
    for d in range(40, 70):
        days["u000"][d].hits.append((medium[3], 1.0))
    # three different medium-level policies over three weeks
    for k, d in enumerate((50, 58, 66)):
        days["u001"][d].hits.append((medium[k], 1.0))
    rows = compute_risk(days, {}, cfg)[0].to_pylist()
    assert _peak(rows, "u001") > _peak(rows, "u000")
    # and repeats still count for something
    single = _people(300, range(100))
    single["u000"][40].hits.append((medium[3], 1.0))
    once = compute_risk(single, {}, cfg)[0].to_pylist()
    assert _peak(rows, "u000") > _peak(once, "u000")


def test_calibration_from_base_rate_without_look_ahead(policies: dict[str, Policy]) -> None:
    cfg = load_config(None)
    noisy, rare = _by_level(policies, "high")[:2]
    days = _people(400, range(120))
    for i in range(400):  # the noisy policy fires for 10% of the people, from day 30
        if i % 10 == 0:
            days[f"u{i:03d}"][30 + i % 50].hits.append((noisy, 1.0))
    days["u001"][80].hits.append((rare, 1.0))
    days["u002"][80].hits.append((noisy, 1.0))
    k = policy_calibration(days, cfg)
    assert k[noisy.id][20] == 1.0  # nobody yet
    assert k[noisy.id][100] < 0.5 and k[rare.id][100] == 1.0
    rows = compute_risk(days, {}, cfg)[0].to_pylist()
    assert _peak(rows, "u001") > _peak(rows, "u002")
    # days after 90 change no factor of an earlier day
    cut = {u: {d: v for d, v in per.items() if d < 90} for u, per in days.items()}
    early = policy_calibration(cut, cfg)
    for pid, per in early.items():
        assert all(per[d] == pytest.approx(k[pid][d]) for d in per)
