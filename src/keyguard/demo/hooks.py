"""The foundation's demo steps."""

from __future__ import annotations

from typing import Any

from keyguard.demo.foundation import step_accounts, step_home
from keyguard.demo.steps import DemoStep
from keyguard.hookspecs import hookimpl


@hookimpl
def keyguard_demo_steps() -> list[Any]:
    return [
        DemoStep(order=5, name="home and records database", run=step_home),
        DemoStep(order=40, name="one account per role", run=step_accounts),
    ]
