"""Demo step 50: the register, grants and hosts the generator wrote beside its CERT files,
clearances derived from the grants, one access review, JML tasks and a travel report."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from keyguard.audit.context import Actor, actor_scope
from keyguard.db.session import session_scope
from keyguard.demo.steps import DemoContext, DemoStep
from keyguard.identity.models import Account
from keyguard.records.org.models import Person
from keyguard.records.org.service import get_unit
from keyguard.records.personnel.jml import create_tasks
from keyguard.records.personnel.service import file_report, record_clearance
from keyguard.records.register.common import level_rank, local_today
from keyguard.records.register.grants import grant_table
from keyguard.records.register.hosts import import_hosts
from keyguard.records.register.imports import ImportReport, import_grants, import_register
from keyguard.records.register.models import Item
from keyguard.records.register.reviews import start_campaign


def _say(ctx: DemoContext, report: ImportReport) -> None:
    c = report.counts()
    ctx.console.print(
        f"      {report.kind}: {c['created']} created, {c['rejected']} rejected, "
        f"{len(report.warnings)} warnings"
    )
    for problem in report.problems[:5]:
        ctx.console.print(f"      [yellow]{problem}[/]", highlight=False)


def step_register(ctx: DemoContext) -> None:
    """Import register.csv, grants.csv and hosts.csv for the demo unit, then add clearances
    for the people whose grants reach secret or above, start an access review, create the
    JML tasks and file one travel report as the demo employee."""
    if ctx.data_dir is None:
        raise RuntimeError("no generated data folder: the generator step (20) must run first")
    first_day = dt.date.fromisoformat(ctx.start)
    with actor_scope(Actor(name="demo:setup")), session_scope() as session:
        unit = get_unit(session, ctx.unit_code)
        reports = [
            import_register(session, unit=unit, path=ctx.data_dir / "register.csv"),
            import_grants(
                session, unit=unit, path=ctx.data_dir / "grants.csv", today=local_today(unit)
            ),
            # the inventory describes the machines as they were when the logs begin
            import_hosts(session, unit=unit, path=ctx.data_dir / "hosts.csv", known_from=first_day),
        ]
        for report in reports:
            _say(ctx, report)
        levels = list(unit.classification_levels)
        secret = level_rank(unit, "secret") if "secret" in levels else max(len(levels) - 2, 0)
        best: dict[int, int] = {}
        ranks = {lv: i for i, lv in enumerate(levels)}
        item_level = dict(
            session.execute(select(Item.id, Item.level).where(Item.unit_id == unit.id)).all()
        )
        for row in grant_table(session, unit.id).to_pylist():
            rank = ranks.get(item_level.get(row["item_id"], ""), -1)
            if rank >= secret and row["person_id"] is not None:
                best[row["person_id"]] = max(best.get(row["person_id"], -1), rank)
        for person_id, rank in sorted(best.items()):
            person = session.get(Person, person_id)
            assert person is not None
            record_clearance(
                session,
                person=person,
                level=levels[rank],
                granted_on=first_day - dt.timedelta(days=700),
                expires_on=first_day + dt.timedelta(days=1100 + person_id % 400),
                vetting_started_on=first_day - dt.timedelta(days=800),
                vetting_completed_on=first_day - dt.timedelta(days=720),
                next_vetting_due=first_day + dt.timedelta(days=1000 + person_id % 400),
                known_from=first_day - dt.timedelta(days=700),
            )
        today = local_today(unit)
        start_campaign(
            session, unit=unit, name="Demo access review", due_on=today + dt.timedelta(days=14)
        )
        jml = create_tasks(session, unit=unit)
        employee = session.scalar(
            select(Account).where(
                Account.email == ctx.accounts.get("employee", {}).get("email", "")
            )
        )
        if employee is not None and employee.person_id is not None:
            file_report(
                session,
                account=employee,
                kind="foreign_travel",
                occurred_on=today + dt.timedelta(days=20),
                until_on=today + dt.timedelta(days=24),
                country="Freedonia",
                details="Conference on materials science; presenting a public paper.",
            )
    ctx.facts["clearances"] = len(best)
    ctx.console.print(
        f"      {len(best)} clearances, JML tasks {jml}, one access review, one travel report"
    )


STEPS = [DemoStep(order=50, name="register, grants and hosts", run=step_register)]
