"""Demo step 70: detection over the demo unit's ingested events."""

from __future__ import annotations

from keyguard.audit.context import Actor, actor_scope
from keyguard.db.session import session_scope
from keyguard.demo.steps import DemoContext, DemoStep
from keyguard.scheduler.lock import job_lock


def step_detect(ctx: DemoContext) -> None:
    """Run a full detection for the demo unit and remember what it found."""
    from keyguard.analytics.run import detect

    with (
        job_lock("demo detect", ctx.home),
        actor_scope(Actor(name="demo:setup")),
        session_scope() as session,
    ):
        result = detect(session, ctx.unit_code, home=ctx.home, full=True)
    ctx.facts["detect"] = {"alerts": result.alerts, "days": result.days, "hits": result.hits}
    ctx.console.print(
        f"      {result.alerts} alerts over {result.days} days ({result.hits} policy hits)"
    )


STEPS = [DemoStep(order=70, name="detect", run=step_detect)]
