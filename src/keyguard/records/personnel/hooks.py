"""Scheduled job of personnel security: joiner/mover/leaver tasks from new person versions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from keyguard.hookspecs import hookimpl
from keyguard.records.org.service import list_units
from keyguard.scheduler.service import Job


def _jml(session: Session, now: dt.datetime) -> dict[str, Any]:
    from keyguard.records.personnel.jml import create_tasks

    return {unit.code: create_tasks(session, unit=unit) for unit in list_units(session)}


@hookimpl
def keyguard_jobs() -> list[Any]:
    return [
        Job(
            "personnel.jml",
            dt.timedelta(hours=1),
            _jml,
            "Create joiner/mover/leaver tasks (grants to revoke) from new person versions",
        ),
    ]
