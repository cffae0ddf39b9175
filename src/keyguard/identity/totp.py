"""Time-based one-time passwords (RFC 6238, via pyotp) as a second login factor.

Enrolment is two steps: :func:`start_enrolment` stores a fresh secret (not yet in force) and
:func:`confirm_enrolment` switches TOTP on once the person proves their authenticator has
it. Accounts holding an approver permission (``grants.approve``, ``reident.approve``) or the
admin role cannot switch TOTP off again once it is on: for them it is required.
At sign-in :func:`use_code` accepts each code once: a replayed code is refused and audited.
"""

from __future__ import annotations

import datetime as dt
import hmac
import time

import pyotp
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.errors import RuleViolation
from keyguard.identity.models import Account
from keyguard.identity.permissions import Principal, permissions_of

ISSUER = "keyguard"
#: Permissions whose holders must keep TOTP once enrolled.
APPROVER_PERMISSIONS = frozenset({"grants.approve", "reident.approve"})


def totp_required(principal: Principal) -> bool:
    """Whether TOTP, once enabled, must stay on for this principal (approvers, admins)."""
    if principal.is_admin():
        return True
    return bool(permissions_of(principal, None) & APPROVER_PERMISSIONS)


def provisioning_uri(account: Account) -> str:
    """The ``otpauth://`` URI of the account's (pending or active) secret."""
    if not account.totp_secret:
        raise RuleViolation("no TOTP secret: start the enrolment first")
    return pyotp.TOTP(account.totp_secret).provisioning_uri(name=account.email, issuer_name=ISSUER)


def matching_step(account: Account, code: str, *, at: float | None = None) -> int | None:
    """The 30-second time step whose code is ``code`` (one step of clock drift allowed
    either way), or None. Codes follow the authenticator's wall clock, not KEYGUARD_NOW."""
    code = "".join(code.split())
    if not account.totp_secret or not code.isdigit() or len(code) != 6:
        return None
    otp = pyotp.TOTP(account.totp_secret)
    moment = time.time() if at is None else at
    for drift in (0, -1, 1):
        when = dt.datetime.fromtimestamp(moment + drift * otp.interval, dt.UTC)
        if hmac.compare_digest(otp.at(when), code):
            return int(otp.timecode(when))
    return None


def verify_code(account: Account, code: str) -> bool:
    """Check a 6-digit code against the account's secret (one step of clock drift allowed)."""
    return matching_step(account, code) is not None


def use_code(session: Session, account: Account, code: str) -> bool:
    """Check a sign-in code and use it up: a code of the step last accepted for this account,
    or of an earlier step, is refused, so a code seen over someone's shoulder or in a
    proxy log cannot be replayed (RFC 6238 section 5.2)."""
    step = matching_step(account, code)
    if step is None:
        return False
    if account.totp_last_step is not None and step <= account.totp_last_step:
        audit.record(
            session,
            "totp_replay_refused",
            "account",
            account.id,
            {"step": step},
            unit_id=account.unit_id,
        )
        return False
    account.totp_last_step = step
    session.flush()
    return True


def start_enrolment(session: Session, account: Account) -> str:
    """Store a new secret for ``account`` (not in force until confirmed); returns it."""
    if account.totp_enabled:
        raise RuleViolation("two-factor sign-in is already on")
    account.totp_secret = pyotp.random_base32()
    session.flush()
    return account.totp_secret


def confirm_enrolment(session: Session, account: Account, code: str) -> None:
    """Switch TOTP on when ``code`` matches the pending secret."""
    if account.totp_enabled:
        raise RuleViolation("two-factor sign-in is already on")
    if not verify_code(account, code):
        raise RuleViolation("the code does not match; check the clock of your device")
    account.totp_enabled = True
    audit.record(session, "totp_enable", "account", account.id, {}, unit_id=account.unit_id)
    session.flush()


def disable(session: Session, account: Account, principal: Principal, code: str) -> None:
    """Switch TOTP off with a current code; refused when it is required for this account."""
    if not account.totp_enabled:
        raise RuleViolation("two-factor sign-in is not on")
    if totp_required(principal):
        raise RuleViolation("two-factor sign-in is required for approvers and administrators")
    if not verify_code(account, code):
        raise RuleViolation("the code does not match")
    account.totp_enabled = False
    account.totp_secret = None
    audit.record(session, "totp_disable", "account", account.id, {}, unit_id=account.unit_id)
    session.flush()


def reset(session: Session, account: Account, *, by: Account) -> None:
    """An administrator removes an account's TOTP (lost device); the person enrols again."""
    account.totp_enabled = False
    account.totp_secret = None
    audit.record(
        session, "totp_reset", "account", account.id, {"by": by.id}, unit_id=account.unit_id
    )
    session.flush()
