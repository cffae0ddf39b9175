"""Demo step 35: the unit's activity logs (the CERT folder the generator wrote at step 20)
into the event store."""

from __future__ import annotations

from keyguard.audit.context import Actor, actor_scope
from keyguard.db.session import session_scope
from keyguard.demo.steps import DemoContext, DemoStep
from keyguard.ingest.service import ingest_cert


def step_ingest(ctx: DemoContext) -> None:
    if ctx.data_dir is None:
        raise RuntimeError("no generated data folder: the generator step (20) must run first")
    with actor_scope(Actor(name="demo:setup")), session_scope() as session:
        result = ingest_cert(
            session, folder=ctx.data_dir, unit_code=ctx.unit_code, import_ldap=False, home=ctx.home
        )
    totals = result.totals
    ctx.facts["ingest"] = {"run": result.run_uid, **totals}
    ctx.console.print(
        f"      {totals['accepted']:,} events from {len(result.files)} files: "
        f"{totals['rejected']:,} rows rejected, {totals['duplicate']:,} duplicates, "
        f"{totals['skipped']:,} skipped by policy (run {result.run_uid})"
    )
    for note in result.notes:
        ctx.console.print(f"      note: {note}", highlight=False)


STEPS = [DemoStep(order=35, name="ingest the unit's activity logs", run=step_ingest)]
