"""Import of CERT LDAP folders: tree, positions, joiners, movers, leavers, idempotence and
bad input."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from org_support import (
    DESIGN,
    ENGINEERING,
    JOSE,
    RESEARCH,
    TESTING,
    cert_folder,
    counts,
    day,
    staff_february,
    staff_january,
    staff_march,
    write_month,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.audit.models import AuditEntry
from keyguard.errors import InputError
from keyguard.privacy.pseudonyms import pseudonym
from keyguard.records.org import service as org
from keyguard.records.org.facts import nfc
from keyguard.records.org.models import ImportRun, OrgNode, Person, PersonVersion, Position, Unit


def people(session: Session, unit: Unit) -> dict[str, Person]:
    return {p.staff_id: p for p in session.scalars(select(Person).where(Person.unit_id == unit.id))}


def versions(session: Session, person: Person) -> list[PersonVersion]:
    return list(
        session.scalars(
            select(PersonVersion)
            .where(PersonVersion.person_id == person.id)
            .order_by(PersonVersion.valid_from, PersonVersion.id)
        )
    )


def node(session: Session, path: str) -> OrgNode:
    return session.scalars(select(OrgNode).where(OrgNode.path == path)).one()


@pytest.mark.pg
@pytest.mark.parametrize("release", ["r4.2", "r6.2"])
def test_ldap_months_give_tree_positions_and_history(
    session: Session, unit: Unit, tmp_path: Path, release: str
) -> None:
    folder = cert_folder(tmp_path, release)
    report = org.import_ldap_folder(session, unit=unit, folder=folder)
    session.commit()

    assert report.problems == []
    assert [f.name for f in report.files] == [
        "LDAP/2010-01.csv",
        "LDAP/2010-02.csv",
        "LDAP/2010-03.csv",
    ]
    assert report.counts() == {
        "files": 3,
        "rows": 25,
        "accepted": 25,
        "rejected": 0,
        "people_created": 9,
        "versions_added": 11,
        "joiners": 1,
        "movers": 1,
        "leavers": 1,
    }
    by_id = people(session, unit)
    assert set(by_id) == {
        "ADA0001",
        "BOV0002",
        "JON0003",
        "DAL0004",
        "EVS0005",
        "FIM0006",
        "GUL0007",
        "HAL0008",
        "IVJ0009",
    }

    # the tree: business unit -> functional unit -> department -> teams
    dept = node(session, f"1 / {RESEARCH} / {ENGINEERING}")
    design = node(session, f"1 / {RESEARCH} / {ENGINEERING} / {DESIGN}")
    testing = node(session, f"1 / {RESEARCH} / {ENGINEERING} / {TESTING}")
    assert (dept.kind, design.kind, design.parent_id) == ("department", "team", dept.id)
    assert node(session, "1").kind == "business_unit"
    assert dept.known_from == day("2010-01-01")

    # the top person's row with empty trailing fields is valid; positions by level
    ada, jose, dan = by_id["ADA0001"], by_id["JON0003"], by_id["DAL0004"]
    assert ada.manager_id is None and ada.department_id is None and ada.job_title == "President"
    level = {p.staff_id: session.get(Position, p.position_id).level for p in by_id.values()}
    assert level == {
        "ADA0001": "leadership",
        "BOV0002": "leadership",
        "JON0003": "department",
        "DAL0004": "team",
        "GUL0007": "team",
        "EVS0005": "individual",
        "FIM0006": "individual",
        "HAL0008": "individual",
        "IVJ0009": "individual",
    }
    head = session.get(Position, jose.position_id)
    assert (head.title, head.org_node_id) == (f"Head of {ENGINEERING}", dept.id)
    lead = session.get(Position, dan.position_id)
    assert lead.org_node_id == design.id and lead.reports_to_id == head.id
    # the supervisor written in decomposed form is matched to the NFC name
    assert jose.full_name == JOSE and dan.manager_id == jose.id

    # joiner: Ivy from February, start date assumed, said so in the source
    ivy = versions(session, by_id["IVJ0009"])
    assert [(v.valid_from, v.known_from, v.start_date) for v in ivy] == [
        (day("2010-02-01"), day("2010-02-01"), day("2010-02-01"))
    ]
    assert "start date assumed" in ivy[0].source
    assert versions(session, ada)[0].start_date is None  # staff of the first month
    # mover: Finn from Design to Testing in February
    finn = versions(session, by_id["FIM0006"])
    assert [(v.valid_from, v.valid_to, v.team_id) for v in finn] == [
        (day("2010-01-01"), day("2010-02-01"), design.id),
        (day("2010-02-01"), None, testing.id),
    ]
    assert finn[1].manager_id == by_id["GUL0007"].id
    # leaver: Hana absent from March, end date the last day of February
    hana = versions(session, by_id["HAL0008"])
    assert [(v.valid_from, v.status, v.end_date) for v in hana] == [
        (day("2010-01-01"), "active", None),
        (day("2010-03-01"), "left", day("2010-02-28")),
    ]
    assert "absent from this month's file" in hana[1].source
    assert "real day is unknown" in hana[1].source
    assert by_id["HAL0008"].status == "left" and by_id["HAL0008"].end_date == day("2010-02-28")

    # pseudonyms, projects (r6.2 only) and the import run
    assert ada.pseudonym == pseudonym("cert", "ADA0001")
    assert by_id["EVS0005"].projects == (["Project 1"] if release == "r6.2" else [])
    run = session.get(ImportRun, report.run_id)
    shas = {
        f"LDAP/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (folder / "LDAP").iterdir()
    }
    assert run.kind == "ldap" and run.counts["file_sha256"] == shas
    assert run.counts["last_month"] == "2010-03" and run.sha256 == report.sha256


@pytest.mark.pg
def test_rerun_changes_nothing_and_later_month_appends(
    session: Session, unit: Unit, tmp_path: Path
) -> None:
    folder = cert_folder(tmp_path, months=2)
    org.import_ldap_folder(session, unit=unit, folder=folder)
    session.commit()
    before = counts(session)
    again = org.import_ldap_folder(session, unit=unit, folder=folder)
    session.commit()
    after = counts(session)
    assert again.counts()["versions_added"] == 0 and again.counts()["people_created"] == 0
    assert after["version"] == before["version"] and after["person"] == before["person"]
    # the only new audit entry is the import run itself
    assert after["audit"] == before["audit"] + 1
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert last.action == "import_ldap" and '"import_run"' in last.details
    assert '"person' not in last.details

    write_month(folder, "2010-03", staff_march())
    third = org.import_ldap_folder(session, unit=unit, folder=folder)
    session.commit()
    assert third.counts()["versions_added"] == 1 and third.counts()["leavers"] == 1
    assert [f.versions_added for f in third.files] == [0, 0, 1]
    assert counts(session)["version"] == before["version"] + 1


@pytest.mark.pg
def test_bad_rows_are_named_and_valid_rows_kept(
    session: Session, unit: Unit, tmp_path: Path
) -> None:
    folder = cert_folder(tmp_path, months=1)
    org.import_ldap_folder(session, unit=unit, folder=folder)
    session.commit()
    feb = staff_february()
    for row in feb:
        if row["user_id"] == "EVS0005":
            row["email"] = "not-an-email"  # Eve's row is bad: her January facts carry on
        if row["user_id"] == "GUL0007":
            row["supervisor"] = "Nobody Known"
    extra = [
        "Ivy Again,IVJ0009,ivy.again@dtaa.com,Engineer,,1,1 - Research,,,Dan Lead",
        "Short Row,SHO0010,short@dtaa.com",
        ",NON0011,x@dtaa.com,Engineer,,1,,,,",
    ]
    write_month(folder, "2010-02", feb, extra_lines=extra)
    report = org.import_ldap_folder(session, unit=unit, folder=folder)
    session.commit()

    problems = [str(p) for p in report.problems]
    assert problems == [
        "LDAP/2010-02.csv:6: invalid email 'not-an-email'",
        "LDAP/2010-02.csv:11: duplicate user_id IVJ0009 (first on line 10)",
        "LDAP/2010-02.csv:12: 3 fields, expected 10",
        "LDAP/2010-02.csv:13: empty employee_name",
        "LDAP/2010-02.csv:8: supervisor 'Nobody Known' is not in this month's file",
    ]
    feb_summary = report.files[1]
    assert (feb_summary.rows, feb_summary.accepted, feb_summary.rejected) == (12, 7, 5)
    by_id = people(session, unit)
    # listed with a bad row: not a leaver, facts unchanged; valid rows imported
    assert by_id["EVS0005"].status == "active" and by_id["EVS0005"].email == "Eve.Staff@dtaa.com"
    assert by_id["GUL0007"].status == "active"
    assert "IVJ0009" in by_id and "NON0011" not in by_id and "SHO0010" not in by_id
    assert report.counts()["leavers"] == 0
    run = session.get(ImportRun, report.run_id)
    assert run.problems == problems


@pytest.mark.pg
def test_unusable_month_file_is_skipped_without_leavers(
    session: Session, unit: Unit, tmp_path: Path
) -> None:
    folder = cert_folder(tmp_path, months=1)
    (folder / "LDAP" / "2010-02.csv").write_text("name,id\nAda,ADA0001\n", encoding="utf-8")
    (folder / "LDAP" / "2010-13.csv").write_text("x\n", encoding="utf-8")
    report = org.import_ldap_folder(session, unit=unit, folder=folder)
    session.commit()
    month_problem, header_problem = (str(p) for p in report.problems)
    assert month_problem == "LDAP/2010-13.csv: not a month (YYYY-MM); file skipped"
    assert header_problem.startswith(
        "LDAP/2010-02.csv:1: not a CERT LDAP header (expected employee_name,user_id"
    )
    assert report.files[1].skipped and report.counts()["leavers"] == 0
    assert all(p.status == "active" for p in people(session, unit).values())


def test_latin1_month_rows_are_rejected_unless_declared(
    session: Session, unit: Unit, tmp_path: Path
) -> None:
    folder = tmp_path / "latin"
    rows = staff_january()
    for row in rows:  # only Hana's row holds a character beyond ASCII
        for column in ("employee_name", "supervisor"):
            if row[column] and row[column] != "Ada Lovelace" and "Nú" in nfc(row[column]):
                row[column] = "Jose Nunez"
    rows[-1]["employee_name"] = "Hana Müller"
    write_month(folder, "2010-01", rows, encoding="latin-1")
    report = org.import_ldap_folder(session, unit=unit, folder=folder)
    assert [str(p) for p in report.problems] == [
        "LDAP/2010-01.csv:9: not valid utf-8 text (declare the file's encoding)"
    ]
    session.rollback()
    report = org.import_ldap_folder(session, unit=unit, folder=folder, encoding="latin-1")
    assert report.problems == []
    assert people(session, unit)["HAL0008"].full_name == "Hana Müller"


def test_whole_folder_problems_raise_input_error(
    session: Session, unit: Unit, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="no such folder"):
        org.import_ldap_folder(session, unit=unit, folder=tmp_path / "missing")
    (tmp_path / "empty" / "LDAP").mkdir(parents=True)
    with pytest.raises(InputError, match="no LDAP month files"):
        org.import_ldap_folder(session, unit=unit, folder=tmp_path / "empty")
    file = tmp_path / "people.csv"
    file.write_text("x\n", encoding="utf-8")
    with pytest.raises(InputError, match="is not a folder"):
        org.import_ldap_folder(session, unit=unit, folder=file)


def test_month_files_directly_in_folder_and_retired_nodes(
    session: Session, unit: Unit, tmp_path: Path
) -> None:
    folder = tmp_path / "flat"
    write_month(folder, "2010-01", staff_january(), flat=True)
    write_month(folder, "2010-02", [r for r in staff_february() if r["team"] != TESTING], flat=True)
    report = org.import_ldap_folder(session, unit=unit, folder=folder)
    session.commit()
    assert [f.name for f in report.files] == ["2010-01.csv", "2010-02.csv"]
    testing = node(session, f"1 / {RESEARCH} / {ENGINEERING} / {TESTING}")
    assert testing.retired_from == day("2010-02-01")
    assert node(session, f"1 / {RESEARCH} / {ENGINEERING} / {DESIGN}").retired_from is None
    assert report.counts()["leavers"] == 3  # Gus, Hana and Finn (moved to Testing) are gone
    assert [n.name for n in org.org_tree(session, unit.id)[0].children[0].children[0].children] == [
        DESIGN
    ]
    tree = org.org_tree(session, unit.id, include_retired=True)
    assert [n.name for n in tree[0].children[0].children[0].children] == [DESIGN, TESTING]
