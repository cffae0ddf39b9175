"""The event store's layout, schema file and read API (DuckDB view, days, one event)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from keyguard.errors import ConfigError, NotFound
from keyguard.events.schema import CLASS_UID, EVENT_SCHEMA, FIELD_DOCS, FIELDS, duckdb_type
from keyguard.events.store import EventStore, publish


def event(eid: str, day: dt.date, **kw: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(FIELDS)
    row.update(
        event_id=eid,
        unit="u1",
        local_date=day,
        local_hour=9,
        category="logon",
        class_uid=3002,
        activity="logon",
        source_user="U1",
        source_file="logon.csv",
        source_line=7,
        adapter="cert",
        ingest_run="r1",
        time_utc=dt.datetime.combine(day, dt.time(8), tzinfo=dt.UTC),
    )
    row.update(kw)
    return row


def put(store: EventStore, rows: list[dict[str, object]], name: str = "part-r1-0.parquet") -> None:
    table = pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)
    day = rows[0]["local_date"]
    assert isinstance(day, dt.date)
    tmp = store.root / f".{name}.tmp"
    store.root.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, tmp)
    publish(tmp, store.day_dir("u1", day) / name)


def test_layout_days_and_duckdb_view(tmp_path: Path) -> None:
    store = EventStore(tmp_path)
    con = duckdb.connect()
    store.duckdb_view(con, "u1")
    assert con.sql("SELECT count(*) FROM events").fetchall() == [(0,)]  # typed and empty
    assert [c[0] for c in con.sql("DESCRIBE events").fetchall()] == FIELDS
    d1, d2 = dt.date(2010, 1, 4), dt.date(2010, 1, 5)
    put(store, [event("a", d1), event("b", d1)])
    put(store, [event("c", d2)])
    (store.root / "unit=u1" / "day=2010-01-06").mkdir()  # an empty day folder is no day
    assert store.units() == ["u1"]
    assert store.days("u1") == [d1, d2]
    assert store.glob("u1").endswith("unit=u1/day=*/part-*.parquet")
    store.duckdb_view(con, "u1")
    rows = con.sql("SELECT local_date, count(*) FROM events GROUP BY ALL ORDER BY 1").fetchall()
    assert rows == [(d1, 2), (d2, 1)]
    assert con.sql("SELECT max(time_utc)::TIMESTAMP FROM events").fetchall() == [
        (dt.datetime(2010, 1, 5, 8, 0),)
    ]
    assert store.count("u1") == 3 and store.read("u1", d2).num_rows == 1


def test_one_event_with_its_provenance(tmp_path: Path) -> None:
    store = EventStore(tmp_path)
    put(store, [event("a", dt.date(2010, 1, 4)), event("b", dt.date(2010, 1, 4), source_line=12)])
    got = store.event("u1", "b")
    assert (got["source_file"], got["source_line"], got["adapter"], got["ingest_run"]) == (
        "logon.csv",
        12,
        "cert",
        "r1",
    )
    assert got["store_file"].endswith("unit=u1/day=2010-01-04/part-r1-0.parquet")
    assert got["time_utc"] == dt.datetime(2010, 1, 4, 8, tzinfo=dt.UTC)
    with pytest.raises(NotFound):
        store.event("u1", "zzz")


def test_schema_file_and_version_check(tmp_path: Path) -> None:
    store = EventStore(tmp_path)
    store.ensure_schema()
    doc = json.loads((store.root / "_schema.json").read_text())
    assert doc["schema_version"] == 1 and [f["name"] for f in doc["fields"]] == FIELDS
    (store.root / "_schema.json").write_text(json.dumps({"schema_version": 99}))
    with pytest.raises(ConfigError, match="version 99"):
        store.ensure_schema()


def test_unit_codes_cannot_escape_the_store(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        EventStore(tmp_path).unit_dir("../x")


def test_schema_documents_every_field() -> None:
    assert set(FIELD_DOCS) == set(FIELDS)
    assert CLASS_UID["http"] == 4002 and CLASS_UID["device"] is None
    assert (
        duckdb_type(EVENT_SCHEMA.field("attachments").type) == "STRUCT(name VARCHAR, size BIGINT)[]"
    )


def test_drop_days_is_atomic_per_day_and_safe_to_run_again(tmp_path: Path) -> None:
    store = EventStore(tmp_path)
    d1, d2, d3 = dt.date(2010, 1, 4), dt.date(2010, 1, 5), dt.date(2010, 1, 6)
    for day, n in ((d1, 2), (d2, 1), (d3, 3)):
        put(store, [event(f"e{day.day}-{i}", day) for i in range(n)])
    # a drop killed between the rename and the delete leaves a folder readers never see
    left = store.unit_dir("u1") / ".purge-day=2009-12-31-dead"
    left.mkdir()
    (left / "part-r0-0.parquet").write_bytes(b"x")
    assert store.drop_days("u1", [d1, d2, dt.date(2001, 1, 1)]) == (2, 3)
    assert store.days("u1") == [d3] and store.count("u1") == 3
    assert not left.exists()
    assert not list(store.unit_dir("u1").glob(".purge-*"))
    assert store.drop_days("u1", [d1, d2]) == (0, 0)  # again: nothing left to drop
    con = duckdb.connect()
    store.duckdb_view(con, "u1")
    assert con.sql("SELECT count(*) FROM events").fetchall() == [(3,)]


def test_rejects_of_old_runs_are_dropped(tmp_path: Path) -> None:
    import os

    from keyguard.events.store import REJECT_SCHEMA

    store = EventStore(tmp_path)
    folder = store.rejects_dir("u1")
    folder.mkdir(parents=True)
    row = {"unit": "u1", "source_file": "logon.csv", "line": 3, "reason": "bad", "raw": "x"}
    for run in ("20091230T101010Z-aa", "20100110T101010Z-bb", "hand-made"):
        table = pa.Table.from_pylist([{**row, "ingest_run": run}], schema=REJECT_SCHEMA)
        pq.write_table(table, folder / f"{run}.parquet")
    old = dt.datetime(2009, 6, 1, tzinfo=dt.UTC).timestamp()
    os.utime(folder / "hand-made.parquet", (old, old))  # no run id: its file time counts
    cut = dt.date(2010, 1, 1)
    assert [p.name for p in store.reject_files_before("u1", cut)] == [
        "20091230T101010Z-aa.parquet",
        "hand-made.parquet",
    ]
    assert store.drop_rejects_before("u1", cut) == (2, 2)
    assert store.rejects("u1")["ingest_run"].to_pylist() == ["20100110T101010Z-bb"]
    assert store.drop_rejects_before("u1", cut) == (0, 0)
