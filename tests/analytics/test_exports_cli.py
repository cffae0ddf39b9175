"""CLI commands, exports, triage and who may see what, on the detected organization."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from keyguard.analytics import service
from keyguard.analytics.models import Alert, AlertTriage
from keyguard.audit.models import AuditEntry
from keyguard.cli.main import get_app
from keyguard.db.session import sessionmaker_for
from keyguard.errors import NotFound, PermissionDenied, RuleViolation
from keyguard.records.org.models import Person, Unit

from .conftest import Detected

runner = CliRunner()


def cli(*args: str) -> str:
    result = runner.invoke(get_app(), list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_detect_again_is_up_to_date(detected: Detected) -> None:
    out = cli("detect", "--unit", "t1")
    assert "already up to date" in out and "mode" in out


def test_alerts_export_csv_columns_order_and_users(detected: Detected, tmp_path: Path) -> None:
    out = tmp_path / "alerts.csv"
    cli("alerts", "export", "--format", "csv", "--out", str(out))
    with out.open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["user", "score", "day", "first_day", "detector", "indicators"]
        rows = list(reader)
    assert rows
    scores = [float(r["score"]) for r in rows]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 100 for s in scores)
    staff = {p.staff_id for p in detected.org.people}
    assert {r["user"] for r in rows} <= staff  # as written in the source logs
    for r in rows:
        assert r["first_day"] <= r["day"] and len(r["day"]) == 10
        assert r["indicators"] and " " not in r["indicators"]
    low = next(r for r in rows if r["user"] == detected.targets["low_and_slow"])
    assert low["first_day"] < low["day"]  # the cumulative collection started earlier


def test_pseudonymised_exports_hold_no_identity(detected: Detected, tmp_path: Path) -> None:
    a, r = tmp_path / "a.json", tmp_path / "r.csv"
    cli("alerts", "export", "--format", "json", "--out", str(a), "--pseudonymised")
    cli("risk", "export", "--out", str(r), "--pseudonymised")
    text = a.read_text() + r.read_text()
    assert json.loads(a.read_text())[0]["user"].startswith("P-")
    for p in detected.org.people:
        for secret in (p.staff_id, p.name, p.email, p.staff_id.lower()):
            assert secret not in text


def test_risk_export_peak_range_and_as_of(detected: Detected, tmp_path: Path) -> None:
    out = tmp_path / "risk.csv"
    cli("risk", "export", "--out", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["user", "score", "top_indicators"]
    assert len(rows) == len(detected.org.people)
    assert float(rows[0]["score"]) >= float(rows[-1]["score"])
    top = {r["user"] for r in rows[:13]}
    insiders = {detected.targets[s] for s in ("low_and_slow", "departure", "admin_planting")}
    assert insiders <= top
    early = tmp_path / "early.csv"
    cli("risk", "export", "--out", str(early), "--from", "2024-01-01", "--to", "2024-01-20")
    early_rows = {r["user"]: float(r["score"]) for r in csv.DictReader(early.open())}
    assert early_rows[detected.targets["leak_upload"]] == 0.0
    later = tmp_path / "later.csv"
    cli("risk", "export", "--out", str(later), "--as-of", "2024-06-30")
    decayed = {r["user"]: float(r["score"]) for r in csv.DictReader(later.open())}
    peak = {r["user"]: float(r["score"]) for r in rows}
    assert all(decayed[u] <= peak[u] for u in peak)
    assert decayed[detected.targets["leak_upload"]] < peak[detected.targets["leak_upload"]]


def test_exports_are_audited_as_the_cli_user(detected: Detected, tmp_path: Path) -> None:
    cli("alerts", "export", "--out", str(tmp_path / "x.csv"))
    with sessionmaker_for(detected.engine)() as s:
        entry = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "export", AuditEntry.object_type == "alerts")
            .order_by(AuditEntry.seq.desc())
        ).first()
    assert entry is not None and entry.actor.startswith("cli:")


def test_triage_states_reasons_and_redetection(detected: Detected) -> None:
    with sessionmaker_for(detected.engine)() as s:
        unit = s.scalar(select(Unit).where(Unit.code == "t1"))
        viewer = service.Viewer()
        alert = service.list_alerts(s, unit=unit, viewer=viewer)[-1]
        with pytest.raises(RuleViolation, match="reason"):
            service.set_status(s, alert["id"], unit=unit, viewer=viewer, status="dismissed")
        service.set_status(s, alert["id"], unit=unit, viewer=viewer, status="under_review")
        service.set_status(
            s, alert["id"], unit=unit, viewer=viewer, status="dismissed", reason="approved transfer"
        )
        s.commit()
        hist = service.triage_history(s, alert["id"])
        assert [h["to"] for h in hist] == ["under_review", "dismissed"]
    cli("detect", "--unit", "t1", "--full")
    with sessionmaker_for(detected.engine)() as s:
        again = s.get(Alert, alert["id"])
        assert again is not None and again.status == "dismissed" and again.active
        assert s.scalar(select(AlertTriage).where(AlertTriage.alert_id == alert["id"]))


def test_nobody_sees_alerts_about_themselves(detected: Detected) -> None:
    with sessionmaker_for(detected.engine)() as s:
        unit = s.scalar(select(Unit).where(Unit.code == "t1"))
        target = s.scalar(select(Person).where(Person.staff_id == detected.targets["leak_upload"]))
        mine = s.scalars(select(Alert).where(Alert.person_id == target.id)).all()
        assert mine
        me = service.Viewer(person_id=target.id)
        listed = {a["id"] for a in service.list_alerts(s, unit=unit, viewer=me)}
        assert not listed & {a.id for a in mine}
        with pytest.raises(NotFound):
            service.get_alert(s, mine[0].id, unit=unit, viewer=me)
        assert all(
            r["user"] != target.pseudonym for r in service.risk_list(s, unit=unit, viewer=me)
        )
        head = service.Viewer(person_id=None, department_head=True)
        with pytest.raises(PermissionDenied):
            service.list_alerts(s, unit=unit, viewer=head)
        with pytest.raises(PermissionDenied):
            service.risk_list(s, unit=unit, viewer=head)
