"""``keyguard cases`` and ``keyguard retention`` on a prepared unit, and
``keyguard audit who-saw``: lists, a PDF report, bulk dismissal, retention refused below the
detectors' minimum, a legal hold, a purge, and who saw whom — never an identity printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from keyguard.audit.context import actor_scope
from keyguard.cases import reident, service
from keyguard.cli import common
from keyguard.cli.main import get_app
from keyguard.identity.bootstrap import mark_home

from .support import Prepared, as_account, make_alert

PURPOSE = "Interview planned with the person and their head."

pytestmark = pytest.mark.pg


def test_cases_retention_and_who_saw(
    session: Session, p: Prepared, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common.console, "width", 400)
    mark_home(home)
    unit = p.unit(session)
    analyst, officer = p.account(session, "analyst"), p.account(session, "security_officer")
    with actor_scope(as_account(analyst)):
        case = service.open_case(session, unit=unit, kind="alert", ref=p.alert_id)
        noise = make_alert(session, unit, p.person(session, "arabic"))
        req = reident.request(session, case=case, account=analyst, purpose=PURPOSE)
    reident.approve(session, req=req, account=officer)
    with actor_scope(as_account(analyst)):
        reident.reveal(session, case=case, account=analyst)
    session.commit()
    runner, app = CliRunner(), get_app()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, list(args))
        return result.exit_code, " ".join(result.output.split())

    code, out = run("cases", "list", "--unit", "unit-a")
    assert code == 0 and "C-0001" in out and case.subject_pseudonym in out, out
    code, out = run("cases", "show", "C-0001", "--unit", "unit-a")
    assert code == 0 and '"identified": false' in out
    assert not [s for s in p.world.identities("a") if s in out]
    pdf = tmp_path / "c1.pdf"
    code, out = run("cases", "report", "C-0001", "--unit", "unit-a", "--out", str(pdf))
    assert code == 0 and pdf.read_bytes().startswith(b"%PDF-"), out
    code, out = run("cases", "dismiss", noise.id, "--unit", "unit-a", "--reason", "test noise")
    assert code == 0 and "1 alert(s) dismissed" in out, out
    code, out = run("cases", "dismiss", p.alert_id, "--unit", "unit-a", "--reason", "x")
    assert code == 1 and "open case C-0001" in out
    code, out = run("cases", "metrics", "--unit", "unit-a", "--json")
    assert code == 0 and json.loads(out)["alerts"] == 2
    code, out = run("retention", "set", "--unit", "unit-a", "--raw-events", "20")
    assert code == 1 and "the detectors need" in out
    code, out = run("retention", "set", "--unit", "unit-a", "--cases", "400")
    assert code == 0, out
    code, out = run("retention", "hold", "C-0001", "--unit", "unit-a", "--reason", "inquiry 4")
    assert code == 0 and "legal hold on" in out
    code, out = run("retention", "show", "--unit", "unit-a")
    assert code == 0 and "legal hold: C-0001 — inquiry 4" in out and "400" in out
    code, out = run("retention", "purge", "--unit", "unit-a")
    assert code == 0 and '"event_days": 0' in out, out
    code, out = run("audit", "who-saw", "--unit", "unit-a", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert [(v["whom"], v["why"]) for v in data["views"]] == [(case.subject_pseudonym, PURPOSE)]
    assert data["views"][0]["who"] == "Analyst" and data["views"][0]["whom_name"] is None
    code, out = run("audit", "who-saw", "--unit", "unit-a", "--since", "nonsense")
    assert code == 1 and "not a date" in out
