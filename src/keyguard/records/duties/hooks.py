"""Scheduled jobs of the duties domain: reminders and escalation of overdue items, and the
daily compliance-score snapshots."""

from __future__ import annotations

import datetime as dt
from typing import Any

from keyguard.hookspecs import hookimpl
from keyguard.records.duties.escalation import escalate_all
from keyguard.records.duties.score import snapshot_all
from keyguard.scheduler.service import Job


@hookimpl
def keyguard_jobs() -> list[Any]:
    return [
        Job(
            name="duties.escalate",
            every=dt.timedelta(hours=1),
            run=escalate_all,
            description="Remind people of due duty items; escalate overdue ones to the "
            "position above, then to the security office",
        ),
        Job(
            name="compliance.snapshot",
            every=dt.timedelta(hours=6),
            run=snapshot_all,
            description="Store today's compliance score of every unit and department",
        ),
    ]
