"""``keyguard register|grants|hosts import`` on real files: counts, refused rows with
file:line: reason, and a second run that changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from kg_register_builders import make_world
from sqlalchemy import Engine
from typer.testing import CliRunner

from keyguard.cli import common
from keyguard.cli.main import get_app
from keyguard.db.session import session_scope
from keyguard.identity.bootstrap import mark_home


def test_imports_from_the_command_line(
    engine: Engine, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common.console, "width", 400)  # long temporary paths stay whole
    mark_home(home)
    with session_scope(engine) as session:
        make_world(session)
    reg = tmp_path / "register.csv"
    reg.write_text(
        "reference,title,level,owner_department,location\n"
        "REG-1,Kestrel,secret,1 - Research,\\\\fs03\\research\\kestrel\\*\n"
        "REG-2,Bad,secret,1 - Research,relative\\path\n",
        encoding="utf-8",
    )
    grants = tmp_path / "grants.csv"
    grants.write_text(
        "grantee_type,grantee,item_reference,purpose,start,end,approved_by\n"
        "team,1 - Alpha,REG-1,project,2024-01-01,,EVE0005\n",
        encoding="utf-8",
    )
    hosts = tmp_path / "hosts.csv"
    hosts.write_text(
        "host,assigned_staff_id,shared,removable_media_allowed\nPC-1,ALI0001,false,false\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    app = get_app()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, list(args))
        return result.exit_code, " ".join(result.output.split())  # undo Rich's wrapping

    code, out = run("register", "import", str(reg))
    assert code == 0, out
    assert "read 2, created 1, updated 0, unchanged 0, rejected 1" in out
    assert f"{reg}:3: invalid location" in out
    code, out = run("register", "import", str(reg), "--unit", "u1")
    assert "created 0, updated 0, unchanged 1, rejected 1" in out
    code, out = run("grants", "import", str(grants))
    assert "created 1" in out, out
    code, out = run("hosts", "import", str(hosts), "--known-from", "2024-01-01")
    assert "created 1" in out, out
    code, out = run("hosts", "list")
    assert "PC-1" in out and "ALI0001" in out
    code, out = run("register", "import", str(tmp_path / "nope.csv"))
    assert code == 1 and "cannot read the file" in out
