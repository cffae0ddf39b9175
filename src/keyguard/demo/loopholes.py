"""Demo step 80: run every loophole check over the demo unit and print what they found."""

from __future__ import annotations

from sqlalchemy import select

from keyguard.audit.context import Actor, actor_scope
from keyguard.controls import service
from keyguard.db.session import session_scope
from keyguard.demo.steps import DemoContext, DemoStep
from keyguard.records.org.models import Unit


def step_loopholes(ctx: DemoContext) -> None:
    """Scan the demo unit; summarise findings per check and the checks that do not apply."""
    with actor_scope(Actor(name="demo:setup")), session_scope() as session:
        unit = session.scalar(select(Unit).where(Unit.code == ctx.unit_code))
        if unit is None:
            raise RuntimeError(f"no unit {ctx.unit_code!r}: the people step (30) must run first")
        result = service.scan_unit(session, unit=unit)
        counts = result.counts
        per_check = {o.check.id: o for o in result.outcomes}
    ctx.facts["loopholes"] = {
        "run": result.run.id,
        "open": counts["open"],
        "by_check": {k: o.open for k, o in per_check.items() if o.state == "ran" and o.open},
    }
    ctx.console.print(
        f"      {counts['open']} open finding(s) from {counts['ran']} checks "
        f"({counts['not_applicable']} not applicable, {counts['failed']} failed)"
    )
    for check_id, o in sorted(per_check.items()):
        if o.state == "ran" and o.open:
            ctx.console.print(f"      {o.open:>4}  {check_id}", highlight=False)
        elif o.state != "ran":
            ctx.console.print(f"         -  {check_id}: {o.reason or o.error}", highlight=False)


STEPS = [DemoStep(order=80, name="loophole scan", run=step_loopholes)]
