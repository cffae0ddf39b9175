"""Declarative base with a naming convention, and the mixins every record uses."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from keyguard.config import utcnow
from keyguard.db.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class UnitScoped:
    """Every record belongs to a unit (an organization)."""

    @declared_attr
    def unit_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("unit.id", ondelete="CASCADE"), index=True)


class Temporal:
    """A fact valid over ``[valid_from, valid_to)`` in the world, known from ``known_from``.

    ``valid_to`` is exclusive and ``None`` means open. A fact may be used for day ``d``
    only when ``known_from <= d`` (no look-ahead).
    """

    valid_from: Mapped[dt.date] = mapped_column(index=True)
    valid_to: Mapped[dt.date | None] = mapped_column(default=None)
    known_from: Mapped[dt.date] = mapped_column(index=True)
