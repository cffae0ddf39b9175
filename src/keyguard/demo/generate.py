"""Demo step 20: write the demo organization's logs and records with the generator.

The answers (which people are the planted insiders) go to a folder outside the data folder;
no later step reads them — detection must find the insiders on its own.
"""

from __future__ import annotations

import datetime as dt

from keyguard.demo.steps import DemoContext, DemoStep

TIMEZONE = "Europe/Berlin"


def step_generate(ctx: DemoContext) -> None:
    from keyguard.generator import GeneratorParams, generate

    data = ctx.home / "demo-data" / "cert"
    answers = ctx.home / "demo-data" / "answers"
    params = GeneratorParams(
        users=ctx.users,
        days=ctx.days,
        seed=ctx.seed,
        start=dt.date.fromisoformat(ctx.start),
        tz=TIMEZONE,
    )
    generate(params, data, answers, progress=True, command="keyguard demo")
    ctx.data_dir, ctx.answers_dir = data, answers
    ctx.facts["timezone"] = TIMEZONE


STEPS = [DemoStep(order=20, name="generate the demo organization's logs", run=step_generate)]
