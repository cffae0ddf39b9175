"""Risk carried forward: scoring resumed from a person's saved state (and the calibration
from its window only) gives exactly the full computation's numbers; detection adding one
day, changing a middle day or changing only the risk settings equals a full run."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, select

from keyguard.analytics import risk_state
from keyguard.analytics.config import load_config
from keyguard.analytics.days import day_no
from keyguard.analytics.models import Alert, RiskDay
from keyguard.analytics.run import detect
from keyguard.analytics.scoring import (
    DayInputs,
    RiskState,
    calibration,
    compute_risk,
    policy_calibration,
    score_people,
)
from keyguard.analytics.store import Cache
from keyguard.db.session import sessionmaker_for
from keyguard.policies.loader import active_policies
from keyguard.policies.model import Policy

from .conftest import FAST, empty_home
from .factory import Org, inject

# --- scoring alone ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> list[Policy]:
    return active_policies(Path(tmp_path_factory.mktemp("home")))


def _random_days(policies: list[Policy], seed: int) -> dict[str, dict[int, DayInputs]]:
    rng = random.Random(seed)
    out: dict[str, dict[int, DayInputs]] = {}
    for u in range(60):
        per: dict[int, DayInputs] = {}
        first = rng.randrange(0, 40)
        for d in range(first, 200):
            if rng.random() < 0.3:
                continue  # a day off (gaps decay more than one day)
            di = DayInputs(
                flags={
                    "privileged": int(u % 11 == 0),
                    "departing": int(u % 13 == 0 and d > 120),
                    "items_top_level": int(rng.random() < 0.02),
                    "top_level_flag": 0,
                }
            )
            for _ in range(rng.choice([0] * 12 + [1, 1, 2])):
                di.hits.append((rng.choice(policies), float(rng.choice([1, 1.5, 2, 3]))))
            if rng.random() < 0.05:
                di.anomaly_pct = 0.99 + rng.random() / 100
                di.contributions = {"events_total": rng.random(), "logons_off_hours": rng.random()}
            per[d] = di
        out[f"u{u:02d}"] = per
    return out


def _rows(table: Any, since: int) -> list[dict[str, Any]]:
    rows = [r for r in table.to_pylist() if r["day_no"] >= since]
    return sorted(rows, key=lambda r: (r["user_key"], r["day_no"]))


@pytest.mark.parametrize("seed", [1, 2])
def test_resumed_scoring_equals_full(policies: list[Policy], seed: int) -> None:
    cfg = load_config(None)
    days = _random_days(policies, seed)
    full, full_by_day = compute_risk(days, {"u03": 90}, cfg)
    calib = policy_calibration(days, cfg)
    # one pass keeping states at a few checkpoints ...
    marks = [48, 99, 100, 150]
    first = score_people(days, {"u03": 90}, cfg, calib, checkpoints=marks)
    assert first.table.equals(full) and first.by_day == full_by_day
    for mark in marks:
        lo = mark + 1
        texts = first.states[mark]  # as saved, or read back
        states = texts if mark % 2 else {u: RiskState.from_json(t) for u, t in texts.items()}
        later = {u: {d: di for d, di in per.items() if d >= lo} for u, per in days.items()}
        # ... and resumed from each: the same rows, bit for bit (raw included)
        resumed = score_people(
            {u: per for u, per in later.items() if per},
            {"u03": 90},
            cfg,
            calib,
            states=states,
            emit_from=lo,
            checkpoints=[150] if mark < 150 else [],
        )
        assert _rows(resumed.table, lo) == _rows(full, lo)
        assert resumed.by_day == {k: v for k, v in full_by_day.items() if k[1] >= lo}
        if mark < 150:
            assert resumed.states[150] == first.states[150]
        # a state survives its JSON form exactly
        for text in first.states[mark].values():
            assert RiskState.from_json(text).to_json() == text


def test_windowed_calibration_equals_full(policies: list[Policy]) -> None:
    cfg = load_config(None)
    days = _random_days(policies, 3)
    full = policy_calibration(days, cfg)
    w = int(cfg["risk"]["calibration"]["window_days"])
    lo = 150
    users = sorted(days)
    au, ad, fired = [], [], {}  # type: ignore[var-annotated]
    for i, u in enumerate(users):
        for d, di in days[u].items():
            if d < lo - w + 1:
                continue
            au.append(i)
            ad.append(d)
            for p, _ in di.hits:
                fired.setdefault(p.id, ([], []))
                fired[p.id][0].append(i)
                fired[p.id][1].append(d)
    part = calibration(
        np.asarray(au),
        np.asarray(ad),
        {k: (np.asarray(a), np.asarray(b)) for k, (a, b) in fired.items()},
        cfg,
        since=lo,
    )
    for pid, per in full.items():
        for d, k in per.items():
            if d >= lo:
                assert part.get(pid, {}).get(d, 1.0) == k
    assert all(d >= lo for per in part.values() for d in per)


# --- detection ---------------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Engine]]:
    with empty_home(tmp_path, monkeypatch) as made:
        yield made


def _settings(home: Path, extra: str = "") -> None:
    (home / "analytics" / "config.yaml").write_text(
        "".join(f"{k}: {v}\n" for k, v in FAST.items()) + extra, encoding="utf-8"
    )


def _results(home: Path, eng: Engine) -> dict[str, Any]:
    import pyarrow.parquet as pq

    risk = []
    for f in Cache(home, "t1").files("risk"):
        risk.extend(tuple(sorted(r.items())) for r in pq.read_table(f).to_pylist())
    with sessionmaker_for(eng)() as s:
        return {
            "risk": sorted(risk, key=repr),
            "risk_day": sorted(
                (r.user_key, r.day, r.score, r.raw, r.boost, tuple(r.top_indicators))
                for r in s.scalars(select(RiskDay))
            ),
            "alerts": sorted(
                (
                    a.id,
                    a.active,
                    a.first_day,
                    a.fired_day,
                    a.last_day,
                    tuple(a.fired_days),
                    a.score,
                    tuple(a.indicators),
                )
                for a in s.scalars(select(Alert))
            ),
        }


def _detect(eng: Engine, home: Path, *, full: bool = False) -> Any:
    with sessionmaker_for(eng)() as s:
        result = detect(s, "t1", home=home, full=full)
        s.commit()
    return result


def test_new_days_changed_day_and_rescore_equal_full(
    env: tuple[Path, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, eng = env
    resumed: list[int | None] = []
    load = risk_state.load

    def spy(cache: Cache, before: int) -> Any:
        out = load(cache, before)
        resumed.append(out[0])
        return out

    monkeypatch.setattr(risk_state, "load", spy)
    org = Org(users=28, days=70).normal()
    inject(org)
    org.write_events(home, range(62))
    with sessionmaker_for(eng)() as s:
        org.write_people(s)
        s.commit()
    assert _detect(eng, home).mode == "full"
    states = Cache(home, "t1").ranges(risk_state.TABLE)
    assert states and all(a == b for a, b in states)

    # one new day, then two: each resumes from the saved states
    for new in (range(62, 63), range(63, 70)):
        org.write_events(home, new)
        one = _detect(eng, home)
        assert one.mode == "incremental" and one.first_day == org.day(new[0])
        assert resumed[-1] is not None and resumed[-1] < day_no(org.day(new[0]))
    # the last day removed and put back (as the benchmark does)
    last = home / "events" / "unit=t1" / f"day={org.day(67).isoformat()}"
    aside = home / "aside"
    last.rename(aside)
    assert _detect(eng, home).mode == "incremental"
    aside.rename(last)
    assert _detect(eng, home).first_day == org.day(67)
    assert resumed[-1] == day_no(org.day(66))
    incremental = _results(home, eng)
    assert incremental["risk_day"] and incremental["alerts"]
    assert _detect(eng, home, full=True).mode == "full"
    assert _results(home, eng) == incremental

    # a middle day changes (late events of day 55): recomputed from there, resumed from the
    # checkpoint before it
    p = org.people[3]
    for k in range(40):
        org.file(p, 55, 15, f"E:\\late\\{k}.docx", to_usb=True)
    org.usb(p, 55, 15)
    org.write_events(home, range(55, 56))
    changed = _detect(eng, home)
    assert changed.mode == "incremental" and changed.first_day == org.day(55)
    assert resumed[-1] is not None and day_no(org.day(48)) <= resumed[-1] < day_no(org.day(55))
    after_change = _results(home, eng)
    assert after_change != incremental
    assert _detect(eng, home, full=True).mode == "full"
    assert _results(home, eng) == after_change

    # only the risk settings change: risk and alerts re-scored from the first day
    _settings(home, "risk:\n  half_life_days: 7\n")
    assert _detect(eng, home).mode == "rescore"
    rescored = _results(home, eng)
    assert rescored != after_change
    assert _detect(eng, home, full=True).mode == "full"
    assert _results(home, eng) == rescored


def test_states_dropped_from_first_changed_day(tmp_path: Path) -> None:
    cache = Cache(tmp_path, "t1")
    risk_state.save(cache, {6: {"a": RiskState(prev=5).to_json()}, 9: {}}, 0, 9)
    risk_state.save(cache, {13: {"a": RiskState(prev=12).to_json()}}, 10, 13)
    risk_state.save(cache, {15: {"a": RiskState(prev=15).to_json()}}, 14, 15)
    # 6 and 13 are on the weekly grid; the run end 15 is pruned once a later run ends
    assert [a for a, _ in cache.ranges(risk_state.TABLE)] == [6, 13, 15]
    risk_state.save(cache, {16: {"a": RiskState(prev=16).to_json()}}, 16, 16)
    assert [a for a, _ in cache.ranges(risk_state.TABLE)] == [6, 13, 16]
    day, states = risk_state.load(cache, 16)
    assert day == 13 and RiskState.from_json(states["a"]).prev == 12
    risk_state.drop(cache, 10)
    day, states = risk_state.load(cache, 100)
    assert day == 6 and RiskState.from_json(states["a"]).prev == 5
    assert risk_state.load(cache, 6) == (None, {})
