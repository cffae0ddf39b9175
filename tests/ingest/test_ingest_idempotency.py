"""Re-running an ingest adds nothing; a newer, overlapping export adds only what is new."""

from __future__ import annotations

from pathlib import Path

from ingest_support import by_id, comparable, counts, events, ingest, write_cert, write_file
from sqlalchemy.orm import Session

from keyguard.events.store import EventStore

LOGON = "id,date,user,pc,activity"


def rows(ids: range) -> list[str]:
    return [f"{{R{i}}},01/{4 + i % 3:02d}/2010 07:{i:02d}:00,U1,PC-1,Logon" for i in ids]


def test_the_same_folder_twice_adds_nothing(session: Session, home: Path, tmp_path: Path) -> None:
    folder = write_cert(tmp_path / "c")
    first = ingest(session, folder)
    before = comparable(events(home))
    files_before = EventStore(home).files("u1")
    second = ingest(session, folder)
    assert comparable(events(home)) == before
    assert EventStore(home).files("u1") == files_before  # not even an empty file
    for f in second.files:
        if f.kind in ("psychometric",):
            continue
        one = next(x for x in first.files if x.name == f.name)
        assert (f.read, f.accepted, f.duplicate) == (one.read, 0, one.accepted), f.name


def test_an_overlapping_newer_export_adds_only_new_events(
    session: Session, home: Path, tmp_path: Path
) -> None:
    old = write_file(tmp_path / "old", "logon.csv", rows(range(10)), header=LOGON)
    new = write_file(tmp_path / "new", "logon.csv", rows(range(5, 15)), header=LOGON)
    ingest(session, old)
    result = ingest(session, new)
    assert counts(result)["logon.csv"] == {
        "read": 10,
        "accepted": 5,
        "duplicate": 5,
        "rejected": 0,
        "skipped": 0,
        "outside_retention": 0,
    }
    got = by_id(home)
    assert set(got) == {f"{{R{i}}}" for i in range(15)}
    assert got["{R3}"]["source_line"] == 5 and got["{R12}"]["source_line"] == 9
    assert got["{R12}"]["ingest_run"] == result.run_uid
    assert got["{R3}"]["ingest_run"] != result.run_uid


def test_a_row_repeated_in_a_file_is_a_duplicate(
    session: Session, home: Path, tmp_path: Path
) -> None:
    lines = rows(range(3))
    folder = write_file(tmp_path / "c", "logon.csv", [*lines, lines[1], lines[1]], header=LOGON)
    result = ingest(session, folder)
    assert counts(result)["logon.csv"] == {
        "read": 5,
        "accepted": 3,
        "duplicate": 2,
        "rejected": 0,
        "skipped": 0,
        "outside_retention": 0,
    }
    assert by_id(home)["{R1}"]["source_line"] == 3  # the first occurrence is kept
