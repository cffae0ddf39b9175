"""Generic CSV and JSON-lines sources with declarative YAML mappings."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from ingest_support import by_id, counts, store_text
from sqlalchemy.orm import Session

from keyguard.errors import InputError
from keyguard.events.store import EventStore
from keyguard.ingest.mapping import RowError, apply, load_mapping, shipped_mappings
from keyguard.ingest.service import ingest_mapped


def jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n",
        encoding="utf-8",
    )
    return path


def mapping(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_mappings_are_valid() -> None:
    names = set(shipped_mappings())
    assert {"syslog-auth", "proxy-log", "windows-security"} <= names
    for name in names:
        spec = load_mapping(name)
        assert spec.name == name


def test_syslog_auth_jsonl(session: Session, home: Path, tmp_path: Path) -> None:
    src = jsonl(
        tmp_path / "auth.jsonl",
        [
            {
                "timestamp": "2024-03-04T08:01:02+01:00",
                "hostname": "SRV-01",
                "program": "sshd",
                "event": "accepted",
                "user": " alice ",
                "message": "Accepted publickey for alice",
            },
            {
                "timestamp": "2024-03-04T08:05:00+01:00",
                "hostname": "srv-01",
                "event": "Failed",
                "user": "mallory",
                "message": "Failed password for mallory",
            },
            {
                "timestamp": "2024-03-04T17:00:00+01:00",
                "hostname": "srv-01",
                "event": "closed",
                "user": "alice",
                "message": "session closed",
            },
            {
                "timestamp": "2024-03-04T17:01:00+01:00",
                "hostname": "srv-01",
                "event": "rebooted",
                "user": "root",
                "message": "x",
            },
            "{not json",
        ],
    )
    result = ingest_mapped(session, path=src, mapping="syslog-auth", fmt="jsonl", unit_code="u1")
    assert counts(result)["auth.jsonl"] == {
        "read": 5,
        "accepted": 3,
        "duplicate": 0,
        "rejected": 2,
        "skipped": 0,
        "outside_retention": 0,
    }
    rows = sorted(EventStore(home).read("u1").to_pylist(), key=lambda r: r["time_utc"])
    assert [(r["source_user"], r["activity"], r["host"]) for r in rows] == [
        ("alice", "logon", "srv-01"),
        ("mallory", "logon_failed", "srv-01"),
        ("alice", "logoff", "srv-01"),
    ]
    assert rows[0]["time_utc"] == dt.datetime(2024, 3, 4, 7, 1, 2, tzinfo=dt.UTC)
    assert rows[0]["adapter"] == "mapping:syslog-auth" and rows[0]["class_uid"] == 3002
    assert all(r["event_id"].startswith("syslog-auth:") for r in rows)
    reasons = {r["line"]: r["reason"] for r in EventStore(home).rejects("u1").to_pylist()}
    assert reasons[4] == "activity: value 'rebooted' is not in the mapping's map"
    assert reasons[5].startswith("not JSON")
    assert "publickey" not in store_text(home)  # content field: never kept
    raw = {r["line"]: r["raw"] for r in EventStore(home).rejects("u1").to_pylist()}
    assert "message" not in raw[4] and "rebooted" in raw[4]
    assert raw[5].startswith("[unparseable line")


def test_proxy_csv(session: Session, home: Path, tmp_path: Path) -> None:
    src = tmp_path / "proxy.csv"
    src.write_text(
        "time,client,username,method,url,status,bytes\n"
        "1709539262.5,10.0.0.9,CORP\\alice,GET,https://www.dropbox.com/home,200,5120\n"
        "1709539300,10.0.0.9,CORP\\alice,POST,https://www.dropbox.com/upload?f=plan,200,\n"
        "1709539400,10.0.0.9,bob,OPTIONS,https://news.example.com/,204,0\n"
        "1709539500,10.0.0.9,bob,GET,https://news.example.com/,200,lots\n"
        "1709539600,10.0.0.9,bob,GET,https://news.example.com/\n",
        encoding="utf-8",
    )
    result = ingest_mapped(session, path=src, mapping="proxy-log", fmt="csv", unit_code="u1")
    assert counts(result)["proxy.csv"]["accepted"] == 3
    assert counts(result)["proxy.csv"]["rejected"] == 2
    rows = sorted(EventStore(home).read("u1").to_pylist(), key=lambda r: r["time_utc"])
    first, upload, other = rows
    assert first["time_utc"] == dt.datetime(2024, 3, 4, 8, 1, 2, 500000, tzinfo=dt.UTC)
    assert (first["source_user"], first["activity"], first["size"]) == ("alice", "visit", 5120)
    assert (first["url_host"], first["site_category"], first["object"]) == (
        "www.dropbox.com",
        "cloud_storage",
        None,
    )
    assert (upload["activity"], upload["object"], upload["size"]) == (
        "upload",
        "https://www.dropbox.com/upload?f=plan",
        0,
    )
    assert other["activity"] == "visit"  # OPTIONS: otherwise -> visit
    reasons = sorted(r["reason"] for r in EventStore(home).rejects("u1").to_pylist())
    assert reasons == ["expected 7 columns, found 5", "size: 'lots' is not a whole number"]


def test_windows_security_events(session: Session, home: Path, tmp_path: Path) -> None:
    src = jsonl(
        tmp_path / "sec.jsonl",
        [
            {
                "EventID": 4624,
                "EventRecordID": 11,
                "TimeCreated": "2024-03-04T07:01:02.1234567Z",
                "Computer": "ws-0042.corp.example",
                "EventData": {"TargetUserName": "alice", "LogonType": "2"},
            },
            {
                "EventID": 4625,
                "EventRecordID": 12,
                "TimeCreated": "2024-03-04T07:02:00Z",
                "Computer": "WS-0042.corp.example",
                "EventData": {"TargetUserName": "alice"},
            },
            {
                "EventID": 4663,
                "EventRecordID": 13,
                "TimeCreated": "2024-03-04T07:03:00Z",
                "Computer": "WS-0042.corp.example",
                "EventData": {"SubjectUserName": "alice", "ObjectName": "C:\\Secret\\plan.docx"},
            },
            {
                "EventID": 4688,
                "EventRecordID": 14,
                "TimeCreated": "2024-03-04T07:04:00Z",
                "Computer": "WS-0042",
                "EventData": {"NewProcessName": "cmd.exe"},
            },
        ],
    )
    result = ingest_mapped(session, path=src, mapping="windows-security", unit_code="u1")
    assert counts(result)["sec.jsonl"] == {
        "read": 4,
        "accepted": 3,
        "duplicate": 0,
        "rejected": 0,
        "skipped": 1,
        "outside_retention": 0,
    }
    got = by_id(home)
    assert set(got) == {"windows-security:11", "windows-security:12", "windows-security:13"}
    logon = got["windows-security:11"]
    assert (logon["category"], logon["activity"], logon["host"], logon["class_uid"]) == (
        "logon",
        "logon",
        "WS-0042",
        3002,
    )
    assert logon["time_utc"] == dt.datetime(2024, 3, 4, 7, 1, 2, 123456, tzinfo=dt.UTC)
    assert got["windows-security:12"]["activity"] == "logon_failed"
    access = got["windows-security:13"]
    assert (access["category"], access["activity"], access["object"], access["class_uid"]) == (
        "file",
        "access",
        "C:\\Secret\\plan.docx",
        1001,
    )
    assert access["source_user"] == "alice"  # first_of falls through to SubjectUserName


def test_named_transformations(tmp_path: Path) -> None:
    spec = load_mapping(
        mapping(
            tmp_path / "m.yaml",
            """
