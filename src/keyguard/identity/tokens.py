"""Personal API tokens: ``kg_<prefix>_<secret>``, shown once, stored as SHA-256.

A request carrying ``Authorization: Bearer <token>`` acts as the token's account. Tokens
may expire and may be revoked; their creation and revocation are audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.config import utcnow
from keyguard.errors import NotFound, RuleViolation
from keyguard.identity.models import Account, ApiToken

PREFIX = "kg_"
MAX_DAYS = 366


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: Session, *, account: Account, name: str, days: int | None = None
) -> tuple[str, ApiToken]:
    """Create a token for ``account``; returns the plain token (never stored) and the row."""
    name = name.strip()
    if not name or len(name) > 200:
        raise RuleViolation("a token needs a name of 1 to 200 characters")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise RuleViolation(f"a token lasts between 1 and {MAX_DAYS} days")
    prefix = secrets.token_hex(4)
    plain = f"{PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken(
        account_id=account.id,
        name=name,
        prefix=prefix,
        token_hash=_digest(plain),
        expires_at=utcnow() + dt.timedelta(days=days) if days else None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "token_create",
        "api_token",
        row.id,
        {
            "account_id": account.id,
            "name": name,
            "prefix": prefix,
            "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        },
        unit_id=account.unit_id,
    )
    return plain, row


def find_token(session: Session, plain: str) -> ApiToken | None:
    """The live (unrevoked, unexpired) token matching ``plain``; records its last use."""
    if not plain.startswith(PREFIX):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(plain)))
    now = utcnow()
    if row is None or row.revoked or (row.expires_at is not None and row.expires_at <= now):
        return None
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=5):
        # A plain UPDATE: the use of a token is not a change worth an audit entry each time.
        session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
    return row


def list_tokens(session: Session, account_id: int) -> list[ApiToken]:
    """An account's tokens, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.account_id == account_id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(session: Session, *, account_id: int, token_id: int) -> ApiToken:
    """Revoke one of ``account_id``'s tokens."""
    row = session.get(ApiToken, token_id)
    if row is None or row.account_id != account_id:
        raise NotFound(f"token {token_id}")
    if not row.revoked:
        row.revoked = True
        audit.record(session, "token_revoke", "api_token", row.id, {"account_id": account_id})
        session.flush()
    return row
