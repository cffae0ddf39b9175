"""Tables of the ingest domain: one row per ingest run and one per file it read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from keyguard.db.base import Base, UnitScoped
from keyguard.db.types import JSONType, UTCDateTime

RUN_STATUSES = ("running", "complete", "failed", "interrupted")


class IngestRun(UnitScoped, Base):
    """One ingest run: who, when, from where, with which options, and how it ended."""

    __tablename__ = "ingest_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Written into every event's ``ingest_run`` column and names the rejects file.
    uid: Mapped[str] = mapped_column(String(40), unique=True)
    adapter: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    source_timezone: Mapped[str] = mapped_column(String(64))
    keep_from: Mapped[dt.date | None] = mapped_column(Date, default=None)
    #: Sums over the files: read, accepted, duplicate, rejected, skipped, outside_retention.
    totals: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: Things a person should know (LDAP import result, ignored files, mapping used).
    notes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    error: Mapped[str | None] = mapped_column(Text, default=None)

    files: Mapped[list[IngestFile]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="IngestFile.id"
    )


class IngestFile(UnitScoped, Base):
    """One file of a run with its SHA-256 and row counts.

    ``read = accepted + duplicate + rejected + skipped + outside_retention``, always.
    """

    __tablename__ = "ingest_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("ingest_run.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(40))
    variant: Mapped[str] = mapped_column(String(40), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    read: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    accepted: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    duplicate: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    rejected: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    skipped: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    outside_retention: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), default=0
    )

    run: Mapped[IngestRun] = relationship(back_populates="files")
