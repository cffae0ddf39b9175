"""``keyguard people import|list|tree`` in-process, on a fresh home."""

from __future__ import annotations

from pathlib import Path

import pytest
from org_support import cert_folder, staff_february, write_month
from sqlalchemy import select
from typer.testing import CliRunner

from keyguard.cli.main import get_app
from keyguard.db.session import session_scope
from keyguard.records.org.models import ImportRun, Person, Unit

runner = CliRunner()
ENV = {"KEYGUARD_ADMIN_PASSWORD": "correct horse battery", "KEYGUARD_NO_PROGRESS": "1"}


def kg(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(get_app(), list(args), env=ENV, catch_exceptions=False)


@pytest.fixture
def initialised(home: Path) -> Path:
    result = kg("init", "--admin-email", "admin@example.org")
    assert result.exit_code == 0, result.output
    return home


def test_people_import_ldap_folder_creates_unit_and_lists(
    initialised: Path, tmp_path: Path
) -> None:
    folder = cert_folder(tmp_path)
    result = kg(
        "people",
        "import",
        str(folder),
        "--unit",
        "cert",
        "--unit-name",
        "CERT r6.2",
        "--timezone",
        "Europe/Berlin",
    )
    assert result.exit_code == 0, result.output
    assert "unit cert created (CERT r6.2, Europe/Berlin)" in result.output
    assert "2010-03" in result.output and "problem" not in result.output
    with session_scope() as session:
        unit = session.scalars(select(Unit)).one()
        assert (unit.code, unit.timezone) == ("cert", "Europe/Berlin")
        assert len(session.scalars(select(Person)).all()) == 9
        run = session.scalars(select(ImportRun)).one()
        assert run.actor.startswith("cli:") and run.counts["leavers"] == 1
        assert f"import run {run.id} recorded" in result.output

    again = kg("people", "import", str(folder))  # the only unit is used
    assert again.exit_code == 0, again.output
    with session_scope() as session:
        runs = session.scalars(select(ImportRun).order_by(ImportRun.id)).all()
        assert runs[-1].counts["versions_added"] == 0 and len(runs) == 2

    listed = kg("people", "list", "--unit", "cert", "--search", "Lovelace")
    assert listed.exit_code == 0, listed.output
    assert "ADA0001" in listed.output and "1 of 1 shown" in listed.output
    tree = kg("people", "tree")
    assert tree.exit_code == 0 and "Engineering" in tree.output and "Gus Lead" in tree.output


def test_people_import_reports_bad_rows_and_csv_encoding(initialised: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cert"
    write_month(folder, "2010-01", staff_february(), extra_lines=["Bad,BAD0001,bad-mail"])
    result = kg("people", "import", str(folder), "--unit", "cert")
    assert result.exit_code == 0, result.output
    assert "1 problem(s):" in result.output
    assert "LDAP/2010-01.csv:11: 3 fields, expected 10" in result.output

    plain = tmp_path / "staff.csv"
    plain.write_bytes(
        "staff_id,full_name,email\nL1,Jürgen Müller,jm@example.de\n".encode("latin-1")
    )
    result = kg(
        "people",
        "import",
        str(plain),
        "--unit",
        "plain",
        "--encoding",
        "latin-1",
        "--as-of",
        "2026-01-05",
    )
    assert result.exit_code == 0, result.output
    assert "unit plain created" in result.output
    with session_scope() as session:
        jurgen = session.scalars(select(Person).where(Person.staff_id == "L1")).one()
        assert jurgen.full_name == "Jürgen Müller"
    several = kg("people", "list")
    assert several.exit_code == 1 and "several units" in several.output


def flat(output: str) -> str:
    """Output with Rich's wrapping at the test terminal's width undone."""
    return " ".join(output.split())


def test_people_import_whole_input_errors_are_one_line(initialised: Path, tmp_path: Path) -> None:
    missing = kg("people", "import", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1
    expected = f"error: {tmp_path / 'nowhere'}: no such file or folder"
    assert "".join(missing.output.split()) == "".join(expected.split())
    (tmp_path / "empty").mkdir()
    empty = kg("people", "import", str(tmp_path / "empty"), "--unit", "x")
    assert empty.exit_code == 1 and "no LDAP month files" in flat(empty.output)
    assert "created" not in empty.output and "Traceback" not in empty.output
    with session_scope() as session:
        assert session.scalars(select(Unit)).all() == []  # nothing was kept
    bad_date = kg("people", "import", str(tmp_path / "empty"), "--as-of", "05/01/2026")
    assert bad_date.exit_code == 1 and "is not a date" in flat(bad_date.output)
    as_csv = kg("people", "import", str(tmp_path / "empty"), "--format", "csv")
    assert as_csv.exit_code == 1 and "is a folder; a csv import needs a file" in flat(as_csv.output)


def test_people_import_without_unit_names_it_after_the_folder(
    initialised: Path, tmp_path: Path
) -> None:
    folder = cert_folder(tmp_path, months=1).rename(tmp_path / "r6.2")
    result = kg("people", "import", str(folder))
    assert result.exit_code == 0, result.output
    assert "unit r6-2 created (r6-2, UTC)" in result.output
