"""Wiring with the layers around detection: a confirmed case (cases domain, looked up at run
time) boosts the person's risk from its decision day on, never before; a dismissed alert
that retention purged is not recreated by a full re-detection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from keyguard import config
from keyguard.analytics.models import Alert, RiskDay
from keyguard.analytics.run import detect
from keyguard.analytics.service import Viewer, set_status
from keyguard.audit.context import Actor, actor_scope
from keyguard.cases.models import Case
from keyguard.cases.retention import purge_unit
from keyguard.db import engine as db_engine
from keyguard.db.migrate import upgrade
from keyguard.db.session import sessionmaker_for
from keyguard.identity.bootstrap import mark_home
from keyguard.privacy import pseudonyms
from keyguard.records.org.models import Person, Unit

from .conftest import FAST, empty_home
from .factory import Org, inject


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Engine, Org]]:
    with empty_home(tmp_path, monkeypatch) as (home, eng):
        org = Org(users=26, days=70).normal()
        inject(org)
        org.write_events(home)
        with sessionmaker_for(eng)() as s:
            org.write_people(s)
            detect(s, org.unit, home=home)
            s.commit()
        yield home, eng, org


def test_purged_dismissed_alert_is_not_recreated(
    env: tuple[Path, Engine, Org], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, eng, org = env
    # 200 days after the data: past the dismissed-alerts cut-off (180 days), not past the
    # alerts' (3 years) nor the raw events' (2 years).
    now = org.day(org.days - 1) + dt.timedelta(days=200)
    monkeypatch.setenv("KEYGUARD_NOW", f"{now.isoformat()}T12:00:00+00:00")
    Session = sessionmaker_for(eng)
    with Session() as s, actor_scope(Actor(name="analyst")):
        unit = s.scalar(select(Unit).where(Unit.code == org.unit))
        assert unit is not None
        ids = sorted(s.scalars(select(Alert.id).where(Alert.active)))
        assert len(ids) >= 2
        gone = ids[0]
        viewer = Viewer(identify=True)
        set_status(s, gone, unit=unit, viewer=viewer, status="dismissed", reason="benign")
        counts = purge_unit(s, unit=unit, home=home)
        assert counts["dismissed_alerts"] == 1 and counts["alerts"] == 0
        s.commit()
    with Session() as s:
        assert s.get(Alert, gone) is None
        detect(s, org.unit, home=home, full=True)
        s.commit()
        after = set(s.scalars(select(Alert.id)))
    assert gone not in after
    assert set(ids) - {gone} <= after  # the others are re-detected as before


def test_confirmed_case_boosts_from_its_decision_day(env: tuple[Path, Engine, Org]) -> None:
    home, eng, org = env
    Session = sessionmaker_for(eng)
    with Session() as s:
        unit = s.scalar(select(Unit).where(Unit.code == org.unit))
        assert unit is not None
        top = s.scalars(select(RiskDay).order_by(RiskDay.score.desc())).first()
        assert top is not None
        person = s.scalar(
            select(Person).where(Person.unit_id == unit.id, Person.id == top.person_id)
        )
        assert person is not None
        before = {
            r.day: (r.boost, r.score)
            for r in s.scalars(select(RiskDay).where(RiskDay.user_key == top.user_key))
        }
        decided = top.day
        s.add(
            Case(
                unit_id=unit.id,
                number="C-1",
                title="confirmed",
                status="closed",
                outcome="policy_violation",
                person_id=person.id,
                subject_pseudonym="P-1",
                opened_by="t",
                opened_at=dt.datetime(2024, 2, 1, tzinfo=dt.UTC),
                decided_on=decided,
            )
        )
        # a "no concern" case about someone else boosts nobody
        other = s.scalars(
            select(Person).where(Person.unit_id == unit.id, Person.id != person.id)
        ).first()
        assert other is not None
        others_before = {
            r.day: r.boost for r in s.scalars(select(RiskDay).where(RiskDay.person_id == other.id))
        }
        s.add(
            Case(
                unit_id=unit.id,
                number="C-2",
                title="cleared",
                status="closed",
                outcome="no_concern",
                person_id=other.id,
                subject_pseudonym="P-2",
                opened_by="t",
                opened_at=dt.datetime(2024, 2, 1, tzinfo=dt.UTC),
                decided_on=decided,
            )
        )
        s.commit()
        run = detect(s, org.unit, home=home)
        s.commit()
        assert run.mode == "rescore"  # only the booster changed: risk from the cached hits
        after = {
            r.day: (r.boost, r.score)
            for r in s.scalars(select(RiskDay).where(RiskDay.user_key == top.user_key))
        }
        others = {
            r.day: r.boost for r in s.scalars(select(RiskDay).where(RiskDay.person_id == other.id))
        }
    assert after.keys() == before.keys()
    for day, (boost, score) in after.items():
        if day < decided:
            assert (boost, score) == before[day]
        else:
            assert boost == pytest.approx(before[day][0] + 0.5)
            assert score >= before[day][1]
    assert any(day >= decided for day in after)
    assert others == others_before


def test_risk_of_every_day_not_only_the_last_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Risk and alert scores read every cached day, also when the run computed several
    ranges (the last range's working tables must not hide the earlier days)."""
    from keyguard.analytics import run as run_mod
    from keyguard.analytics.store import Cache

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("KEYGUARD_HOME", str(home))
    monkeypatch.delenv("KEYGUARD_DATABASE_URL", raising=False)
    monkeypatch.setattr(run_mod, "CHUNK_DAYS", 16)  # several ranges in 70 days
    config.reset_settings()
    pseudonyms.clear_key_cache()
    mark_home(home)
    (home / "analytics").mkdir()
    short = {  # short histories, so a range's working tables start well after day 0
        **FAST,
        "own_window_days": 10,
        "own_min_days": 5,
        "peer_window_days": 7,
        "anomaly_train_days": 14,
        "anomaly_period_days": 7,
        "anomaly_min_rows": 50,
    }
    (home / "analytics" / "config.yaml").write_text(
        "".join(f"{k}: {v}\n" for k, v in short.items()), encoding="utf-8"
    )
    eng = db_engine.make_engine(f"sqlite:///{home / 'keyguard.db'}")
    upgrade(eng)
    org = Org(users=26, days=70).normal()
    inject(org)
    org.write_events(home)
    from keyguard.policies.backends import policy_lookback
    from keyguard.policies.loader import active_policies

    policies = [p for p in active_policies(home) if policy_lookback(p) <= 14]
    try:
        with sessionmaker_for(eng)() as s:
            org.write_people(s)
            detect(s, org.unit, home=home, policies=policies)
            s.commit()
            stored = {(r.user_key, r.day) for r in s.scalars(select(RiskDay))}
        import pyarrow.parquet as pq

        from keyguard.analytics.days import day_of

        hit_days = {
            (r["user_key"], day_of(r["day_no"]))
            for f in Cache(home, org.unit).files("hits")
            for r in pq.read_table(f).to_pylist()
        }
        assert hit_days
        assert hit_days <= stored  # a policy hit always gives that day a risk
    finally:
        eng.dispose()
        config.reset_settings()
        pseudonyms.clear_key_cache()
