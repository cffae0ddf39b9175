"""Demo step 50 on files the generator wrote: every register, grant and host row is
imported, clearances come from the grants, and the pages have a review and a report."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select

from keyguard.db.session import session_scope
from keyguard.demo import foundation, people
from keyguard.demo import register as demo_register
from keyguard.demo.steps import DemoContext
from keyguard.generator import GeneratorParams, generate
from keyguard.records.personnel.models import Clearance, ReportableEvent
from keyguard.records.register.models import Grant, Host, Item, ReviewCampaign


def _rows(path: Path) -> int:
    with path.open(encoding="utf-8") as fh:
        return sum(1 for _ in csv.DictReader(fh))


@pytest.mark.slow
def test_demo_register_step(home: Path, tmp_path: Path) -> None:
    out, answers = tmp_path / "cert", tmp_path / "answers"
    generate(GeneratorParams(users=30, days=28, seed=5, start=dt.date(2026, 6, 1)), out, answers)
    ctx = DemoContext(
        home=home,
        users=30,
        days=28,
        seed=5,
        start="2026-06-01",
        console=Console(file=io.StringIO()),
    )
    ctx.data_dir = out
    steps = sorted(
        [*foundation.STEPS, *people.STEPS, *demo_register.STEPS], key=lambda st: st.order
    )
    assert [st.order for st in steps] == [5, 30, 40, 50]  # home, people, accounts, register
    for step in steps:
        step.run(ctx)
    with session_scope() as s:
        assert s.scalar(select(func.count(Item.id))) == _rows(out / "register.csv")
        grants = s.scalar(select(func.count(Grant.id)))
        assert grants == _rows(out / "grants.csv")  # no row refused
        assert s.scalar(select(func.count(Host.id))) == _rows(out / "hosts.csv")
        assert s.scalar(select(func.count(Clearance.id))) == ctx.facts["clearances"] > 0
        assert s.scalar(select(func.count(ReportableEvent.id))) == 1
        assert s.scalar(select(func.count(ReviewCampaign.id))) == 1
