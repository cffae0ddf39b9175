"""Tables of the org domain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from keyguard.db.base import Base, Temporal, TimestampMixin, UnitScoped
from keyguard.db.types import JSONType

DEFAULT_LEVELS = ["internal", "confidential", "secret", "top secret"]

#: Kinds of org-tree nodes from the top down (CERT: business_unit, functional_unit,
#: department, team). A plain import may use any subset.
NODE_KINDS = ("business_unit", "functional_unit", "department", "team")

EMPLOYMENT_STATUSES = ("active", "notice", "left", "suspended")

#: Levels at which duties and positions sit.
POSITION_LEVELS = ("leadership", "security_office", "department", "team", "individual")


class SupervisingBody(TimestampMixin, Base):
    """A body that oversees several units (sees aggregates only)."""

    __tablename__ = "supervising_body"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Unit(TimestampMixin, Base):
    """An organization (a key unit): one CERT folder is one unit."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    supervising_body_id: Mapped[int | None] = mapped_column(
        ForeignKey("supervising_body.id", ondelete="SET NULL"), index=True
    )
    #: Working calendar: ISO weekdays (1=Mon) that are working days, and working hours.
    work_days: Mapped[list[int]] = mapped_column(JSONType, default=lambda: [1, 2, 3, 4, 5])
    work_start: Mapped[str] = mapped_column(String(5), default="08:00")
    work_end: Mapped[str] = mapped_column(String(5), default="18:00")
    #: The organization's own e-mail domains; empty = derived from people's addresses.
    email_domains: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Ordered classification levels, lowest first.
    classification_levels: Mapped[list[str]] = mapped_column(
        JSONType, default=lambda: list(DEFAULT_LEVELS)
    )
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    holidays: Mapped[list[Holiday]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="Holiday.day"
    )


class Holiday(UnitScoped, Base):
    __tablename__ = "holiday"
    __table_args__ = (UniqueConstraint("unit_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[Unit] = relationship(back_populates="holidays")


class OrgNode(UnitScoped, TimestampMixin, Base):
    """A node of the unit's tree: business unit, functional unit, department or team."""

    __tablename__ = "org_node"
    __table_args__ = (UniqueConstraint("unit_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    #: Names from the top joined by " / ", unique within the unit.
    path: Mapped[str] = mapped_column(String(800))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_node.id"), index=True)
    known_from: Mapped[dt.date | None] = mapped_column(Date)
    retired_from: Mapped[dt.date | None] = mapped_column(Date)


class Position(UnitScoped, TimestampMixin, Base):
    """A position in the tree (e.g. "head of Research", "engineer in Team 3")."""

    __tablename__ = "position"
    __table_args__ = (UniqueConstraint("unit_id", "org_node_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(30), default="individual")
    org_node_id: Mapped[int | None] = mapped_column(ForeignKey("org_node.id"), index=True)
    reports_to_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"))


class Person(UnitScoped, TimestampMixin, Base):
    """A member of staff. The current facts are mirrored here; their history (with the day
    keyguard learned each fact) is in :class:`PersonVersion`."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("unit_id", "staff_id"),)
    __audit_redact__ = frozenset({"full_name", "email", "personal_emails"})

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(100))
    pseudonym: Mapped[str] = mapped_column(String(40), index=True)
    full_name: Mapped[str] = mapped_column(String(300))  # NFC-normalised
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    job_title: Mapped[str | None] = mapped_column(String(200))
    projects: Mapped[list[str]] = mapped_column(JSONType, default=list)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("org_node.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("org_node.id"), index=True)
    position_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    notice_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="active")
    personal_emails: Mapped[list[str]] = mapped_column(JSONType, default=list)

    versions: Mapped[list[PersonVersion]] = relationship(
        back_populates="person",
        cascade="all, delete-orphan",
        order_by="PersonVersion.valid_from",
        foreign_keys="PersonVersion.person_id",
    )


class PersonVersion(UnitScoped, Temporal, Base):
    """One version of a person's facts, valid over [valid_from, valid_to), known from
    ``known_from``. Imports close the open version and add a new one when a fact changes."""

    __tablename__ = "person_version"
    __audit_redact__ = frozenset({"full_name", "email"})

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    full_name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))
    job_title: Mapped[str | None] = mapped_column(String(200))
    projects: Mapped[list[str]] = mapped_column(JSONType, default=list)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("org_node.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("org_node.id"))
    position_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    status: Mapped[str] = mapped_column(String(20), default="active")
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    notice_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")

    person: Mapped[Person] = relationship(back_populates="versions", foreign_keys=[person_id])


class ImportRun(UnitScoped, TimestampMixin, Base):
    """One import of records (LDAP folder, people CSV/YAML, register, grants, hosts)."""

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(200))
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    problems: Mapped[list[str]] = mapped_column(JSONType, default=list)
