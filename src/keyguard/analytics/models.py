"""Tables of the analytics domain: detection runs, alerts (episodes of one person and one
policy), their triage history, and daily risk scores."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from keyguard.db.base import Base, TimestampMixin, UnitScoped
from keyguard.db.types import JSONType, UTCDateTime

TRIAGE_STATES = ("new", "under_review", "dismissed", "confirmed")


class AnalyticsRun(UnitScoped, Base):
    """One detection run (full or incremental) and what it computed."""

    __tablename__ = "analytics_run"
    __audit__ = False  # each run is audited as one explicit entry

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    mode: Mapped[str] = mapped_column(String(20))  # full | incremental | none
    first_day: Mapped[dt.date | None] = mapped_column(Date)
    last_day: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="running")
    actor: Mapped[str] = mapped_column(String(200), default="")
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    policies: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    notes: Mapped[list[str]] = mapped_column(JSONType, default=list)


class Alert(UnitScoped, TimestampMixin, Base):
    """An episode of one person and one policy: hits up to ``episode_gap_days`` apart.

    ``id`` is a hash of (unit, person, policy, first day fired), so re-detection finds the
    same alert and its triage survives."""

    __tablename__ = "alert"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_key: Mapped[str] = mapped_column(String(200), index=True)
    source_user: Mapped[str] = mapped_column(String(200))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    policy_id: Mapped[str] = mapped_column(String(36), index=True)
    policy_title: Mapped[str] = mapped_column(String(200))
    policy_version: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(20))
    first_day: Mapped[dt.date] = mapped_column(Date)  # first day of activity covered
    fired_day: Mapped[dt.date] = mapped_column(Date, index=True)  # first day it fired
    last_day: Mapped[dt.date] = mapped_column(Date)
    score: Mapped[float] = mapped_column(Float)
    indicators: Mapped[list[str]] = mapped_column(JSONType, default=list)
    fired_days: Mapped[list[str]] = mapped_column(JSONType, default=list)
    notes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_by: Mapped[str | None] = mapped_column(String(200))
    status_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    run_id: Mapped[int | None] = mapped_column(ForeignKey("analytics_run.id", ondelete="SET NULL"))


class AlertTriage(UnitScoped, Base):
    """One change of an alert's triage state."""

    __tablename__ = "alert_triage"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)


class RiskDay(Base):
    """A person's risk on one local day (days with activity and a non-zero score)."""

    __tablename__ = "risk_day"
    __audit__ = False  # derived from the events by each run; runs are audited

    unit_id: Mapped[int] = mapped_column(
        ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True
    )
    user_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True, index=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    score: Mapped[float] = mapped_column(Float)
    raw: Mapped[float] = mapped_column(Float)  # decayed contributions before boosters
    boost: Mapped[float] = mapped_column(Float, default=1.0)
    top_indicators: Mapped[list[str]] = mapped_column(JSONType, default=list)
