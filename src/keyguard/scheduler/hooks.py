"""The scheduler's own jobs."""

from __future__ import annotations

from typing import Any

from keyguard.hookspecs import hookimpl
from keyguard.scheduler.service import email_job


@hookimpl
def keyguard_jobs() -> list[Any]:
    return [email_job()]
