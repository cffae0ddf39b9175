"""``keyguard loopholes`` from the command line, first on a plain CERT export (LDAP and logs,
no register): the checks that need only logs and LDAP report findings, the others are
listed as not applicable with the input they miss."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyguard.cli.main import get_app

runner = CliRunner()
HEADER = "employee_name,user_id,email,role,business_unit,functional_unit,department,team,supervisor"
TEAM = "1,1 - Research,1 - Labs,1 - Team A,Bob Boss"
STAFF = {
    "AAA0001": f"Alice Ames,AAA0001,alice@dtaa.example,Engineer,{TEAM}",
    "BBB0002": "Bob Boss,BBB0002,bob@dtaa.example,Manager,1,1 - Research,1 - Labs,,",
    "CCC0003": f"Carl Cole,CCC0003,carl@dtaa.example,Engineer,{TEAM}",
}


def kg(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(get_app(), list(args), catch_exceptions=False)


def cert_folder(root: Path) -> Path:
    """Two LDAP months (Carl gone in February) and logon and device logs of February."""
    folder = root / "cert-export"
    (folder / "LDAP").mkdir(parents=True)
    (folder / "LDAP" / "2010-01.csv").write_text(
        "\n".join([HEADER, *STAFF.values()]) + "\n", encoding="utf-8"
    )
    (folder / "LDAP" / "2010-02.csv").write_text(
        "\n".join([HEADER, STAFF["AAA0001"], STAFF["BBB0002"]]) + "\n", encoding="utf-8"
    )
    logon = ["id,date,user,pc,activity"]
    device = ["id,date,user,pc,activity"]
    n = 0
    for day in range(1, 27):
        n += 1
        logon.append(f"{{L{n:05d}}},02/{day:02d}/2010 08:0{day % 10}:00,DTAA/AAA0001,PC-1,Logon")
        n += 1
        logon.append(f"{{L{n:05d}}},02/{day:02d}/2010 17:00:00,DTAA/AAA0001,PC-1,Logoff")
        device.append(f"{{D{n:05d}}},02/{day:02d}/2010 09:00:00,DTAA/BBB0002,PC-2,Connect")
    logon.append("{L90001},02/10/2010 07:30:00,DTAA/CCC0003,PC-3,Logon")  # after leaving
    logon.append("{L90002},02/11/2010 07:30:00,DTAA/admin,PC-4,Logon")  # generic name
    logon.append("{L90003},02/12/2010 07:30:00,DTAA/ZZZ9999,PC-5,Logon")  # nobody
    (folder / "logon.csv").write_text("\n".join(logon) + "\n", encoding="utf-8")
    (folder / "device.csv").write_text("\n".join(device) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def cert_home(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KEYGUARD_ADMIN_PASSWORD", "correct horse battery")
    monkeypatch.setenv("KEYGUARD_NO_PROGRESS", "1")
    assert kg("init", "--admin-email", "admin@example.org").exit_code == 0
    # a 2010 export loaded today: with no raw-event period set, every day is stored
    result = kg("ingest", "cert", str(cert_folder(tmp_path)), "--unit", "c1")
    assert result.exit_code == 0, result.output
    return home


def test_plain_cert_export_reports_log_and_ldap_checks(cert_home: Path) -> None:
    result = kg("loopholes", "--unit", "c1", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    checks = {c["id"]: c for c in doc["checks"]}
    for check_id in ("access-without-grant", "grant-never-reviewed", "leaver-grants-live"):
        assert checks[check_id]["state"] == "not_applicable"
        assert checks[check_id]["reason"] == "not applicable: no register"
    assert checks["classified-access-without-training"]["reason"] == (
        "not applicable: no register, no training records"
    )
    assert "not applicable: no register" in result.stderr
    for check_id in ("leaver-account-logs-on", "generic-account-name"):
        assert checks[check_id]["state"] == "ran" and checks[check_id]["open"] == 1, check_id
    assert checks["unknown-account-in-logs"]["open"] == 2  # admin and ZZZ9999
    findings = {f["check"]: f for f in doc["findings"]}
    leaver = findings["leaver-account-logs-on"]
    assert "CCC0003" in leaver["subject"] and "left on 2010-02-01" in leaver["subject"]
    assert leaver["evidence"][0]["file"] == "logon.csv" and leaver["evidence"][0]["line"] >= 2
    unknown = sorted(
        f["subject"] for f in doc["findings"] if f["check"] == "unknown-account-in-logs"
    )
    assert unknown[0].startswith("Account DTAA/ZZZ9999") or unknown[1].startswith(
        "Account DTAA/ZZZ9999"
    )
    assert doc["horizon"] == "2010-02-26"


def test_formats_rerun_and_other_commands(cert_home: Path, tmp_path: Path) -> None:
    first = kg("loopholes", "--unit", "c1", "--format", "csv")
    assert first.exit_code == 0, first.output
    rows = list(csv.DictReader(io.StringIO(first.stdout)))
    assert rows and set(rows[0]) == {
        "id",
        "unit",
        "check",
        "severity",
        "status",
        "subject",
        "owner",
        "due_on",
        "opened_on",
        "evidence_rows",
        "supports",
    }
    again = kg("loopholes", "--unit", "c1", "--format", "csv")
    assert sorted(r["id"] for r in csv.DictReader(io.StringIO(again.stdout))) == sorted(
        r["id"] for r in rows
    )
    table = kg("loopholes", "--unit", "c1")
    assert table.exit_code == 0 and "not applicable: no register" in table.stdout
    assert "0 new" in table.stdout

    out = tmp_path / "findings.json"
    assert kg("loopholes", "--unit", "c1", "--format", "json", "--out", str(out)).exit_code == 0
    assert len(json.loads(out.read_text(encoding="utf-8"))["findings"]) == len(rows)

    shown = kg("loopholes", "show", rows[0]["id"][:10], "--unit", "c1")
    assert shown.exit_code == 0 and json.loads(shown.stdout)["id"] == rows[0]["id"]
    listed = kg("loopholes", "checks", "--unit", "c1")
    assert listed.exit_code == 0 and "leaver-account-logs-on" in listed.stdout

    bad = tmp_path / "bad.yaml"
    bad.write_text("id: Bad Id\n", encoding="utf-8")
    checked = kg("loopholes", "validate", str(bad))
    assert checked.exit_code == 1 and f"{bad}:1:" in checked.stderr
    assert kg("loopholes", "--format", "xml").exit_code == 1
