"""``keyguard duties``, ``keyguard training`` and ``keyguard tick`` from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from orgfactory import build_org
from sqlalchemy import select
from typer.testing import CliRunner

from keyguard.cli import common
from keyguard.cli.main import get_app
from keyguard.db.session import session_scope
from keyguard.identity.bootstrap import initialise_home
from keyguard.library.content import builtin_frameworks
from keyguard.scheduler.models import Notification

runner = CliRunner()


def kg(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(get_app(), list(args), env=env, catch_exceptions=False)


def flat(result) -> str:  # type: ignore[no-untyped-def]
    """The output with Rich's line wrapping undone."""
    return " ".join(result.output.split())


def test_duties_and_training_commands(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common.console, "width", 200)  # tables are not cut short
    initialise_home(admin_email="admin@example.org", admin_password="correct horse battery")
    with session_scope() as session:
        build_org(session)
    result = kg("duties", "load", "--builtin")
    assert result.exit_code == 0, result.output
    assert "loaded" in flat(result)
    again = kg("duties", "load", str(builtin_frameworks()[0]))
    assert again.exit_code == 0 and "unchanged" in flat(again)
    newer = tmp_path / "newer.yaml"
    newer.write_text(
        builtin_frameworks()[0]
        .read_text(encoding="utf-8")
        .replace("version: 1\n", "version: 2\n", 1)
        .replace("changelog:\n", "changelog:\n  - version: 2\n    note: newer.\n", 1),
        encoding="utf-8",
    )
    upgraded = kg("duties", "load", str(newer))
    assert upgraded.exit_code == 0 and "upgraded from v1" in flat(upgraded), upgraded.output
    refused = kg("duties", "load", str(builtin_frameworks()[0]))
    assert refused.exit_code == 1 and "older than the loaded version 2" in flat(refused)
    assigned = kg("duties", "assign", "--unit", "acme")
    assert assigned.exit_code == 0 and "created" in flat(assigned)
    listed = kg("duties", "list")
    assert listed.exit_code == 0 and "security_office" in flat(listed)
    score = kg("duties", "score")
    assert score.exit_code == 0 and "compliance score" in flat(score)
    assert kg("training", "load", "--builtin").exit_code == 0
    added = kg(
        "training",
        "campaign-add",
        "Everyone",
        "--course",
        "urn:keyguard:course:reporting",
        "--audience",
        "all-staff",
        "--due-days",
        "10",
    )
    assert added.exit_code == 0 and "6 people enrolled" in flat(added), added.output
    status = kg("training", "status")
    assert status.exit_code == 0 and "How and what to report" in flat(status)
    # a month later the tick sends reminders and escalations
    ticked = kg("tick", env={"KEYGUARD_NOW": "2027-03-01T09:00:00"})
    # other domains' jobs run too; ours must each report "ok"
    for job in ("duties.escalate", "compliance.snapshot", "training.campaigns"):
        rows = [line for line in ticked.output.splitlines() if f" {job} " in line]
        assert rows and " ok " in rows[0], ticked.output
    with session_scope() as session:
        kinds = set(session.scalars(select(Notification.kind)))
    assert {"duty.overdue", "training.overdue"} <= kinds
