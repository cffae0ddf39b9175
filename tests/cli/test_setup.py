"""``keyguard init``, ``units`` and ``audit`` from the command line (in-process)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyguard.cli.main import get_app

runner = CliRunner()


def kg(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(get_app(), list(args), env=env, catch_exceptions=False)


def test_init_creates_home_and_refuses_reuse(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEYGUARD_ADMIN_PASSWORD", raising=False)
    result = kg(
        "init",
        "--admin-email",
        "Admin@Example.org",
        env={"KEYGUARD_ADMIN_PASSWORD": "correct horse battery"},
    )
    assert result.exit_code == 0, result.output
    assert (home / "home.json").exists() and (home / "keyguard.db").exists()
    key = home / "secrets" / "pseudonym.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    again = kg(
        "init",
        "--admin-email",
        "b@example.org",
        env={"KEYGUARD_ADMIN_PASSWORD": "correct horse battery"},
    )
    assert again.exit_code == 1
    assert "already a keyguard home" in again.output


def test_init_has_no_default_password(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEYGUARD_ADMIN_PASSWORD", raising=False)
    result = runner.invoke(get_app(), ["init", "--admin-email", "a@example.org"], input="")
    assert result.exit_code != 0
    assert not (home / "home.json").exists()


def test_weak_admin_password_leaves_no_home(home: Path) -> None:
    result = kg("init", "--admin-email", "a@example.org", env={"KEYGUARD_ADMIN_PASSWORD": "short"})
    assert result.exit_code == 1 and "at least" in result.output
    assert not (home / "home.json").exists()


def test_commands_need_a_home(home: Path) -> None:
    result = kg("audit", "verify")
    assert result.exit_code == 1
    assert "keyguard init" in result.output


def test_units_and_audit_round_trip(home: Path, tmp_path: Path) -> None:
    env = {"KEYGUARD_ADMIN_PASSWORD": "correct horse battery"}
    assert kg("init", "--admin-email", "a@example.org", env=env).exit_code == 0
    assert (
        kg("units", "add", "hq", "--name", "Zentrale Süd", "--timezone", "Europe/Berlin").exit_code
        == 0
    )
    bad = kg("units", "add", "x", "--name", "X", "--timezone", "Mars/Olympus")
    assert bad.exit_code == 1 and "IANA" in bad.output
    listed = kg("units", "list")
    assert "Zentrale Süd" in listed.output
    verify = kg("audit", "verify")
    assert verify.exit_code == 0 and "OK" in verify.output
    cp = tmp_path / "cp.json"
    assert kg("audit", "checkpoint", "--out", str(cp)).exit_code == 0
    assert json.loads(cp.read_text())["seq"] >= 3
    assert kg("audit", "verify", "--checkpoint", str(cp)).exit_code == 0
    out = tmp_path / "audit.jsonl"
    assert kg("audit", "export", "--out", str(out)).exit_code == 0
    lines = out.read_text().splitlines()
    assert all(json.loads(line)["actor"].startswith("cli:") for line in lines)
    assert kg("audit", "verify-export", str(out)).exit_code == 0
