"""Tables of the education domain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from keyguard.db.base import Base, TimestampMixin, UnitScoped
from keyguard.db.types import JSONType, UTCDateTime


class Course(UnitScoped, TimestampMixin, Base):
    """One version of a course or publicity item in a unit; ``content`` is the validated
    document (lessons, question bank) so grading never depends on files on disk."""

    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("unit_id", "urn", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    urn: Mapped[str] = mapped_column(String(300), index=True)
    version: Mapped[int] = mapped_column(Integer)
    slug: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # course | publicity
    locale: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    pass_mark: Mapped[int | None] = mapped_column(Integer)
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    content: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(20), default="current")  # current | archived


class Campaign(UnitScoped, TimestampMixin, Base):
    """A course aimed at an audience (a rule name), due ``due_days`` after a person joins the
    audience, repeated yearly when ``recurrence`` is "yearly"."""

    __tablename__ = "training_campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    course_urn: Mapped[str] = mapped_column(String(300))
    audience: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    due_days: Mapped[int] = mapped_column(Integer, default=30)
    recurrence: Mapped[str] = mapped_column(String(20), default="once")  # once | yearly
    starts_on: Mapped[dt.date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(200), default="")


class TrainingAssignment(UnitScoped, TimestampMixin, Base):
    """One person's item of a campaign for one period ("once" or a year)."""

    __tablename__ = "training_assignment"
    __table_args__ = (UniqueConstraint("campaign_id", "person_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("training_campaign.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    course_urn: Mapped[str] = mapped_column(String(300))
    period: Mapped[str] = mapped_column(String(20))
    assigned_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"))  # version completed
    best_score: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="assigned")  # assigned|passed|failed


class RefresherReason(UnitScoped, Base):
    """Why a refresher was assigned (a closed "no concern" alert); never shown to the person."""

    __tablename__ = "training_refresher_reason"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("training_assignment.id", ondelete="CASCADE"), unique=True
    )
    reason_kind: Mapped[str] = mapped_column(String(40))
    reason_id: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(40))
    closed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    assigned_by: Mapped[str] = mapped_column(String(200))


class QuizAttempt(UnitScoped, Base):
    """One attempt at a course's quiz: the drawn questions (by seed), answers and result."""

    __tablename__ = "quiz_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    course_urn: Mapped[str] = mapped_column(String(300))
    seed: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(10))
    question_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    score: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)


class MaterialRead(UnitScoped, Base):
    """A person opened a publicity item or a course lesson (completion of publicity)."""

    __tablename__ = "training_material_read"
    __table_args__ = (UniqueConstraint("person_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    read_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Certificate(UnitScoped, Base):
    """A certificate for a passed attempt; the PDF is rendered from these fields."""

    __tablename__ = "training_certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    person_name: Mapped[str] = mapped_column(String(300))
    course_title: Mapped[str] = mapped_column(String(300))
    score: Mapped[float] = mapped_column(Float)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    __audit_redact__ = frozenset({"person_name"})
