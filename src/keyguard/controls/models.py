"""Tables of the loophole scanner: scan runs, findings and each finding's history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from keyguard.db.base import Base, UnitScoped
from keyguard.db.types import JSONType, UTCDateTime

SEVERITIES = ("critical", "high", "medium", "low")
FINDING_STATUSES = ("open", "closed")
#: How a closed finding was closed: ``resolved`` by a scan (the condition is gone),
#: ``fixed`` by a person (reopens if the condition is still there at the next scan),
#: ``accepted`` by a person as a risk until ``accepted_until`` (not reopened before).
RESOLUTIONS = ("resolved", "fixed", "accepted")


class ControlRun(UnitScoped, Base):
    """One scan of a unit: when, as of which day, what each check found."""

    __tablename__ = "control_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The unit's local day the records were read as of.
    as_of: Mapped[dt.date] = mapped_column(Date)
    #: The last day of events in the store used by event checks (``None``: no events).
    horizon: Mapped[dt.date | None] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="running")  # ok | failed
    #: check id -> {"state": ran|not_applicable|disabled|failed, "hits", "new", ...}
    checks: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Finding(UnitScoped, Base):
    """A loophole found by a check for one subject. ``id`` is a hash of (unit, check id,
    subject key), so the same loophole keeps its identity across scans."""

    __tablename__ = "control_finding"
    __table_args__ = (UniqueConstraint("unit_id", "check_id", "subject_key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    check_id: Mapped[str] = mapped_column(String(100), index=True)
    check_title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(10), index=True)
    subject_key: Mapped[str] = mapped_column(String(500))
    #: What the finding is about, with identities, and the same with pseudonyms.
    subject: Mapped[str] = mapped_column(Text)
    subject_masked: Mapped[str] = mapped_column(Text)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("register_item.id", ondelete="SET NULL"), index=True
    )
    #: The department responsible (for department views and the compliance score).
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("org_node.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    resolution: Mapped[str | None] = mapped_column(String(10))
    #: Local day the current open period began (first seen, or reopened).
    opened_on: Mapped[dt.date] = mapped_column(Date)
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    first_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("control_run.id", ondelete="SET NULL")
    )
    last_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("control_run.id", ondelete="SET NULL")
    )
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    owner_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    #: Who answers for it in words ("owner of REG-7", "security office").
    owner_label: Mapped[str] = mapped_column(String(300), default="")
    #: True once a person chose the owner (scans then leave it alone).
    owner_assigned: Mapped[bool] = mapped_column(Boolean, default=False)
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    due_assigned: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The unit's local day of ``closed_at`` (for "closed on time").
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_by: Mapped[str | None] = mapped_column(String(200))
    close_note: Mapped[str] = mapped_column(Text, default="")
    accepted_until: Mapped[dt.date | None] = mapped_column(Date)
    #: Duty URNs and control ids the check supports (as when last seen).
    supports: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Evidence rows (events carry ``file`` and ``line``), at most the check's limit.
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    evidence_total: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class FindingEvent(UnitScoped, Base):
    """One step in a finding's life: opened, seen again with new severity, closed by a scan,
    reopened, owner or due date assigned, closed or accepted by a person."""

    __tablename__ = "control_finding_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[str] = mapped_column(
        ForeignKey("control_finding.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    run_id: Mapped[int | None] = mapped_column(ForeignKey("control_run.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
