"""Tables of the register domain: classified items and their locations, check-outs,
destruction and downgrade records, need-to-know grants with their approvals, access
reviews, and hosts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from keyguard.db.base import Base, Temporal, TimestampMixin, UnitScoped
from keyguard.db.types import UTCDateTime

ITEM_STATUSES = ("active", "checked_out", "downgraded", "destroyed")
GRANTEE_TYPES = ("person", "team", "department", "position")
GRANT_SCOPES = ("item", "compartment", "level")
GRANT_STATUSES = ("requested", "approved", "refused", "revoked")
#: Grants in these states were in force over [valid_from, valid_to) from known_from on.
GRANTED_STATUSES = ("approved", "revoked")


class Item(UnitScoped, TimestampMixin, Base):
    """A classified item of the unit's register (a document set, a folder, a physical file)."""

    __tablename__ = "register_item"
    __table_args__ = (UniqueConstraint("unit_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    #: One of the unit's ``classification_levels``.
    level: Mapped[str] = mapped_column(String(60))
    compartment: Mapped[str | None] = mapped_column(String(100), index=True)
    owner_department_id: Mapped[int | None] = mapped_column(
        ForeignKey("org_node.id", ondelete="SET NULL"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    custodian_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    created_on: Mapped[dt.date | None] = mapped_column(Date)
    review_date: Mapped[dt.date | None] = mapped_column(Date)
    retention_until: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="active")
    #: Physical items live in a room (and a safe); digital ones in ``locations``.
    room: Mapped[str | None] = mapped_column(String(100))
    safe: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(Text, default="")

    locations: Mapped[list[ItemLocation]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="ItemLocation.id"
    )

    @property
    def physical(self) -> bool:
        return bool(self.room)


class ItemLocation(UnitScoped, Base):
    """A digital location of an item: a path or URL pattern, or a document id."""

    __tablename__ = "register_location"
    __table_args__ = (UniqueConstraint("item_id", "normalised"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("register_item.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))  # path | url | doc
    pattern: Mapped[str] = mapped_column(String(1000))
    normalised: Mapped[str] = mapped_column(String(1000))
    anchor: Mapped[str] = mapped_column(String(1000))
    exact: Mapped[bool] = mapped_column(Boolean, default=False)

    item: Mapped[Item] = relationship(back_populates="locations")


class CheckOut(UnitScoped, Base):
    """A physical item taken out by a person, due back on ``due_on``."""

    __tablename__ = "register_checkout"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("register_item.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    checked_out_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    due_on: Mapped[dt.date] = mapped_column(Date)
    returned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    issued_by: Mapped[str] = mapped_column(String(200))
    received_by: Mapped[str | None] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text, default="")


class Disposal(UnitScoped, Base):
    """A destruction or downgrade of an item, witnessed by two different people."""

    __tablename__ = "register_disposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("register_item.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # destruction | downgrade
    on_day: Mapped[dt.date] = mapped_column(Date)
    from_level: Mapped[str] = mapped_column(String(60))
    to_level: Mapped[str | None] = mapped_column(String(60))
    method: Mapped[str] = mapped_column(Text, default="")
    witness1_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    witness2_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Grant(UnitScoped, Temporal, TimestampMixin, Base):
    """Need-to-know: a grantee may access an item, a compartment or a level (and below) for a
    purpose over ``[valid_from, valid_to)``, known from ``known_from`` (the approval day)."""

    __tablename__ = "access_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    grantee_type: Mapped[str] = mapped_column(String(20))
    grantee_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    grantee_node_id: Mapped[int | None] = mapped_column(
        ForeignKey("org_node.id", ondelete="CASCADE"), index=True
    )
    grantee_title: Mapped[str | None] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(20), default="item")
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("register_item.id", ondelete="CASCADE"), index=True
    )
    compartment: Mapped[str | None] = mapped_column(String(100))
    level: Mapped[str | None] = mapped_column(String(60))
    purpose: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="requested", index=True)
    approvals_required: Mapped[int] = mapped_column(Integer, default=1)
    requested_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL")
    )
    requested_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )
    requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str] = mapped_column(Text, default="")
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    last_reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("access_grant.id"))
    #: Where the grant came from: ``file:line`` of an import, or ``web``/``api``.
    source: Mapped[str] = mapped_column(Text, default="")

    approvals: Mapped[list[GrantApproval]] = relationship(
        back_populates="grant", cascade="all, delete-orphan", order_by="GrantApproval.id"
    )
    item: Mapped[Item | None] = relationship(foreign_keys=[item_id])


class GrantApproval(UnitScoped, Base):
    """One person's decision on a grant (``account_id`` is empty for imported approvals)."""

    __tablename__ = "access_grant_approval"
    __table_args__ = (UniqueConstraint("grant_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(
        ForeignKey("access_grant.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    decision: Mapped[str] = mapped_column(String(10))  # approve | refuse
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")

    grant: Mapped[Grant] = relationship(back_populates="approvals")


class ReviewCampaign(UnitScoped, TimestampMixin, Base):
    """A periodic access review: every owner confirms or revokes each grant on their items."""

    __tablename__ = "access_review_campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    started_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed
    started_by: Mapped[str] = mapped_column(String(200))


class ReviewTask(UnitScoped, Base):
    """One grant to confirm or revoke in a campaign, by its reviewer (the item's owner; the
    security office for compartment and level grants)."""

    __tablename__ = "access_review_task"
    __table_args__ = (UniqueConstraint("campaign_id", "grant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("access_review_campaign.id", ondelete="CASCADE"), index=True
    )
    grant_id: Mapped[int] = mapped_column(
        ForeignKey("access_grant.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    decision: Mapped[str | None] = mapped_column(String(10))  # confirm | revoke
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    last_escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Host(UnitScoped, TimestampMixin, Base):
    """A machine and the person it is assigned to (imported, or inferred from logons)."""

    __tablename__ = "host"
    __table_args__ = (UniqueConstraint("unit_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))  # lower-case name
    assigned_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    removable_media_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: ``import`` (hosts.csv) or ``inferred`` (main user by logons).
    assignment_source: Mapped[str] = mapped_column(String(20), default="import")
    known_from: Mapped[dt.date] = mapped_column(Date)
    #: For inferred hosts: the main user as in the logs, their share of active days.
    inferred_user: Mapped[str | None] = mapped_column(String(200))
    inferred_share: Mapped[float | None] = mapped_column(Float)
    inferred_days: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text, default="")
