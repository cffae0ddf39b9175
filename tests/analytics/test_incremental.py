"""Incremental detection equals a full recompute; adding later days, later people facts or
later grants changes nothing computed for earlier days; a grant known on the access day
removes that access from the outside-need-to-know count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, select

from keyguard.analytics.days import day_no
from keyguard.analytics.models import Alert, RiskDay
from keyguard.analytics.run import detect
from keyguard.analytics.store import Cache
from keyguard.db.session import sessionmaker_for
from keyguard.records.org.models import Person, PersonVersion, Unit
from keyguard.records.register.imports import import_grants
from keyguard.records.register.models import Grant

from .conftest import empty_home
from .factory import Org, finance_register, inject

CUT = 45  # the first run sees days 0..44


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Engine]]:
    with empty_home(tmp_path, monkeypatch) as made:
        yield made


def _grant(tmp: Path, session: Any, unit: Unit, rows: list[str], known: dt.date) -> None:
    path = tmp / f"grants-{known}.csv"
    path.write_text(
        "grantee_type,grantee,item_reference,purpose,start,end\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    import_grants(session, unit=unit, path=path, known_from=known, today=known)


def _cache(home: Path, table: str) -> list[tuple[Any, ...]]:
    files = Cache(home, "t1").files(table)
    rows: list[tuple[Any, ...]] = []
    for f in files:
        rows.extend(tuple(sorted(r.items())) for r in pq.read_table(f).to_pylist())
    return sorted(rows, key=repr)


def _snapshot(home: Path, eng: Engine, before: int | None = None) -> dict[str, Any]:
    def keep(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [r for r in rows if before is None or dict(r)["day_no"] < before]

    snap: dict[str, Any] = {
        t: keep(_cache(home, t))
        for t in ("features", "baselines", "hits", "anomaly", "risk", "b_item_access")
    }
    with sessionmaker_for(eng)() as s:
        snap["risk_day"] = sorted(
            (r.user_key, r.day, r.score, tuple(r.top_indicators))
            for r in s.scalars(select(RiskDay))
            if before is None or day_no(r.day) < before
        )
        alerts = []
        for a in s.scalars(select(Alert).where(Alert.active)):
            days = [
                d
                for d in a.fired_days
                if before is None or day_no(dt.date.fromisoformat(d)) < before
            ]
            if days:
                full = before is None
                alerts.append(
                    (
                        a.id,
                        a.first_day,
                        a.fired_day,
                        tuple(days),
                        a.score if full else None,
                        a.last_day if full else None,
                    )
                )
        snap["alerts"] = sorted(alerts)
    return snap


def test_incremental_lookahead_and_grants(env: tuple[Path, Engine], tmp_path: Path) -> None:
    home, eng = env
    org = Org(users=26, days=70).normal()
    targets = inject(org)
    low = targets["low_and_slow"]
    start = org.start
    org.write_events(home, range(CUT))
    Session = sessionmaker_for(eng)
    with Session() as s:
        unit = org.write_people(s, known_before=CUT)
        finance_register(org, tmp_path, s, unit, range(100, 160))
        _grant(
            tmp_path,
            s,
            unit,
            [f"department,Finance,F-{n},work,{start}," for n in range(100, 160)]
            + [f"department,Finance,F-ALL,work,{start},"],
            start,
        )
        s.commit()
        first = detect(s, "t1", home=home)
        s.commit()
    assert first.mode == "full"
    early = _snapshot(home, eng, before=day_no(org.day(CUT)))
    assert early["hits"] and early["risk_day"]

    # Later days, later people facts (a retroactive correction known on day 60) and a later
    # grant (known on day 60, valid from the start) arrive.
    org.write_events(home, range(CUT, org.days))
    with Session() as s:
        unit = org.write_people(s)
        person = s.scalar(select(Person).where(Person.staff_id == low))
        base = s.scalars(select(PersonVersion).where(PersonVersion.person_id == person.id)).first()
        s.add(
            PersonVersion(
                unit_id=unit.id,
                person_id=person.id,
                valid_from=org.day(5),
                known_from=org.day(60),
                source="late",
                full_name=base.full_name,
                email=base.email,
                job_title="Auditor",
                projects=base.projects,
                department_id=base.department_id,
                status="active",
            )
        )
        refs = [f"F-{n}" for n in range(100, 160)] + ["F-ALL"]
        _grant(tmp_path, s, unit, [f"person,{low},{r},audit,{start}," for r in refs], org.day(60))
        s.commit()
        second = detect(s, "t1", home=home)
        s.commit()
    assert second.mode == "incremental" and second.first_day == org.day(CUT)
    assert _snapshot(home, eng, before=day_no(org.day(CUT))) == early

    incremental = _snapshot(home, eng)
    with Session() as s:
        third = detect(s, "t1", home=home, full=True)
        s.commit()
    assert third.mode == "full"
    assert _snapshot(home, eng) == incremental

    def outside(snap: dict[str, Any]) -> int:
        return sum(
            dict(r)["items_outside_ntk"]
            for r in snap["features"]
            if dict(r)["user_key"] == low.lower()
        )

    def alerted(snap: dict[str, Any]) -> bool:
        with Session() as s:
            return bool(
                s.scalar(
                    select(Alert).where(
                        Alert.user_key == low.lower(),
                        Alert.active,
                        Alert.policy_title.like("Low-and-slow%"),
                    )
                )
            )

    assert outside(incremental) > 10 and alerted(incremental)
    # The same grants known from the start remove those accesses from the count.
    with Session() as s:
        for g in s.scalars(select(Grant).where(Grant.purpose == "audit")):
            g.known_from = start
        s.commit()
        fourth = detect(s, "t1", home=home)
        s.commit()
    assert fourth.mode == "recompute"
    granted = _snapshot(home, eng)
    assert outside(granted) == 0 and not alerted(granted)
