"""Demo step 30: the demo unit and its people from the generated CERT folder."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from org_support import cert_folder
from rich.console import Console
from sqlalchemy import select

from keyguard.audit.models import AuditEntry
from keyguard.db.session import session_scope
from keyguard.demo.people import STEPS
from keyguard.demo.steps import DemoContext
from keyguard.records.org.models import Person, Unit


def context(home: Path, data_dir: Path | None, facts: dict[str, object]) -> DemoContext:
    return DemoContext(
        home=home,
        users=9,
        days=90,
        seed=7,
        start="2010-01-01",
        console=Console(file=io.StringIO(), width=120),
        data_dir=data_dir,
        facts=facts,
    )


def test_demo_step_creates_the_unit_and_imports_the_folder(
    db_url: str, home: Path, tmp_path: Path
) -> None:
    (step,) = STEPS
    assert (step.order, step.name) == (30, "org tree and people from the LDAP files")
    ctx = context(home, cert_folder(tmp_path), {"timezone": "Asia/Shanghai"})
    step.run(ctx)
    with session_scope() as session:
        unit = session.scalars(select(Unit).where(Unit.code == "demo")).one()
        assert (unit.name, unit.timezone, unit.is_demo) == (
            "Demo Research Institute",
            "Asia/Shanghai",
            True,
        )
        assert len(session.scalars(select(Person).where(Person.unit_id == unit.id)).all()) == 9
        actors = set(session.scalars(select(AuditEntry.actor)))
        assert actors == {"demo:setup"}
    assert ctx.facts["people_import"]["leavers"] == 1
    printed = ctx.console.file.getvalue()  # type: ignore[attr-defined]
    assert "9 people from 3 LDAP months: 1 joiners, 1 movers, 1 leavers" in printed


def test_demo_step_defaults_and_needs_the_generated_folder(
    db_url: str, home: Path, tmp_path: Path
) -> None:
    (step,) = STEPS
    with pytest.raises(RuntimeError, match="generator step"):
        step.run(context(home, None, {}))
    step.run(context(home, cert_folder(tmp_path, months=1), {}))
    with session_scope() as session:
        unit = session.scalars(select(Unit)).one()
        assert unit.timezone == "Europe/Berlin"
