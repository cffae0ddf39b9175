"""Scheduled job of the education domain: campaign enrolment and training reminders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from keyguard.hookspecs import hookimpl
from keyguard.records.education.campaigns import run_campaigns
from keyguard.scheduler.service import Job


@hookimpl
def keyguard_jobs() -> list[Any]:
    return [
        Job(
            name="training.campaigns",
            every=dt.timedelta(hours=12),
            run=run_campaigns,
            description="Enrol new audience members in training campaigns and remind people "
            "of due and overdue training",
        )
    ]
