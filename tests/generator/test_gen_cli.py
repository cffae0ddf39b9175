"""``keyguard generate`` through the plugin hook, with typer's test runner."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from keyguard.generator import hooks


def _app() -> typer.Typer:
    app = typer.Typer()
    hooks.keyguard_cli(app)

    @app.command("noop")
    def noop() -> None:  # a second command keeps "generate" a sub-command
        """Nothing."""

    return app


def test_generate_command_writes_data_and_answers(tmp_path: Path) -> None:
    out, answers = tmp_path / "cert", tmp_path / "answers"
    args = ["generate", "--users", "30", "--days", "28", "--seed", "5", "--out", str(out)]
    args += ["--answers-out", str(answers), "--start", "2024-03-04", "--tz", "Europe/Berlin"]
    args += ["--domain", "unit-one.example", "--quiet"]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0, result.output
    assert "insiders" in result.output
    for name in ("logon.csv", "device.csv", "file.csv", "email.csv", "http.csv", "hosts.csv"):
        assert (out / name).stat().st_size > 100
    meta = json.loads((answers / "meta.json").read_text())
    assert meta["seed"] == 5 and meta["users"] == 30 and meta["start"] == "2024-03-04"
    assert meta["command"].startswith("keyguard generate --users 30 --days 28 --seed 5 ")
    assert "@unit-one.example" in (out / "LDAP" / "2024-03.csv").read_text()
    assert [p.name for p in sorted((out / "LDAP").iterdir())] == ["2024-03.csv"]


def test_generate_command_reports_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["generate", "--out", str(tmp_path / "o"), "--answers-out", str(tmp_path / "a")]
    result = runner.invoke(_app(), [*base, "--users", "3", "--quiet"])
    assert result.exit_code == 1
    assert "--users must be at least" in result.output
    result = runner.invoke(_app(), [*base, "--start", "15.01.2024", "--quiet"])
    assert result.exit_code == 2
    result = runner.invoke(_app(), [*base, "--tz", "Nowhere/City", "--quiet"])
    assert result.exit_code == 1 and "time zone" in result.output
    same = ["generate", "--out", str(tmp_path / "x"), "--answers-out", str(tmp_path / "x")]
    result = runner.invoke(_app(), [*same, "--quiet"])
    assert result.exit_code == 1 and "answers" in result.output
    assert not (tmp_path / "o").exists()
