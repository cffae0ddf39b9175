"""Demo step 30: the demo unit, its org tree and people from the generated LDAP files."""

from __future__ import annotations

from sqlalchemy import select

from keyguard.audit.context import Actor, actor_scope
from keyguard.db.session import session_scope
from keyguard.demo.steps import DemoContext, DemoStep
from keyguard.records.org import service as org
from keyguard.records.org.models import Unit

DEMO_UNIT_NAME = "Demo Research Institute"


def step_people(ctx: DemoContext) -> None:
    """Create the demo unit and import the CERT folder the generator wrote (step 20)."""
    if ctx.data_dir is None:
        raise RuntimeError("no generated data folder: the generator step (20) must run first")
    with actor_scope(Actor(name="demo:setup")), session_scope() as session:
        unit = session.scalar(select(Unit).where(Unit.code == ctx.unit_code))
        if unit is None:
            unit = org.create_unit(
                session,
                code=ctx.unit_code,
                name=DEMO_UNIT_NAME,
                timezone=str(ctx.facts.get("timezone", "Europe/Berlin")),
                is_demo=True,
            )
        report = org.import_ldap_folder(session, unit=unit, folder=ctx.data_dir)
    counts = report.counts()
    ctx.facts["people_import"] = counts
    ctx.console.print(
        f"      {counts['people_created']} people from {counts['files']} LDAP months: "
        f"{counts['joiners']} joiners, {counts['movers']} movers, {counts['leavers']} leavers, "
        f"{counts['rejected']} rows rejected"
    )
    for problem in report.problems[:10]:
        ctx.console.print(f"      [yellow]{problem}[/]", highlight=False)


STEPS = [DemoStep(order=30, name="org tree and people from the LDAP files", run=step_people)]
