"""The DuckDB API: event → items (several items → highest level; level on the day) and
accesses outside need-to-know, which agree with need_to_know() row by row."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest
from kg_register_builders import World
from sqlalchemy.orm import Session

from keyguard.events.schema import EVENT_SCHEMA
from keyguard.records.register.grants import Grantee, Scope, need_to_know, new_grant
from keyguard.records.register.matching import event_items, outside_need_to_know, user_key
from keyguard.records.register.service import create_item, record_downgrade

D = dt.date


def _events(rows: list[dict]) -> pa.Table:  # type: ignore[type-arg]
    full = []
    for i, r in enumerate(rows):
        day = r.get("local_date", D(2024, 3, 1))
        full.append(
            {f.name: None for f in EVENT_SCHEMA}
            | {
                "event_id": f"e{i}",
                "unit": "u1",
                "category": "file",
                "activity": "open",
                "time_utc": dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC),
                "local_date": day,
                "local_hour": 9,
                "source_user": "DTAA/ALI0001",
                "host": "PC-1",
            }
            | r
        )
    return pa.Table.from_pylist(full, schema=EVENT_SCHEMA)


@pytest.mark.pg
def test_event_items_highest_level_and_downgrades(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world
    create_item(
        session,
        unit=w.unit,
        reference="REG-1",
        title="Kestrel folder",
        level="confidential",
        locations=[r"\\FS03\Research\Kestrel\*"],
    )
    design = create_item(
        session,
        unit=w.unit,
        reference="REG-2",
        title="Kestrel design",
        level="top secret",
        locations=[r"\\fs03\research\kestrel\design\*.dwg", r"\\fs03\research\kestrel\design\*"],
    )
    create_item(
        session,
        unit=w.unit,
        reference="REG-3",
        title="Memo",
        level="secret",
        locations=["doc:MEMO-7", "http://intranet.example/wiki/kestrel/*"],
    )
    create_item(
        session,
        unit=w.unit,
        reference="REG-4",
        title="Budget",
        level="secret",
        locations=[r"\\fs03\finance\budget.xlsx"],
    )
    con = duckdb.connect()
    con.register(
        "events",
        _events(
            [
                {"object": r"\\fs03\research\kestrel\design\wing.dwg"},  # e0: REG-1 + REG-2 (twice)
                {"object": r"\\FS03\RESEARCH\KESTREL\notes.txt"},  # e1: REG-1
                {"object": "memo-7", "category": "email"},  # e2: REG-3 by document id
                {
                    "object": "https://Intranet.example/wiki/Kestrel/p1.html",
                    "category": "http",
                },  # e3
                {"object": r"\\fs03\finance\budget.xlsx"},  # e4: exact
                {"object": r"\\fs03\finance\budget.xlsx.bak"},  # e5: no match
                {"object": None, "category": "logon"},  # e6
                {
                    "object": r"\\fs03\research\kestrel\design\old.dwg",
                    "local_date": D(2024, 1, 5),
                },  # e7
            ]
        ),
    )
    record_downgrade(
        session,
        item=design,
        to_level="secret",
        on_day=D(2024, 2, 1),
        witness1=w.people["DAN0004"],
        witness2=w.people["EVE0005"],
    )
    rows = event_items(con, "u1", session=session).order("event_id, reference").fetchall()
    got = [(r[0], r[4], r[5], r[7]) for r in rows]  # event, reference, level, item_level
    assert got == [
        ("e0", "REG-1", "secret", "confidential"),  # counts for each, at the highest level
        ("e0", "REG-2", "secret", "secret"),  # REG-2 downgraded from top secret on 1 Feb
        ("e1", "REG-1", "confidential", "confidential"),
        ("e2", "REG-3", "secret", "secret"),
        ("e3", "REG-3", "secret", "secret"),
        ("e4", "REG-4", "secret", "secret"),
        ("e7", "REG-1", "top secret", "confidential"),  # before the downgrade
        ("e7", "REG-2", "top secret", "top secret"),
    ]
    # matched in slices of the events (as for big stores): the same rows
    from keyguard.records.register import matching

    monkeypatch.setattr(matching, "EVENTS_PER_PARTITION", 2)  # 8 events -> 4 slices
    sliced = event_items(con, "u1", session=session).order("event_id, reference").fetchall()
    assert sliced == rows
    cols = event_items(con, "u1", session=session).columns
    assert cols[:7] == [
        "event_id",
        "local_date",
        "source_user",
        "item_id",
        "reference",
        "level",
        "level_rank",
    ]


@pytest.mark.pg
def test_outside_need_to_know_agrees_with_need_to_know(session: Session, world: World) -> None:
    w = world
    item = create_item(
        session,
        unit=w.unit,
        reference="REG-1",
        title="Kestrel",
        level="secret",
        locations=[r"\\fs03\research\kestrel\*"],
    )
    new_grant(
        session,
        unit=w.unit,
        grantee=Grantee("team", node=w.nodes["alpha"]),
        scope=Scope("item", item=item),
        purpose="project",
        start=D(2024, 1, 1),
        end=D(2024, 3, 31),
        status="approved",
        known_from=D(2024, 1, 1),
        source="t",
    )
    new_grant(
        session,
        unit=w.unit,
        grantee=Grantee("person", person=w.people["BOB0002"]),
        scope=Scope("item", item=item),
        purpose="support",
        start=D(2024, 1, 1),
        end=None,
        status="approved",
        known_from=D(2024, 3, 10),
        source="t",
    )
    events = []
    for user in ("DTAA/ALI0001", "bob0002@u.example", "CAR0003"):
        for day in (D(2024, 2, 1), D(2024, 3, 9), D(2024, 3, 10), D(2024, 4, 2)):
            events.append(
                {"object": r"\\fs03\research\kestrel\a.doc", "source_user": user, "local_date": day}
            )
    con = duckdb.connect()
    con.register("events", _events(events))
    outside = {(r[2], r[1]) for r in outside_need_to_know(con, "u1", session=session).fetchall()}
    people = {p.staff_id.lower(): p for p in w.people.values()}
    expected = {
        (e["source_user"], e["local_date"])
        for e in events
        if not need_to_know(session, people[user_key(e["source_user"])], item, e["local_date"])
    }
    assert outside == expected
    assert ("DTAA/ALI0001", D(2024, 4, 2)) in outside  # expired
    assert ("bob0002@u.example", D(2024, 3, 9)) in outside  # known only from 10 March
    assert ("bob0002@u.example", D(2024, 3, 10)) not in outside
