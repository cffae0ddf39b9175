"""Tables of the cases domain: cases, what they are about (alerts, findings), the events
copied into them, notes and files, their timeline of actions, and rectification actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from keyguard.db.base import Base, TimestampMixin, UnitScoped
from keyguard.db.types import JSONType, UTCDateTime

CASE_STATUSES = ("open", "investigating", "closed")
OUTCOMES = ("no_concern", "policy_violation", "referred", "closed")
#: Outcomes that confirm a concern about the person (a risk booster for the analytics).
CONFIRMING = ("policy_violation", "referred")
SUBJECT_KINDS = ("alert", "finding")
ACTION_STATUSES = ("open", "done", "cancelled")


class Case(UnitScoped, TimestampMixin, Base):
    """An investigation of one person (pseudonymous until re-identified)."""

    __tablename__ = "case_file"
    __table_args__ = (UniqueConstraint("unit_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``C-<n>``, counted per unit.
    number: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    #: The user as compared with staff ids (subjects that are no known person).
    user_key: Mapped[str | None] = mapped_column(String(200))
    subject_pseudonym: Mapped[str] = mapped_column(String(40))
    assigned_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), index=True
    )
    opened_by: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: The unit's local day the outcome was decided (no look-ahead for boosters).
    decided_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(200))
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_hold_reason: Mapped[str] = mapped_column(Text, default="")
    legal_hold_by: Mapped[str | None] = mapped_column(String(200))
    legal_hold_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class CaseSubject(UnitScoped, Base):
    """An alert or a finding the case is about, with a snapshot taken when linked (so a
    purge of the alert leaves the case readable)."""

    __tablename__ = "case_subject"
    __table_args__ = (UniqueConstraint("case_id", "kind", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    ref: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(300))
    #: Pseudonymous facts of the subject when linked (policy, score, days, indicators ...).
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    linked_by: Mapped[str] = mapped_column(String(200))


class CaseEvent(UnitScoped, Base):
    """An event copied from the event store into the case with every column of the event
    schema (provenance included), so no purge of the store can break the case."""

    __tablename__ = "case_event"
    __table_args__ = (UniqueConstraint("case_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    # -- the event schema (keyguard.events.schema.EVENT_SCHEMA), column for column --------
    event_id: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))
    time_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    local_date: Mapped[dt.date] = mapped_column(Date)
    local_hour: Mapped[int | None] = mapped_column(SmallInteger)
    source_user: Mapped[str | None] = mapped_column(String(200))
    user_known: Mapped[bool | None] = mapped_column(Boolean)
    host: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))
    class_uid: Mapped[int | None] = mapped_column(Integer)
    activity: Mapped[str] = mapped_column(String(40))
    object: Mapped[str | None] = mapped_column(Text)
    url_host: Mapped[str | None] = mapped_column(String(300))
    site_category: Mapped[str | None] = mapped_column(String(60))
    size: Mapped[int | None] = mapped_column(BigInteger)
    to_removable: Mapped[bool | None] = mapped_column(Boolean)
    from_removable: Mapped[bool | None] = mapped_column(Boolean)
    sender: Mapped[str | None] = mapped_column(String(320))
    recipients: Mapped[list[str] | None] = mapped_column(JSONType)
    recipients_outside: Mapped[int | None] = mapped_column(SmallInteger)
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    attachment_count: Mapped[int | None] = mapped_column(SmallInteger)
    source_file: Mapped[str | None] = mapped_column(Text)
    source_line: Mapped[int | None] = mapped_column(BigInteger)
    adapter: Mapped[str | None] = mapped_column(String(100))
    ingest_run: Mapped[str | None] = mapped_column(String(64))
    # -- where and when it was copied ------------------------------------------------------
    store_file: Mapped[str | None] = mapped_column(Text)
    attached_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    attached_by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")


class CaseEvidence(UnitScoped, Base):
    """A note or a file added to a case (files live under ``<home>/cases``, by hash)."""

    __tablename__ = "case_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # note | file
    text: Mapped[str] = mapped_column(Text, default="")
    file_name: Mapped[str | None] = mapped_column(String(300))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))


class CaseAction(UnitScoped, Base):
    """One step in a case's life (opened, linked, assigned, status, evidence, outcome...)."""

    __tablename__ = "case_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    summary: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class RectificationAction(UnitScoped, TimestampMixin, Base):
    """Something to put right (a loophole to close, a control to add), with an owner, a
    deadline and evidence of completion."""

    __tablename__ = "rectification_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_file.id", ondelete="SET NULL"), index=True
    )
    finding_id: Mapped[str | None] = mapped_column(
        ForeignKey("control_finding.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    created_by: Mapped[str] = mapped_column(String(200))
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The unit's local day of completion (for "done on time").
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    completed_by: Mapped[str | None] = mapped_column(String(200))
    completion_evidence: Mapped[str] = mapped_column(Text, default="")
