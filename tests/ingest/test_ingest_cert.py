"""CERT folders of every release layout, with and without headers, into the event store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from ingest_support import (
    SECRET,
    by_id,
    comparable,
    counts,
    events,
    ingest,
    store_text,
    write_cert,
    write_file,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.audit.models import AuditEntry
from keyguard.events.schema import EVENT_SCHEMA
from keyguard.events.store import EventStore
from keyguard.ingest.models import IngestFile, IngestRun
from keyguard.records.org.models import Person, Unit


@pytest.mark.parametrize("release", ["r4.2", "r5.2", "r6.2"])
def test_release_layouts_become_events(
    session: Session, home: Path, tmp_path: Path, release: str
) -> None:
    folder = write_cert(tmp_path / release, release)
    result = ingest(session, folder, timezone="UTC")
    c = counts(result)
    expected = {
        "logon.csv": 2,
        "device.csv": 2,
        "file.csv": 1 if release == "r4.2" else 2,
        "email.csv": 1 if release == "r4.2" else 2,
        "http.csv": 1 if release == "r4.2" else 2,
    }
    for name, n in expected.items():
        assert c[name] == {
            "read": n,
            "accepted": n,
            "duplicate": 0,
            "rejected": 0,
            "skipped": 0,
            "outside_retention": 0,
        }, name
    assert c["psychometric.csv"]["skipped"] == 1 and c["psychometric.csv"]["accepted"] == 0
    got = by_id(home)
    tag = {"r4.2": "42", "r5.2": "52", "r6.2": "62"}[release]
    logon = got[f"{{L1-{tag}}}"]
    assert (logon["category"], logon["class_uid"], logon["activity"]) == ("logon", 3002, "logon")
    assert logon["time_utc"] == dt.datetime(2010, 1, 4, 7, 12, tzinfo=dt.UTC)
    assert (logon["local_date"], logon["local_hour"]) == (dt.date(2010, 1, 4), 7)
    assert (logon["source_file"], logon["source_line"], logon["adapter"]) == (
        "logon.csv",
        2,
        "cert",
    )
    assert logon["ingest_run"] == result.run_uid
    device = got[f"{{D1-{tag}}}"]
    assert (device["category"], device["class_uid"], device["activity"]) == (
        "device",
        None,
        "connect",
    )
    assert device["object"] is None  # the device's file tree is not kept
    copy = got[f"{{F1-{tag}}}"]
    assert (copy["activity"], copy["to_removable"], copy["from_removable"]) == ("copy", True, False)
    assert copy["object"] == "R:\\docs\\plan.doc" and copy["class_uid"] == 1001
    mail = got[f"{{E1-{tag}}}"]
    assert mail["sender"] == "acm@dtaa.com" and mail["size"] == 20480
    assert mail["recipients"][:2] == ["bob@dtaa.com", "eve@rival.example"]
    assert mail["class_uid"] == 4009 and mail["activity"] == "send"
    if release == "r4.2":
        assert (mail["attachment_count"], mail["attachments"]) == (2, None)
        web = got["{H1-42}"]
        assert (web["activity"], web["url_host"], web["site_category"]) == (
            "visit",
            "www.wikileaks.org",
            "leak_site",
        )
        assert web["object"] is None  # a visit keeps host and category only
    else:
        assert mail["attachment_count"] == 2
        assert mail["attachments"] == [
            {"name": "C:\\a\\plan.doc", "size": 1200},
            {"name": "C:\\b\\x.pdf", "size": 300},
        ]
        assert got[f"{{E2-{tag}}}"]["activity"] == "view"
        upload = got[f"{{H1-{tag}}}"]
        assert (upload["activity"], upload["site_category"]) == ("upload", "cloud_storage")
        assert upload["object"] == "http://www.dropbox.com/u/plan.doc"
        visit = got[f"{{H2-{tag}}}"]
        assert visit["object"] is None and visit["url_host"] == "news.example.com"
    assert SECRET not in store_text(home)


@pytest.mark.parametrize("release", ["r4.2", "r5.2", "r6.2"])
def test_files_without_header_are_recognised(
    session: Session, home: Path, tmp_path: Path, release: str
) -> None:
    with_header = write_cert(tmp_path / "h", release)
    without = write_cert(tmp_path / "n", release, header=False)
    first = ingest(session, with_header, unit_code="a", timezone="UTC")
    second = ingest(session, without, unit_code="b", timezone="UTC")
    assert [(f.name, f.variant) for f in first.files] == [(f.name, f.variant) for f in second.files]
    a = events(home, "a").drop_columns(["unit", "source_line"])
    b = events(home, "b").drop_columns(["unit", "source_line"])
    assert comparable(a) == comparable(b)
    lines = {r["event_id"]: r["source_line"] for r in events(home, "b").to_pylist()}
    assert min(lines.values()) == 1  # no header: the first row is line 1


def test_stored_files_follow_the_schema_and_layout(
    session: Session, home: Path, tmp_path: Path
) -> None:
    ingest(session, write_cert(tmp_path / "c"), timezone="UTC")
    store = EventStore(home)
    files = store.files("u1")
    assert files and all(f.parent.parent.name == "unit=u1" for f in files)
    assert all(f.parent.name.startswith("day=") and f.name.startswith("part-") for f in files)
    import pyarrow.parquet as pq

    for f in files:
        schema = pq.read_schema(f)
        assert schema.names == EVENT_SCHEMA.names
        assert schema.remove_metadata().equals(EVENT_SCHEMA), (schema, EVENT_SCHEMA)
        day = pq.read_table(f).column("local_date").to_pylist()
        assert {str(d) for d in day} == {f.parent.name.removeprefix("day=")}
    assert store.read_schema()["schema_version"] == 1
    assert store.days("u1") == [dt.date(2010, 1, 4)]


def test_decoys_are_kept_as_a_reference_list(session: Session, home: Path, tmp_path: Path) -> None:
    folder = write_cert(tmp_path / "c")
    first = ingest(session, folder)
    assert counts(first)["decoy_file.csv"]["accepted"] == 2
    decoys = EventStore(home).decoys("u1").to_pylist()
    assert {(d["host"], d["path"]) for d in decoys} == {
        ("PC-0001", "C:\\secret\\salaries.xlsx"),
        ("PC-0002", "R:\\fake\\keys.txt"),
    }
    again = ingest(session, folder)
    assert counts(again)["decoy_file.csv"] == {
        "read": 2,
        "accepted": 0,
        "duplicate": 2,
        "rejected": 0,
        "skipped": 0,
        "outside_retention": 0,
    }
    assert EventStore(home).decoys("u1").num_rows == 2


@pytest.mark.pg
def test_run_is_recorded_with_hashes_and_audited(
    session: Session, home: Path, tmp_path: Path
) -> None:
    folder = write_cert(tmp_path / "c")
    result = ingest(session, folder, timezone="Europe/Berlin")
    run = session.scalars(select(IngestRun)).one()
    assert (run.uid, run.status, run.adapter, run.source_timezone) == (
        result.run_uid,
        "complete",
        "cert",
        "Europe/Berlin",
    )
    assert run.totals["read"] == sum(f.read for f in result.files)
    files = {f.name: f for f in session.scalars(select(IngestFile))}
    import hashlib

    for name, row in files.items():
        assert row.sha256 == hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert (
            row.read
            == row.accepted + row.duplicate + row.rejected + row.skipped + row.outside_retention
        )
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "ingest")).one()
    assert entry.object_type == "ingest_run" and entry.object_id == str(run.id)
    assert result.run_uid in entry.details
    unit = session.scalars(select(Unit)).one()
    assert (unit.code, unit.timezone) == ("u1", "Europe/Berlin")  # created by the ingest


@pytest.mark.pg
def test_known_users_and_outside_recipients_come_from_the_records(
    session: Session, home: Path, tmp_path: Path
) -> None:
    unit = Unit(code="u1", name="Unit", timezone="UTC")
    session.add(unit)
    session.flush()
    for staff, email in (("acm2278", "acm@dtaa.com"), ("BOB0001", "bob@dtaa.com")):
        session.add(
            Person(
                unit_id=unit.id,
                staff_id=staff,
                pseudonym=f"P-{staff}",
                full_name=staff,
                email=email,
            )
        )
    session.commit()
    folder = write_cert(
        tmp_path / "c", extra={"logon.csv": ["{L9},01/04/2010 08:00:00,STRANGER9,PC-0009,Logon"]}
    )
    result = ingest(session, folder)
    got = by_id(home)
    assert got["{L1-62}"]["user_known"] is True  # ACM2278 matches acm2278
    assert got["{L9}"]["user_known"] is False  # kept and flagged, never rejected
    assert counts(result)["logon.csv"]["accepted"] == 3
    mail = got["{E1-62}"]
    assert mail["recipients"] == ["bob@dtaa.com", "eve@rival.example", "ann@dtaa.com"]
    assert mail["recipients_outside"] == 1  # domains derived from people's addresses
    unit.email_domains = ["rival.example"]
    session.commit()
    folder2 = write_file(
        tmp_path / "d",
        "email.csv",
        [
            "{E7},01/05/2010 10:00:00,ACM2278,PC-0001,bob@dtaa.com;x@mail.rival.example,,,"
            'acm@dtaa.com,Send,10,,"text"'
        ],
    )
    ingest(session, folder2)
    assert by_id(home)["{E7}"]["recipients_outside"] == 1  # the setting wins; subdomains in


def test_register_url_patterns_keep_matching_urls(
    session: Session, home: Path, tmp_path: Path
) -> None:
    folder = write_file(
        tmp_path / "c",
        "http.csv",
        [
            "{U1},01/04/2010 11:00:00,ACM2278,PC-1,https://share.dtaa.example/projects/alpha/x.doc,"
            'WWW Visit,"w"',
            "{U2},01/04/2010 11:01:00,ACM2278,PC-1,https://share.dtaa.example/other/y.doc,"
            'WWW Visit,"w"',
            '{U3},01/04/2010 11:02:00,ACM2278,PC-1,http://news.example.com/,WWW Download,"w"',
        ],
        header="id,date,user,pc,url,activity,content",
    )
    ingest(session, folder, url_patterns=["https://share.dtaa.example/projects/alpha/*"])
    got = by_id(home)
    assert got["{U1}"]["object"] == "https://share.dtaa.example/projects/alpha/x.doc"
    assert got["{U2}"]["object"] is None and got["{U3}"]["object"] is None
    folder2 = write_file(
        tmp_path / "d",
        "http.csv",
        [
            '{U4},01/04/2010 12:00:00,ACM2278,PC-1,http://news.example.com/secret,WWW Visit,"w"',
            '{U5},01/04/2010 12:01:00,ACM2278,PC-1,http://news.example.com/open,WWW Visit,"w"',
        ],
    )
    ingest(session, folder2, url_patterns=lambda url: url.endswith("/secret"))
    got = by_id(home)
    assert got["{U4}"]["object"] == "http://news.example.com/secret"
    assert got["{U5}"]["object"] is None


def test_quoted_leading_fields_use_the_csv_parser(
    session: Session, home: Path, tmp_path: Path
) -> None:
    folder = write_file(
        tmp_path / "c",
        "file.csv",
        [
            '{Q1},01/04/2010 09:05:00,ACM2278,PC-1,"C:\\a, b\\report.doc",File Write,False,False,'
            '"x"',
            '"{Q2}",01/04/2010 09:06:00,ACM2278,PC-1,C:\\c.doc,File Delete,False,False,"x"',
            '{Q3},01/04/2010 09:07:00,ACM2278,PC-1,"C:\\broken,File Open,False,False,"x"',
        ],
        header="id,date,user,pc,filename,activity,to_removable_media,from_removable_media,content",
    )
    result = ingest(session, folder)
    got = by_id(home)
    assert got["{Q1}"]["object"] == "C:\\a, b\\report.doc" and got["{Q1}"]["source_line"] == 2
    assert got["{Q2}"]["activity"] == "delete"
    assert counts(result)["file.csv"]["rejected"] == 1
    reject = EventStore(home).rejects("u1").to_pylist()[0]
    assert reject["line"] == 4


def test_spaces_and_tabs_around_fields_are_trimmed(
    session: Session, home: Path, tmp_path: Path
) -> None:
    folder = write_file(
        tmp_path / "c",
        "logon.csv",
        [
            "{L1},01/04/2010 07:00:00,ACM2278,PC-1,Logon",
            " {L2} ,\t01/04/2010 07:01:00 , ACM2278\t,PC-1 ,  Logoff\t ",
            "{L3},01/04/2010 07:02:00, \t ,PC-1,Logon",  # a user of blanks only: missing
        ],
        header="id,date,user,pc,activity",
    )
    write_file(
        folder,
        "http.csv",
        [
            '{H1} ,01/04/2010 08:00:00,ACM2278 , PC-1,\thttp://a.example/x ,WWW Upload ,"'
            + SECRET
            + ' , with , commas"',
            '{H2},01/04/2010 08:01:00,ACM2278,PC-1,http://b.example/,WWW Visit, "' + SECRET + '"',
        ],
        header="id,date,user,pc,url,activity,content",
    )
    result = ingest(session, folder, timezone="UTC")
    got = by_id(home)
    assert (got["{L2}"]["source_user"], got["{L2}"]["host"], got["{L2}"]["activity"]) == (
        "ACM2278",
        "PC-1",
        "logoff",
    )
    assert got["{L2}"]["time_utc"] == dt.datetime(2010, 1, 4, 7, 1, tzinfo=dt.UTC)
    assert (got["{H1}"]["source_user"], got["{H1}"]["host"]) == ("ACM2278", "PC-1")
    assert (got["{H1}"]["activity"], got["{H1}"]["object"]) == ("upload", "http://a.example/x")
    assert got["{H1}"]["url_host"] == "a.example"
    assert got["{H2}"]["url_host"] == "b.example"
    assert counts(result)["logon.csv"]["rejected"] == 1
    (reject,) = EventStore(home).rejects("u1").to_pylist()
    assert (reject["line"], reject["reason"]) == (4, "missing user")
    assert SECRET not in store_text(home)
