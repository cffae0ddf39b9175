"""Every file has the CERT r6.2 header, parses with the csv module, and is malformed exactly
where ``meta.json`` says."""

from __future__ import annotations

import datetime as dt
import re

from gen_support import ACTIVITY, Generated, when

from keyguard.generator.params import HEADERS

GUID = re.compile(r"^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$")
ACTIVITIES = {
    "logon.csv": {"Logon", "Logoff"},
    "device.csv": {"Connect", "Disconnect"},
    "file.csv": {"File Open", "File Write", "File Copy", "File Delete"},
    "email.csv": {"Send", "View"},
    "http.csv": {"WWW Visit", "WWW Download", "WWW Upload"},
}


def _problem(row: list[str], width: int) -> str | None:
    if len(row) != width:
        return "truncated"
    try:
        when(row[1])
    except ValueError:
        return "bad_date"
    if not row[2]:
        return "empty_user"
    return None


def test_headers(small: Generated) -> None:
    for name in (
        *ACTIVITY,
        "psychometric.csv",
        "decoy_file.csv",
        "register.csv",
        "grants.csv",
        "hosts.csv",
    ):
        assert small.rows(name)[0] == HEADERS[name], name
        assert len(small.rows(name)) > 1, name
    months = sorted((small.out / "LDAP").glob("*.csv"))
    assert [m.name for m in months] == ["2024-01.csv", "2024-02.csv"]
    for month in months:
        assert small.ldap[month.stem] and month.read_text().splitlines()[0] == ",".join(
            HEADERS["LDAP"]
        )


def test_activity_rows_are_well_formed_except_the_listed_dirty_rows(small: Generated) -> None:
    found: set[tuple[str, int, str]] = set()
    ids: set[str] = set()
    start = dt.datetime(2024, 1, 15)
    end = dt.datetime(2024, 2, 14)
    for name in ACTIVITY:
        rows = small.rows(name)
        width = len(rows[0])
        previous = start
        for line, row in enumerate(rows[1:], start=2):
            problem = _problem(row, width)
            if problem:
                found.add((name, line, problem))
                continue
            assert GUID.match(row[0]), (name, line)
            assert row[0] not in ids, (name, line)
            ids.add(row[0])
            moment = when(row[1])
            assert start <= moment < end, (name, line)
            assert moment >= previous, f"{name}:{line} not in time order"
            previous = moment
            assert re.match(r"^[A-Z]{3}\d{4}$", row[2]), (name, line)
            assert row[3] in small.hosts, (name, line)
            record = dict(zip(rows[0], row, strict=True))
            assert record["activity"] in ACTIVITIES[name], (name, line)
            if name == "file.csv":
                assert record["to_removable_media"] in ("True", "False")
                assert record["from_removable_media"] in ("True", "False")
            if name == "email.csv":
                assert int(record["size"]) > 0
                for part in filter(None, record["attachments"].split(";")):
                    assert re.match(r"^.+\(\d+\)$", part), part
                assert "@" in record["from"] and "@" in record["to"]
    listed = {(d["file"], d["line"], d["kind"]) for d in small.meta["dirty_rows"]}
    assert found == listed
    assert len(listed) == 11
    counts: dict[str, int] = {}
    for name, _, _ in listed:
        counts[name] = counts.get(name, 0) + 1
    assert counts == small.meta["dirty_counts"]
    for d in small.meta["dirty_rows"]:
        raw = (small.out / d["file"]).read_text(encoding="utf-8").splitlines()[d["line"] - 1]
        assert raw == d["text"] and raw.startswith(d["id"])


def test_counts_in_meta_match_files(small: Generated) -> None:
    for name in ACTIVITY:
        assert small.meta["counts"][name] == len(small.rows(name)) - 1


def test_volumes_are_plausible(small: Generated) -> None:
    per_day = len(small.rows("http.csv")) / (30 * 21)
    assert 10 < per_day < 80
    assert (
        len(small.rows("email.csv")) > len(small.rows("logon.csv")) > len(small.rows("device.csv"))
    )
    weekdays = [when(r["date"]).weekday() for r in small.table("logon.csv")]
    assert sum(d >= 5 for d in weekdays) < 0.05 * len(weekdays)


def test_content_and_files_look_real(small: Generated) -> None:
    files = small.table("file.csv")
    assert any(f["filename"].startswith("\\\\fs") for f in files)
    assert any(f["filename"].startswith("C:\\Users\\") for f in files)
    assert any(f["to_removable_media"] == "True" for f in files)
    assert all(f["content"] for f in files)
    trees = [r["file_tree"] for r in small.table("device.csv") if r["activity"] == "Connect"]
    assert trees and all(t.startswith("R:\\") for t in trees)
    assert all(
        r["file_tree"] == "" for r in small.table("device.csv") if r["activity"] == "Disconnect"
    )
    psycho = small.table("psychometric.csv")
    assert all(10 <= int(r[k]) <= 50 for r in psycho for k in "OCEAN")
    decoys = small.table("decoy_file.csv")
    assert decoys and all(d["pc"] in small.hosts for d in decoys)
