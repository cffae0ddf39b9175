"""Scheduled jobs of the loophole scanner: the daily scan of every unit, then notices about
overdue findings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from keyguard.controls.notify import notify_all
from keyguard.controls.scan import scan_all
from keyguard.hookspecs import hookimpl
from keyguard.scheduler.lock import job_lock
from keyguard.scheduler.service import Job


def scan_and_notify(session: Session, now: dt.datetime) -> dict[str, Any]:
    """Scan every unit (holding the job lock: never while an ingest or detection runs; a
    locked run fails and is tried again at the next tick), then tell owners (and the level
    above) about overdue findings."""
    with job_lock("loopholes.scan"):
        result: dict[str, Any] = scan_all(session, now)
    result["notices"] = notify_all(session, now)
    return result


@hookimpl
def keyguard_jobs() -> list[Any]:
    return [
        Job(
            name="loopholes.scan",
            every=dt.timedelta(days=1),
            run=scan_and_notify,
            description="Run every loophole check in every unit; notify owners of overdue "
            "findings and escalate long-overdue ones to the level above",
        )
    ]
