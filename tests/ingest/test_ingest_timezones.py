"""Local wall-clock times of a source become UTC with the zone's rules; local days and hours
are the unit's. Europe/Berlin: summer time starts 2024-03-31 02:00 (02:00-03:00 does not
exist) and ends 2024-10-27 03:00 (02:00-03:00 happens twice)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from ingest_support import by_id, ingest, write_file
from sqlalchemy.orm import Session

from keyguard.ingest.service import ingest_mapped

LOGON = "id,date,user,pc,activity"
UTC = dt.UTC


def test_dst_gap_repeated_hour_and_local_day(session: Session, home: Path, tmp_path: Path) -> None:
    folder = write_file(
        tmp_path / "c",
        "logon.csv",
        [
            "{GAP},03/31/2024 02:30:00,U1,PC-1,Logon",
            "{AFTER},03/31/2024 03:00:00,U1,PC-1,Logon",
            "{REP},10/27/2024 02:30:00,U1,PC-1,Logon",
            "{WINTER},10/27/2024 03:00:00,U1,PC-1,Logon",
            "{EARLY},01/15/2024 00:30:00,U1,PC-1,Logon",
        ],
        header=LOGON,
    )
    ingest(session, folder, timezone="Europe/Berlin")
    got = by_id(home)

    def at(key: str) -> tuple[dt.datetime, dt.date, int]:
        r = got[key]
        return r["time_utc"], r["local_date"], r["local_hour"]

    # a time in the gap is read with the offset before the change (+01:00): 03:30 summer time
    assert at("{GAP}") == (dt.datetime(2024, 3, 31, 1, 30, tzinfo=UTC), dt.date(2024, 3, 31), 3)
    assert at("{AFTER}") == (dt.datetime(2024, 3, 31, 1, 0, tzinfo=UTC), dt.date(2024, 3, 31), 3)
    # a repeated time is its first occurrence (still summer time, +02:00)
    assert at("{REP}") == (dt.datetime(2024, 10, 27, 0, 30, tzinfo=UTC), dt.date(2024, 10, 27), 2)
    assert at("{WINTER}") == (dt.datetime(2024, 10, 27, 2, 0, tzinfo=UTC), dt.date(2024, 10, 27), 3)
    # the local day is not the UTC day
    assert at("{EARLY}") == (dt.datetime(2024, 1, 14, 23, 30, tzinfo=UTC), dt.date(2024, 1, 15), 0)


def test_source_zone_differs_from_the_units(session: Session, home: Path, tmp_path: Path) -> None:
    folder = write_file(
        tmp_path / "c", "logon.csv", ["{T1},01/14/2024 23:30:00,U1,PC-1,Logon"], header=LOGON
    )
    from keyguard.records.org.models import Unit

    session.add(Unit(code="u1", name="Tokyo office", timezone="Asia/Tokyo"))
    session.commit()
    ingest(session, folder, timezone="UTC")  # the logs are in UTC, the unit in Tokyo
    row = by_id(home)["{T1}"]
    assert row["time_utc"] == dt.datetime(2024, 1, 14, 23, 30, tzinfo=UTC)
    assert (row["local_date"], row["local_hour"]) == (dt.date(2024, 1, 15), 8)


def test_mapping_with_utc_times_in_a_berlin_unit(
    session: Session, home: Path, tmp_path: Path
) -> None:
    from keyguard.records.org.models import Unit

    session.add(Unit(code="u1", name="Berlin", timezone="Europe/Berlin"))
    session.commit()
    src = tmp_path / "auth.jsonl"
    src.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {
                    "timestamp": "2024-01-14T23:30:00Z",
                    "hostname": "h",
                    "event": "accepted",
                    "user": "alice",
                },
                {
                    "timestamp": "2024-10-27T00:30:00Z",
                    "hostname": "h",
                    "event": "accepted",
                    "user": "alice",
                },
                {
                    "timestamp": "2024-10-27T01:30:00Z",
                    "hostname": "h",
                    "event": "accepted",
                    "user": "alice",
                },
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    ingest_mapped(session, path=src, mapping="syslog-auth", unit_code="u1")
    from keyguard.events.store import EventStore

    rows = sorted(EventStore(home).read("u1").to_pylist(), key=lambda r: r["time_utc"])
    assert [(r["local_date"], r["local_hour"]) for r in rows] == [
        (dt.date(2024, 1, 15), 0),
        (dt.date(2024, 10, 27), 2),  # 02:30 summer time
        (dt.date(2024, 10, 27), 2),  # 02:30 again, winter time
    ]
