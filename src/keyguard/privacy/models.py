"""Tables of the privacy domain: dual-control re-identification requests.

A request names what it is for (``scope_kind``/``scope_id``, e.g. ``case``/``12``), whom it
would re-identify (``person_id``, or only the user as written in the logs) and why. Only
foundation tables are referenced (unit, person, account): privacy sits below every domain.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from keyguard.db.base import Base, UnitScoped
from keyguard.db.types import UTCDateTime

#: Stored states; "expired" is derived (approved and past ``expires_at``).
REQUEST_STATUSES = ("requested", "approved", "refused", "revoked", "withdrawn")


class ReidentRequest(UnitScoped, Base):
    """One request to see the real identity behind a pseudonym, and its decision."""

    __tablename__ = "reident_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_kind: Mapped[str] = mapped_column(String(20))
    scope_id: Mapped[str] = mapped_column(String(64), index=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    #: The user as compared with staff ids (for subjects that are no known person).
    user_key: Mapped[str | None] = mapped_column(String(200))
    #: What the requester sees until approval (the pseudonym).
    subject_label: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    #: How long the identity may be seen once approved.
    hours: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="requested", index=True)
    requested_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), index=True
    )
    requested_by_person_id: Mapped[int | None] = mapped_column(Integer)
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL")
    )
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoke_reason: Mapped[str] = mapped_column(Text, default="")

    def state(self, now: dt.datetime) -> str:
        """The stored status, or ``expired`` for an approval past its time."""
        if self.status == "approved" and self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return self.status
