"""Adapters declare the fields they fill (hook ``keyguard_recorded_fields``); the demo step
ingests the generated folder."""

from __future__ import annotations

from pathlib import Path

from ingest_support import write_cert
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.demo.ingest import STEPS
from keyguard.demo.steps import DemoContext
from keyguard.events.schema import FIELDS
from keyguard.ingest.models import IngestRun
from keyguard.ingest.registry import adapters
from keyguard.plugins import get_plugin_manager
from keyguard.records.org.models import Unit


def test_every_adapter_declares_real_fields() -> None:
    assert {"cert", "mapping"} <= set(adapters())
    rows = [r for batch in get_plugin_manager().hook.keyguard_recorded_fields() for r in batch]
    mine = [r for r in rows if r["source"].startswith(("CERT ", "mapping "))]
    assert {r["source"] for r in mine} >= {
        "CERT logon.csv",
        "CERT http.csv",
        "CERT psychometric.csv",
        "mapping proxy-log",
    }
    for r in mine:
        assert set(r) == {"source", "field", "purpose", "kept"}
        assert r["kept"] == "never" or r["field"] in FIELDS or r["field"] in ("time_utc", "url")
    never = {(r["source"], r["field"]) for r in mine if r["kept"] == "never"}
    assert ("CERT email.csv", "content") in never and ("CERT psychometric.csv", "O") in never
    assert ("mapping syslog-auth", "message") in never
    web = {r["field"]: r["kept"] for r in mine if r["source"] == "CERT http.csv"}
    assert web["url_host"] == "host name only"


def test_demo_step_ingests_the_generated_folder(
    session: Session, home: Path, tmp_path: Path
) -> None:
    session.add(Unit(code="demo", name="Demo", timezone="Europe/Berlin"))
    session.commit()
    ctx = DemoContext(
        home=home,
        users=20,
        days=28,
        seed=1,
        start="2010-01-04",
        console=Console(file=open(tmp_path / "out.txt", "w")),  # noqa: SIM115
        data_dir=write_cert(tmp_path / "gen"),
    )
    (step,) = STEPS
    assert (step.order, step.name) == (35, "ingest the unit's activity logs")
    step.run(ctx)
    ctx.console.file.close()
    assert ctx.facts["ingest"]["accepted"] > 0
    run = session.scalars(select(IngestRun)).one()
    assert run.actor == "demo:setup" and run.status == "complete"
    assert "events from" in (tmp_path / "out.txt").read_text()
