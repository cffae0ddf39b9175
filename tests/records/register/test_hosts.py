"""Host inference from logons in the event store (Parquet written with EVENT_SCHEMA)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from kg_register_builders import World
from sqlalchemy.orm import Session

from keyguard.events.schema import EVENT_SCHEMA
from keyguard.records.register.hosts import host_assignments, import_hosts, infer_hosts

D = dt.date


def _write_day(events_dir: Path, day: dt.date, logons: list[tuple[str, str, str]]) -> None:
    """``logons``: (user, host, activity) — written as one Parquet file of the day."""
    rows = []
    for i, (user, host, activity) in enumerate(logons):
        rows.append(
            {f.name: None for f in EVENT_SCHEMA}
            | {
                "event_id": f"{day}-{i}",
                "unit": "u1",
                "time_utc": dt.datetime.combine(day, dt.time(8, i % 60), tzinfo=dt.UTC),
                "local_date": day,
                "local_hour": 8,
                "source_user": user,
                "host": host,
                "category": "logon",
                "class_uid": 3002,
                "activity": activity,
            }
        )
    folder = events_dir / "unit=u1" / f"day={day.isoformat()}"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=EVENT_SCHEMA), folder / "part-0.parquet")


@pytest.mark.pg
def test_main_user_is_inferred_and_marked(session: Session, world: World, tmp_path: Path) -> None:
    events = tmp_path / "events"
    days = [D(2024, 3, d) for d in range(1, 8)]
    for k, day in enumerate(days):
        logons = [("DTAA/ALI0001", "PC-1", "logon"), ("DTAA/ALI0001", "PC-1", "logoff")]
        if k in (0, 1):  # Bob used PC-1 more on the first two days
            logons += [("DTAA/BOB0002", "PC-1", "logon")] * 3
        logons += [("DTAA/BOB0002", "PC-2", "logon")]
        # a lab machine: a different main user every day
        logons += [(f"DTAA/X{k}", "LAB-9", "logon")]
        _write_day(events, day, logons)
    result = infer_hosts(session, unit=world.unit, events_dir=events)
    assert result == {"hosts": 3, "inferred": 3}
    rows = {r["host"]: r for r in host_assignments(session, world.unit).to_pylist()}
    pc1 = rows["PC-1"]
    assert (pc1["assigned_staff_id"], pc1["source"], pc1["shared"]) == (
        "ALI0001",
        "inferred",
        False,
    )
    assert pc1["inferred_user"] == "DTAA/ALI0001" and pc1["inferred_share"] == round(5 / 7, 4)
    # Bob led the first three days; from day 4 (a 2-2 tie goes to the smaller name) Alice
    assert pc1["known_from"] == D(2024, 3, 4)
    assert rows["PC-2"]["assigned_staff_id"] == "BOB0002" and rows["PC-2"]["known_from"] == days[0]
    lab = rows["LAB-9"]
    assert lab["shared"] and lab["assigned_staff_id"] is None and lab["inferred_user"] == "DTAA/X0"
    # an imported assignment wins and is not overwritten by inference
    csv = tmp_path / "hosts.csv"
    csv.write_text(
        "host,assigned_staff_id,shared,removable_media_allowed\npc-1,BOB0002,no,yes\n",
        encoding="utf-8",
    )
    import_hosts(session, unit=world.unit, path=csv, known_from=D(2024, 1, 1))
    assert infer_hosts(session, unit=world.unit, events_dir=events)["inferred"] == 0
    pc1 = {r["host"]: r for r in host_assignments(session, world.unit).to_pylist()}["pc-1"]
    assert (pc1["assigned_staff_id"], pc1["source"], pc1["removable_media_allowed"]) == (
        "BOB0002",
        "import",
        True,
    )


def test_no_event_store_infers_nothing(session: Session, world: World, tmp_path: Path) -> None:
    assert infer_hosts(session, unit=world.unit, events_dir=tmp_path / "none") == {
        "hosts": 0,
        "inferred": 0,
    }


@pytest.mark.pg
def test_item_page_recent_access_reads_the_event_store(
    session: Session, world: World, tmp_path: Path
) -> None:
    from keyguard.records.register.service import create_item
    from keyguard.web.routes.register import recent_access

    item = create_item(
        session,
        unit=world.unit,
        reference="R-1",
        title="Kestrel",
        level="secret",
        locations=[r"\\FS03\Research\Kestrel\*"],
    )
    events = tmp_path / "events"
    for k, day in enumerate([D(2024, 3, 1), D(2024, 3, 2)]):
        folder = events / "unit=u1" / f"day={day}"
        folder.mkdir(parents=True)
        rows = [
            {f.name: None for f in EVENT_SCHEMA}
            | {
                "event_id": f"{day}-{i}",
                "local_date": day,
                "source_user": "DTAA/ALI0001",
                "category": "file",
                "activity": "open",
                "object": obj,
            }
            for i, obj in enumerate(
                [rf"\\fs03\research\kestrel\n{k}.doc", rf"\\fs03\research\other\n{k}.doc"]
            )
        ]
        pq.write_table(pa.Table.from_pylist(rows, schema=EVENT_SCHEMA), folder / "p.parquet")
    got = recent_access(session, world.unit, item, events_dir=events)
    assert [(a["event_id"], a["reference"]) for a in got] == [
        ("2024-03-02-0", "R-1"),
        ("2024-03-01-0", "R-1"),
    ]
