"""The cases domain's plugin hooks: the daily jobs (overdue rectification actions escalate;
retention purges and the audit-log seal) and what cases keep, for "What keyguard records"."""

from __future__ import annotations

import datetime as dt
from typing import Any

from keyguard.cases.rectification import escalate_all
from keyguard.cases.retention import purge_all
from keyguard.hookspecs import hookimpl
from keyguard.identity.sessions import N_
from keyguard.scheduler.service import Job


@hookimpl
def keyguard_jobs() -> list[Any]:
    return [
        Job(
            name="rectification.escalate",
            every=dt.timedelta(hours=6),
            run=escalate_all,
            description="Tell owners of overdue rectification actions; escalate long-overdue "
            "ones to the level above or the security office",
        ),
        Job(
            name="retention.purge",
            every=dt.timedelta(days=1),
            run=lambda session, now: purge_all(session, now),
            description="Purge event days, alerts, dismissed alerts and closed cases past "
            "each unit's retention (never cases on legal hold); seal the audit log",
        ),
    ]


@hookimpl
def keyguard_recorded_fields() -> list[dict[str, Any]]:
    return [
        {
            "source": N_("Cases"),
            "field": N_(
                "the alerts or findings a case is about, copies of the events behind them, "
                "notes, files, the outcome and the actions taken"
            ),
            "purpose": N_("to investigate a concern with evidence a person can check"),
            "kept": N_("as the unit's retention for cases says; longer only on legal hold"),
        },
        {
            "source": N_("Re-identification"),
            "field": N_(
                "who asked to see whose identity in a case, why, who approved or refused, "
                "and every time the identity was shown"
            ),
            "purpose": N_(
                "so that nobody sees who is behind a pseudonym without a second "
                "person agreeing, and every look can be checked"
            ),
            "kept": N_("requests with their case; the looks in the audit log"),
        },
    ]
