"""Tables of the personnel-security domain: clearances, reportable events filed by
employees, and joiner/mover/leaver tasks with the grants each lists for revocation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from keyguard.db.base import Base, Temporal, TimestampMixin, UnitScoped
from keyguard.db.types import UTCDateTime

REPORT_KINDS = {
    "foreign_travel": "Foreign travel",
    "foreign_contact": "Contact with a foreign national or a foreign organization's representative",
    "unexplained_income": "Unexplained income or gift",
    "approach": "Approach by someone seeking information",
}
REPORT_OUTCOMES = {
    "no_concern": "No concern",
    "advice_given": "Advice given",
    "follow_up": "Follow-up with the person",
    "referred": "Referred for investigation",
}
JML_KINDS = ("joiner", "mover", "leaver")
#: Steps of a JML task other than a grant revocation, and what ends each.
JML_STEP_KINDS = {
    "training": "Enrol in the training for new staff",
    "statement": "Sign the responsibility statement of the position",
    "request_grant": "Request the access the position needs",
    "account": "Disable the keyguard account",
}


class Clearance(UnitScoped, Temporal, TimestampMixin, Base):
    """A security clearance at a level, valid from ``granted_on`` until ``expires_on``
    (``valid_from``/``valid_to``), recorded (known) from ``known_from``."""

    __tablename__ = "clearance"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(60))
    granted_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    vetting_started_on: Mapped[dt.date | None] = mapped_column(Date)
    vetting_completed_on: Mapped[dt.date | None] = mapped_column(Date)
    next_vetting_due: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | withdrawn
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(200), default="")


class ReportableEvent(UnitScoped, TimestampMixin, Base):
    """Something an employee reports about themselves (travel, contacts, income, approaches)
    and the security officer's review. Never an input of any risk score."""

    __tablename__ = "reportable_event"
    __audit_redact__ = frozenset({"details", "counterpart", "review_note"})

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    until_on: Mapped[dt.date | None] = mapped_column(Date)
    country: Mapped[str | None] = mapped_column(String(100))
    counterpart: Mapped[str | None] = mapped_column(String(300))
    details: Mapped[str] = mapped_column(Text, default="")
    filed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    filed_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(20), default="filed")  # filed | reviewed
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL")
    )
    outcome: Mapped[str | None] = mapped_column(String(30))
    review_note: Mapped[str] = mapped_column(Text, default="")


class JmlTask(UnitScoped, TimestampMixin, Base):
    """A joiner, mover or leaver step derived from a change of a person's facts; done when
    every listed grant has been revoked or deliberately kept."""

    __tablename__ = "jml_task"
    __table_args__ = (UniqueConstraint("trigger_version_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    trigger_version_id: Mapped[int] = mapped_column(
        ForeignKey("person_version.id", ondelete="CASCADE"), index=True
    )
    effective_on: Mapped[dt.date] = mapped_column(Date)
    known_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)  # open | done
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    steps: Mapped[list[JmlGrantStep]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="JmlGrantStep.id"
    )
    actions: Mapped[list[JmlStep]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="JmlStep.id"
    )


class JmlGrantStep(UnitScoped, Base):
    """One grant a JML task lists for revocation, and what was done about it."""

    __tablename__ = "jml_grant_step"
    __table_args__ = (UniqueConstraint("task_id", "grant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("jml_task.id", ondelete="CASCADE"), index=True)
    grant_id: Mapped[int] = mapped_column(
        ForeignKey("access_grant.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str | None] = mapped_column(String(10))  # revoked | kept
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    done_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")

    task: Mapped[JmlTask] = relationship(back_populates="steps")


class JmlStep(UnitScoped, Base):
    """One step of a JML task that is not a grant revocation: a joiner's training enrolment,
    responsibility statement and access requests; a leaver's keyguard accounts. ``subject``
    names what it is about (``account:<id>``, ``item:<id>``, ``compartment:<name>``,
    ``level:<name>``, or ``person`` for training and statement); ``outcome`` is set when
    done (``done``, ``disabled``, ``not_needed`` or ``kept`` with a note)."""

    __tablename__ = "jml_step"
    __table_args__ = (UniqueConstraint("task_id", "kind", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("jml_task.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300))
    label: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str | None] = mapped_column(String(20))
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    done_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")

    task: Mapped[JmlTask] = relationship(back_populates="actions")
