"""JSON twins of the administration pages: accounts, their roles, and the role book
(``accounts.manage``). Passwords made here are returned once and never stored in clear."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.api import CurrentAccount, DbSession, require
from keyguard.errors import RuleViolation
from keyguard.identity import service as identity
from keyguard.identity import totp
from keyguard.identity.models import Account
from keyguard.identity.permissions import role_book
from keyguard.records.org.models import Person

router = APIRouter(prefix="/admin", dependencies=[require("accounts.manage")])


class RoleIn(BaseModel):
    role: str
    unit_id: int | None = None


class AccountIn(BaseModel):
    email: str
    display_name: str | None = None
    role: str = "employee"
    unit_id: int | None = None
    staff_id: str | None = None
    supervising_body_id: int | None = None
    language: str = "en"


class ActiveIn(BaseModel):
    active: bool


class AccountOut(BaseModel):
    id: int
    email: str
    display_name: str
    unit_id: int | None
    person_id: int | None
    supervising_body_id: int | None
    is_active: bool
    language: str
    totp_enabled: bool
    failed_logins: int
    last_login_at: dt.datetime | None
    created_by_id: int | None
    roles: list[dict[str, Any]]


class AccountCreated(AccountOut):
    password: str


def _out(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "email": account.email,
        "display_name": account.display_name,
        "unit_id": account.unit_id,
        "person_id": account.person_id,
        "supervising_body_id": account.supervising_body_id,
        "is_active": account.is_active,
        "language": account.language,
        "totp_enabled": account.totp_enabled,
        "failed_logins": account.failed_logins,
        "last_login_at": account.last_login_at,
        "created_by_id": account.created_by_id,
        "roles": [
            {"role": r.role, "unit_id": r.unit_id, "granted_by_id": r.granted_by_id}
            for r in account.roles
        ],
    }


def _target(db: Session, account_id: int) -> Account:
    account = db.get(Account, account_id)
    if account is None:
        raise HTTPException(404, "no such account")
    return account


def _rule(exc: RuleViolation) -> HTTPException:
    return HTTPException(400, str(exc))


@router.get("/accounts")
def accounts(db: DbSession) -> list[AccountOut]:
    """Every account with its roles."""
    return [AccountOut(**_out(a)) for a in identity.list_accounts(db)]


@router.post("/accounts", status_code=201)
def create_account(body: AccountIn, db: DbSession, me: CurrentAccount) -> AccountCreated:
    """Create an account with one role; the first password is returned once."""
    wide = body.role in identity.WIDE_ROLES
    password = identity.generate_password()
    try:
        person_id = None
        if body.staff_id:
            person_id = db.scalar(
                select(Person.id).where(
                    Person.unit_id == body.unit_id, Person.staff_id == body.staff_id.strip()
                )
            )
            if person_id is None:
                raise RuleViolation("no person with this staff id in the chosen unit")
        identity.check_role_scope(
            body.role, None if wide else body.unit_id, body.supervising_body_id
        )
        if body.language not in identity.LANGUAGES:
            raise RuleViolation(f"unknown language {body.language!r}")
        account = identity.create_account(
            db,
            email=body.email,
            password=password,
            display_name=body.display_name,
            unit_id=body.unit_id,
            person_id=person_id,
            created_by=me,
            language=body.language,
            supervising_body_id=body.supervising_body_id,
            roles=[(body.role, None if wide else body.unit_id)],
        )
    except RuleViolation as exc:
        raise _rule(exc) from exc
    return AccountCreated(password=password, **_out(account))


@router.get("/accounts/{account_id}")
def account(account_id: int, db: DbSession) -> AccountOut:
    """One account with its roles."""
    return AccountOut(**_out(_target(db, account_id)))


@router.post("/accounts/{account_id}/roles")
def assign_role(account_id: int, body: RoleIn, db: DbSession, me: CurrentAccount) -> AccountOut:
    """Give a role (in a unit; admin and supervisor without one)."""
    target = _target(db, account_id)
    try:
        identity.check_role_scope(body.role, body.unit_id, target.supervising_body_id)
        identity.assign_role(
            db, account=target, role=body.role, unit_id=body.unit_id, granted_by=me
        )
    except RuleViolation as exc:
        raise _rule(exc) from exc
    db.refresh(target)
    return AccountOut(**_out(target))


@router.post("/accounts/{account_id}/roles/revoke")
def revoke_role(account_id: int, body: RoleIn, db: DbSession) -> AccountOut:
    """Take a role away."""
    target = _target(db, account_id)
    identity.revoke_role(db, account=target, role=body.role, unit_id=body.unit_id)
    db.refresh(target)
    return AccountOut(**_out(target))


@router.post("/accounts/{account_id}/active")
def set_active(account_id: int, body: ActiveIn, db: DbSession, me: CurrentAccount) -> AccountOut:
    """Deactivate (sessions end, tokens stop working) or reactivate an account."""
    target = _target(db, account_id)
    try:
        identity.set_active(db, account=target, by=me, active=body.active)
    except RuleViolation as exc:
        raise _rule(exc) from exc
    return AccountOut(**_out(target))


@router.post("/accounts/{account_id}/password")
def reset_password(account_id: int, db: DbSession, me: CurrentAccount) -> dict[str, str]:
    """Make a new password for the account (returned once); its sessions end."""
    target = _target(db, account_id)
    password = identity.generate_password()
    identity.reset_password(db, account=target, by=me, new=password)
    return {"password": password}


@router.post("/accounts/{account_id}/totp-reset")
def reset_totp(account_id: int, db: DbSession, me: CurrentAccount) -> AccountOut:
    """Remove the account's two-factor sign-in (lost device)."""
    target = _target(db, account_id)
    totp.reset(db, target, by=me)
    return AccountOut(**_out(target))


@router.get("/roles")
def roles() -> dict[str, Any]:
    """The role book: every permission and what each role holds."""
    book = role_book()
    return {
        "permissions": book.permissions,
        "roles": {
            name: {
                "label": r.label,
                "description": r.description,
                "permissions": sorted(r.permissions),
            }
            for name, r in book.roles.items()
        },
    }
