"""Per-unit settings of the duties domain (``Unit.settings["duties"]``) with their defaults,
and the unit's local day."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from keyguard.config import utcnow
from keyguard.records.org.models import Unit

DEFAULTS: dict[str, Any] = {
    "grace_days": 30,
    "remind_before_days": 7,
    "escalate_after_days": 7,
    "security_after_days": 21,
    "security_office_match": ["security"],
    "security_office_positions": [],
}


@dataclass(frozen=True)
class DutySettings:
    """How duties work in one unit (every value overridable in ``Unit.settings``)."""

    grace_days: int = 30
    remind_before_days: int = 7
    escalate_after_days: int = 7
    security_after_days: int = 21
    #: an org node whose name contains one of these (case-insensitive) is the security office
    security_office_match: tuple[str, ...] = ("security",)
    #: positions (ids) that belong to the security office whatever their node is called
    security_office_positions: tuple[int, ...] = field(default_factory=tuple)


def duty_settings(unit: Unit) -> DutySettings:
    """The unit's duty settings, defaults filled in."""
    raw = {**DEFAULTS, **((unit.settings or {}).get("duties") or {})}
    return DutySettings(
        grace_days=int(raw["grace_days"]),
        remind_before_days=int(raw["remind_before_days"]),
        escalate_after_days=int(raw["escalate_after_days"]),
        security_after_days=int(raw["security_after_days"]),
        security_office_match=tuple(str(s).lower() for s in raw["security_office_match"]),
        security_office_positions=tuple(int(p) for p in raw["security_office_positions"]),
    )


def local_today(unit: Unit, now: dt.datetime | None = None) -> dt.date:
    """The unit's local date at ``now`` (default: the clock, honouring ``KEYGUARD_NOW``)."""
    return (now or utcnow()).astimezone(zoneinfo.ZoneInfo(unit.timezone)).date()
