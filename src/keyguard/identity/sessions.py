"""Server-side login sessions and password login with back-off.

The cookie carries a random token; only its SHA-256 is stored (``WebSession.token_hash``).
Each session holds its CSRF token and, for accounts with TOTP, whether the second factor
was passed. Logins, failed logins and logouts are audited explicitly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.audit.context import Actor, actor_scope
from keyguard.config import get_settings, utcnow
from keyguard.identity.models import Account, WebSession
from keyguard.identity.passwords import hash_password, needs_rehash, verify_password

#: Longest lock after repeated failures, whatever the number of failures.
MAX_LOCK = dt.timedelta(hours=24)
#: How stale ``last_seen_at`` may get before a request refreshes it.
IDLE_TOUCH = dt.timedelta(minutes=1)


def N_(message: str) -> str:
    """Mark ``message`` for the translation catalogues (the pages translate it on display)."""
    return message


#: What logging in keeps about the people who use keyguard (shown on "What keyguard
#: records" next to every domain's ``keyguard_recorded_fields``).
RECORDED_FIELDS: list[dict[str, str]] = [
    {
        "source": N_("Accounts"),
        "field": N_("e-mail address, display name, language"),
        "purpose": N_("to log you in and show pages in your language"),
        "kept": N_("while the account exists"),
    },
    {
        "source": N_("Accounts"),
        "field": N_("time of the last login, failed logins in a row"),
        "purpose": N_("to slow down password guessing"),
        "kept": N_("while the account exists"),
    },
    {
        "source": N_("Login sessions"),
        "field": N_("start and expiry of each session"),
        "purpose": N_("to keep you logged in"),
        "kept": N_("until you log out or the session expires"),
    },
    {
        "source": N_("Audit log"),
        "field": N_(
            "logins, logouts, failed logins, password changes, new API tokens, "
            "and every opening of a person's page"
        ),
        "purpose": N_("so that every look at personal data can be checked afterwards"),
        "kept": N_("as long as the retention rules of the audit log say"),
    },
]

# A hash to verify against when the e-mail is unknown, so both cases take the same time.
_DUMMY: dict[str, str] = {}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def actor_for(account: Account) -> Actor:
    """The audit actor of an account."""
    return Actor(name=f"account:{account.id}", account_id=account.id, person_id=account.person_id)


@dataclass
class LoginResult:
    """Outcome of a password login: ``token`` is the new session's cookie value when ok.

    ``reason`` is one of ``ok``, ``totp`` (password right, code needed), ``wrong``
    (unknown e-mail, wrong password or inactive account) and ``locked``.
    """

    reason: str
    account: Account | None = None
    token: str | None = None
    web_session: WebSession | None = None
    retry_after: int = 0

    @property
    def ok(self) -> bool:
        return self.reason in ("ok", "totp")


def _dummy_hash() -> str:
    if "h" not in _DUMMY:
        _DUMMY["h"] = hash_password(secrets.token_hex(16))
    return _DUMMY["h"]


def lock_remaining(account: Account, now: dt.datetime | None = None) -> int:
    """Seconds until ``account`` may try again (0 when not locked)."""
    now = now or utcnow()
    if account.locked_until is None or account.locked_until <= now:
        return 0
    return int((account.locked_until - now).total_seconds()) + 1


def register_failure(session: Session, account: Account, *, step: str) -> None:
    """Count a failed password or code; lock with exponential back-off past the limit."""
    settings = get_settings()
    now = utcnow()
    account.failed_logins = (account.failed_logins or 0) + 1
    over = account.failed_logins - settings.login_max_failures
    if over >= 0:
        wait = dt.timedelta(seconds=settings.login_backoff_seconds * (2 ** min(over, 20)))
        account.locked_until = now + min(wait, MAX_LOCK)
    with actor_scope(actor_for(account)):
        audit.record(
            session,
            "login_failed",
            "account",
            account.id,
            {
                "step": step,
                "failures": account.failed_logins,
                "locked_until": account.locked_until.isoformat()
                if over >= 0 and account.locked_until
                else None,
            },
            unit_id=account.unit_id,
        )
        session.flush()


def create_session(
    session: Session, account: Account, *, totp_passed: bool, active_unit_id: int | None = None
) -> tuple[str, WebSession]:
    """Start a session for ``account``; returns the cookie token (shown only here)."""
    now = utcnow()
    token = new_token()
    ws = WebSession(
        token_hash=token_hash(token),
        account_id=account.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + dt.timedelta(hours=get_settings().session_hours),
        totp_passed=totp_passed,
        active_unit_id=active_unit_id,
    )
    session.add(ws)
    session.flush()
    return token, ws


def _complete_login(session: Session, account: Account) -> None:
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = utcnow()
    with actor_scope(actor_for(account)):
        audit.record(session, "login", "account", account.id, {}, unit_id=account.unit_id)
        session.flush()


def login(session: Session, *, email: str, password: str) -> LoginResult:
    """Check e-mail and password, honouring the back-off; start a session when right.

    With TOTP enabled the session starts with ``totp_passed=False`` and the login is
    complete only after :func:`pass_totp`.
    """
    email = email.strip().lower()
    account = session.scalar(select(Account).where(Account.email == email))
    if account is None:
        verify_password(_dummy_hash(), password)
        audit.record(
            session,
            "login_failed",
            "account",
            None,
            {"step": "password", "email": email[:320], "reason": "unknown e-mail"},
        )
        return LoginResult("wrong")
    wait = lock_remaining(account)
    if wait:
        with actor_scope(actor_for(account)):
            audit.record(
                session,
                "login_blocked",
                "account",
                account.id,
                {"retry_after": wait},
                unit_id=account.unit_id,
            )
        return LoginResult("locked", account=account, retry_after=wait)
    if not verify_password(account.password_hash, password) or not account.is_active:
        register_failure(session, account, step="password")
        wait = lock_remaining(account)
        return LoginResult("locked" if wait else "wrong", account=account, retry_after=wait)
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    if account.totp_enabled:
        token, ws = create_session(session, account, totp_passed=False)
        return LoginResult("totp", account=account, token=token, web_session=ws)
    _complete_login(session, account)
    token, ws = create_session(session, account, totp_passed=True)
    return LoginResult("ok", account=account, token=token, web_session=ws)


def pass_totp(session: Session, ws: WebSession, account: Account) -> str:
    """Mark the second factor passed; the session gets a fresh token (returned)."""
    token = new_token()
    ws.token_hash = token_hash(token)
    ws.totp_passed = True
    _complete_login(session, account)
    session.flush()
    return token


def find_session(session: Session, token: str | None) -> WebSession | None:
    """The session whose cookie value is ``token``, unless it has expired or been left idle
    longer than ``session_idle_minutes``; using it keeps it alive."""
    if not token:
        return None
    ws = session.scalar(select(WebSession).where(WebSession.token_hash == token_hash(token)))
    now = utcnow()
    if ws is None or ws.expires_at <= now:
        return None
    idle = get_settings().session_idle_minutes
    seen = ws.last_seen_at or ws.created_at
    if idle > 0 and seen + dt.timedelta(minutes=idle) <= now:
        return None
    if now - seen >= IDLE_TOUCH:  # one write a minute at most, not one per request
        ws.last_seen_at = now
    return ws


def logout(session: Session, ws: WebSession) -> None:
    """End one session (audited)."""
    account_id = ws.account_id
    session.delete(ws)
    audit.record(session, "logout", "account", account_id, {})
    session.flush()


def end_sessions(session: Session, account_id: int, *, keep: WebSession | None = None) -> int:
    """End every session of an account except ``keep``; returns how many ended."""
    stmt = delete(WebSession).where(WebSession.account_id == account_id)
    if keep is not None:
        stmt = stmt.where(WebSession.id != keep.id)
    result = session.execute(stmt.execution_options(synchronize_session="fetch"))
    return int(getattr(result, "rowcount", 0) or 0)


def purge_expired(session: Session) -> int:
    """Delete sessions past their expiry or left idle too long."""
    now = utcnow()
    gone = WebSession.expires_at <= now
    idle = get_settings().session_idle_minutes
    if idle > 0:
        cutoff = now - dt.timedelta(minutes=idle)
        gone = or_(gone, func.coalesce(WebSession.last_seen_at, WebSession.created_at) <= cutoff)
    result = session.execute(delete(WebSession).where(gone))
    return int(getattr(result, "rowcount", 0) or 0)
