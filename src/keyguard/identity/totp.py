"""Time-based one-time passwords (RFC 6238, via pyotp) as a second login factor.

Enrolment is two steps: :func:`start_enrolment` stores a fresh secret (not yet in force) and
:func:`confirm_enrolment` switches TOTP on once the person proves their authenticator has
it. Accounts holding an approver permission (``grants.approve``, ``reident.approve``) or the
admin role cannot switch TOTP off again once it is on: for them it is required.
"""

from __future__ import annotations

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


def verify_code(account: Account, code: str) -> bool:
    """Check a 6-digit code against the account's secret (one step of clock drift allowed)."""
    code = "".join(code.split())
    if not account.totp_secret or not code.isdigit() or len(code) != 6:
        return False
    return bool(pyotp.TOTP(account.totp_secret).verify(code, valid_window=1))


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
