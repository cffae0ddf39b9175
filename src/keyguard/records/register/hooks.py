"""Scheduled jobs of the register: access-review escalation and host inference."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from keyguard.hookspecs import hookimpl
from keyguard.records.org.service import list_units
from keyguard.scheduler.service import Job


def _reviews(session: Session, now: dt.datetime) -> dict[str, Any]:
    from keyguard.records.register.reviews import escalate

    return escalate(session, now)


def _hosts(session: Session, now: dt.datetime) -> dict[str, Any]:
    from keyguard.records.register.hosts import infer_hosts

    out: dict[str, Any] = {}
    for unit in list_units(session):
        out[unit.code] = infer_hosts(session, unit=unit)["inferred"]
    return out


@hookimpl
def keyguard_jobs() -> list[Any]:
    return [
        Job(
            "register.access_reviews",
            dt.timedelta(days=1),
            _reviews,
            "Escalate access reviews not done by their due date",
        ),
        Job(
            "register.hosts",
            dt.timedelta(days=1),
            _hosts,
            "Infer each host's main user from logons (hosts not in hosts.csv)",
        ),
    ]
