"""Tables of the scheduler: job runs and notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from keyguard.db.base import Base
from keyguard.db.types import JSONType, UTCDateTime


class JobRun(Base):
    """One run of a scheduled job (its last success decides when it is next due)."""

    __tablename__ = "job_run"
    __audit__ = False  # job runs are audited as one explicit entry each

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="running")  # ok | failed
    result: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class Notification(Base):
    """A message to an account (in-app) and, if an address is known, by e-mail."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("unit.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    #: Prevents the same reminder twice (e.g. "duty:12:2026-11-30").
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    email_to: Mapped[str | None] = mapped_column(String(320))
    emailed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    email_error: Mapped[str | None] = mapped_column(Text)
