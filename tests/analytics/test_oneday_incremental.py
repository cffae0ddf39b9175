"""Adding one day at a time equals a full recompute, with and without a register: a one-day
run reads each stage-A table only over its own look-back, classifies rare accesses of the
new day only (earlier days come from the cache, or are classified again when the cache has
none) and counts usual hours by its short-range form."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, select

from keyguard.analytics import sql_stage_b
from keyguard.analytics.config import load_config
from keyguard.analytics.days import day_no
from keyguard.analytics.models import Alert, RiskDay
from keyguard.analytics.run import detect
from keyguard.analytics.store import Cache
from keyguard.db.session import sessionmaker_for
from keyguard.records.register.imports import import_grants

from .conftest import empty_home
from .factory import Org, finance_register, inject

CUT = 56  # the first run sees days 0..55; days 56..59 then arrive one at a time
TABLES = (
    "features",
    "baselines",
    "hits",
    "anomaly",
    "risk",
    "b_item_access",
    "b_rare_access",
    "scored",
)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Engine]]:
    with empty_home(tmp_path, monkeypatch) as made:
        yield made


def _register(tmp: Path, session: Any, unit: Any, org: Org) -> None:
    refs = finance_register(org, tmp, session, unit, range(40))
    rows = [f"department,Finance,{ref},work,{org.start}," for ref in refs]
    path = tmp / "grants.csv"
    path.write_text(
        "grantee_type,grantee,item_reference,purpose,start,end\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    import_grants(session, unit=unit, path=path, known_from=org.start, today=org.start)


def _snapshot(home: Path, eng: Engine) -> dict[str, Any]:
    snap: dict[str, Any] = {}
    cache = Cache(home, "t1")
    for table in TABLES:
        rows: list[tuple[Any, ...]] = []
        for f in cache.files(table):
            rows.extend(tuple(sorted(r.items())) for r in pq.read_table(f).to_pylist())
        snap[table] = sorted(rows, key=repr)
    with sessionmaker_for(eng)() as s:
        snap["risk_day"] = sorted(
            (r.user_key, r.day, r.score, r.raw, r.boost, tuple(r.top_indicators))
            for r in s.scalars(select(RiskDay))
        )
        snap["alerts"] = sorted(
            (a.id, a.active, a.first_day, a.fired_day, a.last_day, tuple(a.fired_days), a.score)
            for a in s.scalars(select(Alert))
        )
    return snap


def _detect(eng: Engine, home: Path, *, full: bool = False) -> Any:
    with sessionmaker_for(eng)() as s:
        result = detect(s, "t1", home=home, full=full)
        s.commit()
    return result


@pytest.mark.parametrize("register", [True, False], ids=["register", "no-register"])
def test_days_added_one_at_a_time_equal_full(
    env: tuple[Path, Engine], tmp_path: Path, register: bool
) -> None:
    home, eng = env
    org = Org(users=26, days=CUT + 4).normal()
    inject(org)
    org.write_events(home, range(CUT))
    with sessionmaker_for(eng)() as s:
        unit = org.write_people(s)
        if register:
            _register(tmp_path, s, unit, org)
        s.commit()
    assert _detect(eng, home).mode == "full"
    cache = Cache(home, "t1")
    for new in range(CUT, CUT + 4):  # across a weekly boundary (machine owners, checkpoints)
        if new == CUT + 2:
            # a cache made before rare accesses and scored rows were cached: their look-back
            # is computed again
            cache.clear_table("b_rare_access")
            cache.clear_table("scored")
        org.write_events(home, range(new, new + 1))
        one = _detect(eng, home)
        assert one.mode == "incremental" and one.days == 1
        assert one.first_day == org.day(new)
    for table in ("b_rare_access", "scored"):  # the look-back was cached again
        first = [a for a, _ in cache.ranges(table)]
        assert first and min(first) < day_no(org.day(CUT + 2)) - 80
    incremental = _snapshot(home, eng)
    assert incremental["features"] and incremental["hits"] and incremental["alerts"]
    assert incremental["b_rare_access"]
    assert _detect(eng, home, full=True).mode == "full"
    assert _snapshot(home, eng) == incremental


def test_usual_hours_short_range_equals_window(tmp_path: Path) -> None:
    """The join form of the usual-hours query (a few days) gives the window form's rows."""
    rng = random.Random(3)
    hours: dict[str, list[Any]] = {n: [] for n in ("user_key", "day_no", "hour", "logons")}
    days: dict[str, list[Any]] = {"user_key": [], "day_no": []}
    for u in range(12):
        usual = rng.randrange(6, 11)
        for d in range(1000, 1120):
            if rng.random() < 0.3:
                continue
            days["user_key"].append(f"u{u}")
            days["day_no"].append(d)
            odd = [rng.randrange(0, 24)] if rng.random() < 0.15 else []
            for h in {usual, usual + 4, *odd}:
                hours["user_key"].append(f"u{u}")
                hours["day_no"].append(d)
                hours["hour"].append(h)
                hours["logons"].append(rng.randrange(0, 3))
    con = duckdb.connect()
    hour_table = pa.table(hours)
    hour_table = hour_table.append_column("events", hour_table.column("logons"))
    con.register("a_user_hour", hour_table)
    con.register("a_user_day", pa.table(days))
    con.register("holidays", pa.table({"day_no": pa.array([1050], pa.int32())}))
    cfg = load_config(tmp_path, {})
    cal = ([1, 2, 3, 4, 5], 8, 18)
    odd_days = 0
    for lo, hi in ((1100, 1100), (1101, 1103), (1090, 1096), (1001, 1001), (1110, 1116)):
        assert hi - lo + 1 <= sql_stage_b.SHORT_RANGE_DAYS
        short = sorted(con.sql(sql_stage_b.hours_sql(lo, hi, cfg, cal)).fetchall())
        window = sorted(con.sql(sql_stage_b.hours_sql(lo, hi, cfg, cal, short=False)).fetchall())
        assert short and short == window
        odd_days += sum(1 for r in short if r[2])
    assert odd_days  # some logons off the usual hours
    con.close()
