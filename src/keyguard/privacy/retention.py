"""Retention rules per kind of data, read from a unit's settings and checked on load.

Kinds: ``raw_events`` (the Parquet event store), ``alerts``, ``dismissed_alerts``, ``cases``
and ``audit_log``. Raw events must be kept at least as long as the longest detector window
plus the baseline period, or detection would silently lose its history: the caller (who
knows the detectors) passes that minimum and a shorter setting is refused with a named
error. Each domain purges its own data with the cut-off from :func:`cutoff`; cases on
legal hold are never purged (enforced by the cases domain).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field, ValidationError, model_validator

from keyguard.errors import ConfigError

KINDS = ("raw_events", "alerts", "dismissed_alerts", "cases", "audit_log")


class RetentionPolicy(BaseModel):
    """Days to keep each kind of data (``None``: keep for ever).

    Raw events have no default period: how long a unit keeps its activity logs is the
    unit's decision (``keyguard retention set --raw-events N``, or the retention page).
    Until it is made, an ingest stores every day it is given — a historical export loads
    as it is — and the purge job leaves the event store alone; the retention page says that
    no period is set."""

    raw_events: int | None = Field(default=None, ge=1)
    alerts: int = Field(default=1095, ge=1)
    dismissed_alerts: int = Field(default=180, ge=1)
    cases: int | None = Field(default=None, ge=1)
    audit_log: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _dismissed_not_longer(self) -> RetentionPolicy:
        if self.dismissed_alerts > self.alerts:
            raise ValueError("dismissed alerts cannot be kept longer than alerts")
        return self


def load_retention(
    unit_settings: dict[str, Any] | None, *, min_raw_event_days: int = 0, source: str = "unit"
) -> RetentionPolicy:
    """The retention policy of a unit (``settings["retention"]``), checked against the
    minimum the detectors need."""
    raw = (unit_settings or {}).get("retention") or {}
    try:
        policy = RetentionPolicy.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "retention"
        raise ConfigError(f"{source}: retention.{where}: {first['msg']}") from exc
    if policy.raw_events is not None and policy.raw_events < min_raw_event_days:
        raise ConfigError(
            f"{source}: retention.raw_events is {policy.raw_events} days but the detectors need "
            f"{min_raw_event_days} (longest window plus baseline period)"
        )
    return policy


def cutoff(policy: RetentionPolicy, kind: str, today: dt.date) -> dt.date | None:
    """The first day still kept for ``kind`` (older data is purged); ``None``: keep all."""
    if kind not in KINDS:
        raise KeyError(kind)
    days: int | None = getattr(policy, kind)
    return None if days is None else today - dt.timedelta(days=days)
