"""Tables of the identity domain."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from keyguard.db.base import Base, TimestampMixin
from keyguard.db.types import UTCDateTime


class Account(TimestampMixin, Base):
    """A login. ``person_id`` links it to a person of a unit (admins and supervisors may
    have none). ``created_by_id`` feeds the separation rules."""

    __tablename__ = "account"
    __audit_redact__ = frozenset({"password_hash", "totp_secret"})

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(300))
    password_hash: Mapped[str] = mapped_column(String(300))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("unit.id", ondelete="CASCADE"), index=True
    )
    supervising_body_id: Mapped[int | None] = mapped_column(
        ForeignKey("supervising_body.id", ondelete="SET NULL")
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(10), default="en")
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The 30-second time step of the last code accepted at sign-in: a code of that step
    #: or an earlier one is refused (no replay of an observed code).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="account",
        cascade="all, delete-orphan",
        foreign_keys="RoleAssignment.account_id",
    )


class RoleAssignment(TimestampMixin, Base):
    """A role held by an account, in one unit (``unit_id``) or across the supervising body."""

    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("account_id", "role", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("unit.id", ondelete="CASCADE"), index=True
    )
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    account: Mapped[Account] = relationship(back_populates="roles", foreign_keys=[account_id])


class ApiToken(TimestampMixin, Base):
    """A personal API token; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    __audit_redact__ = frozenset({"token_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class WebSession(Base):
    """A server-side login session; the cookie carries a random id whose hash is stored."""

    __tablename__ = "web_session"
    __audit__ = False  # logins/logouts are audited explicitly, not every touch

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    totp_passed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Last request seen on this session (idle timeout); refreshed at most once a minute.
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    active_unit_id: Mapped[int | None] = mapped_column(Integer)
