"""``keyguard ingest ...`` in-process: the per-file table, runs, rejects, and one-line errors
with a non-zero exit that leave nothing stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_support import write_cert, write_file
from sqlalchemy import func, select
from typer.testing import CliRunner

from keyguard.cli.main import get_app
from keyguard.db.session import session_scope
from keyguard.events.store import EventStore
from keyguard.ingest.models import IngestRun

runner = CliRunner()
ENV = {
    "KEYGUARD_ADMIN_PASSWORD": "correct horse battery",
    "KEYGUARD_NO_PROGRESS": "1",
    "COLUMNS": "200",
}


def kg(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(get_app(), list(args), env=ENV, catch_exceptions=False)


@pytest.fixture
def initialised(home: Path) -> Path:
    result = kg("init", "--admin-email", "admin@example.org")
    assert result.exit_code == 0, result.output
    return home


def test_ingest_cert_prints_the_per_file_table(initialised: Path, tmp_path: Path) -> None:
    folder = write_cert(tmp_path / "r6.2", extra={"logon.csv": ["{BAD},13/13/2010,U1,PC,Logon"]})
    result = kg("ingest", "cert", str(folder), "--unit", "acme", "--timezone", "Europe/Berlin")
    assert result.exit_code == 0, result.output
    out = result.output
    for word in (
        "logon.csv",
        "psychometric.csv",
        "skipped by policy",
        "outside retention",
        "r5.x-r6.2",
        "total",
    ):
        assert word in out, word
    with session_scope() as session:
        run = session.scalars(select(IngestRun)).one()
        assert run.actor.startswith("cli:") and run.status == "complete"
    assert f"keyguard ingest rejects {run.uid}" in out
    rejects = kg("ingest", "rejects", run.uid)
    assert rejects.exit_code == 0, rejects.output
    assert "bad date" in rejects.output and "1 rejected rows" in rejects.output
    runs = kg("ingest", "runs")
    assert run.uid in runs.output and "complete" in runs.output
    assert EventStore(initialised).days("acme")


def test_ingest_jsonl_and_csv_with_a_shipped_mapping(initialised: Path, tmp_path: Path) -> None:
    src = tmp_path / "auth.jsonl"
    src.write_text(
        '{"timestamp": "2024-03-04T08:01:02Z", "hostname": "h", "event": '
        '"accepted", "user": "alice"}\n',
        encoding="utf-8",
    )
    result = kg("ingest", "jsonl", str(src), "--mapping", "syslog-auth", "--unit", "acme")
    assert result.exit_code == 0, result.output
    assert "auth.jsonl" in result.output and "syslog-auth" in result.output
    wrong = kg("ingest", "csv", str(src), "--mapping", "syslog-auth", "--unit", "acme")
    assert wrong.exit_code == 1 and "this mapping reads jsonl, not csv" in wrong.output
    listing = kg("ingest", "mappings")
    assert "proxy-log" in listing.output and "windows-security" in listing.output


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "a file",
        "wrong folder",
        "empty file",
        "bad header",
        "bad mapping",
        "missing mapping",
        "bad date",
    ],
)
def test_errors_are_one_line_and_store_nothing(
    initialised: Path, tmp_path: Path, case: str
) -> None:
    good = write_cert(tmp_path / "good")
    if case == "missing":
        args = ["ingest", "cert", str(tmp_path / "nope")]
    elif case == "a file":
        args = ["ingest", "cert", str(good / "logon.csv")]
    elif case == "wrong folder":
        (tmp_path / "docs").mkdir()
        (tmp_path / "docs" / "readme.txt").write_text("hello", encoding="utf-8")
        args = ["ingest", "cert", str(tmp_path / "docs")]
    elif case == "empty file":
        (good / "http.csv").write_bytes(b"")
        args = ["ingest", "cert", str(good)]
    elif case == "bad header":
        write_file(good, "email.csv", ["x"], header="id,when,who,where")
        args = ["ingest", "cert", str(good)]
    elif case == "bad mapping":
        bad = tmp_path / "m.yaml"
        bad.write_text("mapping: 1\nname: m1\nformat: jsonl\nfields: [\n", encoding="utf-8")
        args = ["ingest", "jsonl", str(good / "logon.csv"), "--mapping", str(bad)]
    elif case == "missing mapping":
        args = ["ingest", "jsonl", str(good / "logon.csv"), "--mapping", "nothing-here"]
    else:
        args = ["ingest", "cert", str(good), "--keep-from", "last tuesday"]
    result = kg(*args)
    assert result.exit_code == 1, result.output
    # one message (Rich may wrap it at the console width), no traceback
    assert result.output.startswith("error:") and result.output.count("error:") == 1
    assert "Traceback" not in result.output
    assert EventStore(initialised).units() == []
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(IngestRun)) == 0


def test_a_second_ingest_waits_for_the_job_lock(initialised: Path, tmp_path: Path) -> None:
    from keyguard.scheduler.lock import job_lock

    folder = write_cert(tmp_path / "c")
    with job_lock("detect", initialised):
        result = kg("ingest", "cert", str(folder), "--unit", "acme")
    assert result.exit_code == 1 and "is running" in result.output
    assert EventStore(initialised).units() == []
