"""Tables of the duties domain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from keyguard.db.base import Base, TimestampMixin, UnitScoped
from keyguard.db.types import JSONType, UTCDateTime


class FrameworkFile(UnitScoped, TimestampMixin, Base):
    """Stage one of a load: the raw library file exactly as given, with its SHA-256."""

    __tablename__ = "duty_framework_file"
    __table_args__ = (UniqueConstraint("unit_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    urn: Mapped[str] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)  # where the file came from
    content: Mapped[str] = mapped_column(Text)
    #: stored -> loaded, or refused (with ``problem``)
    status: Mapped[str] = mapped_column(String(20), default="stored")
    problem: Mapped[str | None] = mapped_column(Text)


class Framework(UnitScoped, TimestampMixin, Base):
    """One version of a duty framework in a unit; older versions are ``archived``."""

    __tablename__ = "duty_framework"
    __table_args__ = (UniqueConstraint("unit_id", "urn", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    urn: Mapped[str] = mapped_column(String(300), index=True)
    version: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(10))
    ref_id: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    provider: Mapped[str] = mapped_column(String(200), default="")
    dependencies: Mapped[list[str]] = mapped_column(JSONType, default=list)
    translations: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    file_id: Mapped[int] = mapped_column(ForeignKey("duty_framework_file.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="current")  # current | archived
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class FrameworkObject(UnitScoped, Base):
    """A section or a duty (``assessable``) of one framework version."""

    __tablename__ = "duty_object"
    __table_args__ = (UniqueConstraint("framework_id", "urn"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(
        ForeignKey("duty_framework.id", ondelete="CASCADE"), index=True
    )
    urn: Mapped[str] = mapped_column(String(300), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("duty_object.id"))
    depth: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)  # parent-first order in the file
    ref_id: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    assessable: Mapped[bool] = mapped_column(Boolean)
    level: Mapped[str | None] = mapped_column(String(30))
    frequency: Mapped[str | None] = mapped_column(String(20))
    evidence: Mapped[list[str]] = mapped_column(JSONType, default=list)
    references: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    translations: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | deprecated
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class DutyAssignment(UnitScoped, TimestampMixin, Base):
    """A duty carried by a position over ``[valid_from, valid_to)``; people carry the duties
    of the position they hold."""

    __tablename__ = "duty_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    duty_id: Mapped[int] = mapped_column(ForeignKey("duty_object.id"), index=True)
    duty_urn: Mapped[str] = mapped_column(String(300), index=True)
    position_id: Mapped[int] = mapped_column(
        ForeignKey("position.id", ondelete="CASCADE"), index=True
    )
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(40), default="level")


class ResponsibilityStatement(UnitScoped, Base):
    """A person's signed acceptance of the duties of their position: exact text and hash."""

    __tablename__ = "duty_statement"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    position_id: Mapped[int | None] = mapped_column(ForeignKey("position.id", ondelete="SET NULL"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    locale: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[int] = mapped_column(Integer)
    duty_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    duty_urns: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: framework urn -> version at signing
    framework_versions: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)


class Attestation(UnitScoped, Base):
    """A person's periodic attestation that they carried out one duty in one period."""

    __tablename__ = "duty_attestation"
    __table_args__ = (UniqueConstraint("person_id", "duty_urn", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    position_id: Mapped[int | None] = mapped_column(ForeignKey("position.id", ondelete="SET NULL"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    duty_id: Mapped[int] = mapped_column(ForeignKey("duty_object.id"), index=True)
    duty_urn: Mapped[str] = mapped_column(String(300))
    framework_urn: Mapped[str] = mapped_column(String(300))
    framework_version: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(20))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    locale: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    evidence_note: Mapped[str] = mapped_column(Text, default="")


class ComplianceSnapshot(UnitScoped, Base):
    """The compliance score of a unit (``scope`` "unit") or department ("dept:<id>") on a day,
    with the terms it was computed from."""

    __tablename__ = "compliance_snapshot"
    __table_args__ = (UniqueConstraint("unit_id", "scope", "day"),)
    __audit__ = False  # derived from audited records; recomputed by a job

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("org_node.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    score: Mapped[float] = mapped_column(Float)
    terms: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