mapping: 1
name: test-steps
format: jsonl
timezone: Europe/Berlin
category: email
fields:
  time: {field: t, format: "%d.%m.%Y %H:%M"}
  source_user: {field: who, steps: [{regex: "^user=(\\\\w+)"}, upper]}
  host: {const: MAILGW}
  activity: {field: dir, map: {out: send, in: view}, otherwise: send}
  sender: {field: env.from, steps: [strip]}
  recipients: {field: to, steps: [{split: ","}, {replace: {old: " at ", new: "@"}}]}
  object: {field: subject_id, steps: [{before_first: "#"}, {after_last: "/"}]}
  size: {field: bytes, default: 0}
  attachment_count: {first_of: [att, attachments]}
""",
        )
    )
    out = apply(
        spec,
        {
            "t": "31.03.2024 02:30",
            "who": "user=ann;x",
            "dir": "out",
            "env": {"from": " Ann@X.org "},
            "to": "b at x.org, C@Y.ORG ,",
            "subject_id": "a/b/msg#7",
            "attachments": "3",
        },
        "Europe/Berlin",
    )
    assert out["time_utc"] == dt.datetime(2024, 3, 31, 1, 30)  # a DST gap: pre-change offset
    assert (out["source_user"], out["host"], out["activity"]) == ("ANN", "MAILGW", "send")
    assert out["sender"] == "ann@x.org"
    assert out["recipients"] == ["b@x.org", "c@y.org"]
    assert (out["object"], out["size"], out["attachment_count"]) == ("msg", 0, 3)
    assert (
        apply(
            spec,
            {"t": "01.01.2024 10:00", "who": "user=bo", "dir": "sideways", "to": "a@b.c"},
            "UTC",
        )["activity"]
        == "send"
    )
    with pytest.raises(RowError, match="missing source_user"):
        apply(spec, {"t": "01.01.2024 10:00", "who": "nobody", "dir": "in"}, "UTC")
    with pytest.raises(RowError, match="bad time"):
        apply(spec, {"t": "2024-01-01", "who": "user=a", "dir": "in"}, "UTC")


def test_time_formats(tmp_path: Path) -> None:
    base = (
        "mapping: 1\nname: tt\nformat: jsonl\ncategory: logon\nfields:\n"
        "  source_user: {const: u}\n  activity: {const: logon}\n"
    )
    for fmt, value, expected in [
        ("epoch", 1709539262, dt.datetime(2024, 3, 4, 8, 1, 2)),
        ("epoch_ms", "1709539262500", dt.datetime(2024, 3, 4, 8, 1, 2, 500000)),
        ("iso8601", "2024-03-04T09:01:02+01:00", dt.datetime(2024, 3, 4, 8, 1, 2)),
        ("iso8601", "2024-03-04T09:01:02", dt.datetime(2024, 3, 4, 8, 1, 2)),  # in the unit's
    ]:
        spec = load_mapping(
            mapping(
                tmp_path / "t.yaml", base + f"  time: {{field: t, format: {fmt}}}\ntimezone: unit\n"
            )
        )
        assert apply(spec, {"t": value}, "Europe/Berlin")["time_utc"] == expected, fmt


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "mapping: 1\nname: xx\nformat: xml\ncategory: logon\nfields:\n  time: {field: t, "
            "format: iso8601}\n  source_user: {field: u}\n  activity: {const: logon}\n",
            "format",
        ),
        (
            "mapping: 1\nname: xx\nformat: jsonl\ncategory: logon\nfields:\n  time: {field: t, "
            "format: iso8601}\n  source_user: {field: u}\n  activity: {field: a}\n  shell: "
            "{field: x}\n",
            "shell",
        ),
        (
            "mapping: 1\nname: xx\nformat: jsonl\ncategory: logon\nfields:\n  time: {field: t, "
            "format: iso8601}\n  source_user: {field: u, steps: [eval]}\n"
            "  activity: {const: logon}\n",
            "steps",
        ),
        (
            "mapping: 1\nname: xx\nformat: jsonl\ncategory: logon\nfields:\n  time: {field: t, "
            "format: iso8601}\n  source_user: {field: u}\n  activity: {const: upload}\n",
            "vocabulary",
        ),
        (
            "mapping: 1\nname: xx\nformat: jsonl\ncategory: health\nfields:\n  time: {field: t, "
            "format: iso8601}\n  source_user: {field: u}\n  activity: {const: logon}\n",
            "category",
        ),
        (
            "mapping: 1\nname: xx\nformat: jsonl\ntimezone: Mars/Base\ncategory: logon\nfields:\n  "
            "time: {field: t, format: iso8601}\n  source_user: {field: u}\n  activity: "
            "{const: logon}\n",
            "IANA",
        ),
        (
            "mapping: 1\nname: xx\nformat: jsonl\ncategory: logon\nfields:\n  time: {field: t, "
            "format: iso8601}\n  source_user: {field: u, steps: [{regex: '('}]}\n  activity: "
            "{const: logon}\n",
            "mapping invalid",
        ),
        (
            "mapping: 1\nname: xx\nformat: jsonl\ncategory: logon\nfields:\n  time: {field: t, "
            "format: whenever}\n  source_user: {field: u}\n  activity: {const: logon}\n",
            "time format",
        ),
        ("!!python/object/apply:os.system ['true']\n", "invalid YAML"),
        (
            "mapping: 1\nname: xx\nformat: csv\ncsv: {header: false}\ncategory: logon\nfields:\n  "
            "time: {field: t, format: iso8601}\n  source_user: {field: u}\n  activity: "
            "{const: logon}\n",
            "columns",
        ),
    ],
)
def test_invalid_mappings_are_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_mapping(mapping(tmp_path / "bad.yaml", text))


def test_unknown_mapping_name() -> None:
    with pytest.raises(InputError, match="no such mapping file"):
        load_mapping("no-such-mapping")


def test_identical_records_get_distinct_stable_ids(
    session: Session, home: Path, tmp_path: Path
) -> None:
    rec = {
        "timestamp": "2024-03-04T08:01:02Z",
        "hostname": "h",
        "event": "accepted",
        "user": "alice",
        "message": "m",
    }
    other = {**rec, "user": "bob"}
    first = jsonl(tmp_path / "a.jsonl", [rec, rec, other])
    result = ingest_mapped(session, path=first, mapping="syslog-auth", unit_code="u1")
    assert counts(result)["a.jsonl"]["accepted"] == 3
    ids = set(by_id(home))
    newer = jsonl(tmp_path / "b.jsonl", [rec, rec, other, rec, {**rec, "user": "carol"}])
    again = ingest_mapped(session, path=newer, mapping="syslog-auth", unit_code="u1")
    assert counts(again)["b.jsonl"] == {
        "read": 5,
        "accepted": 2,
        "duplicate": 3,
        "rejected": 0,
        "skipped": 0,
        "outside_retention": 0,
    }
    assert ids < set(by_id(home)) and len(by_id(home)) == 5
