"""Accounts and roles: creation, role assignment, lookups and the separation rules."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.config import utcnow
from keyguard.errors import NotFound, RuleViolation
from keyguard.identity.models import Account, RoleAssignment
from keyguard.identity.passwords import check_strength, hash_password
from keyguard.identity.permissions import Principal, role_book


def create_account(
    session: Session,
    *,
    email: str,
    password: str,
    display_name: str | None = None,
    unit_id: int | None = None,
    person_id: int | None = None,
    roles: list[tuple[str, int | None]] | None = None,
    created_by: Account | None = None,
    language: str = "en",
    supervising_body_id: int | None = None,
) -> Account:
    """Create a local account (argon2id hash) with its roles."""
    email = email.strip().lower()
    if "@" not in email:
        raise RuleViolation(f"{email!r} is not an e-mail address")
    if session.scalar(select(Account.id).where(Account.email == email)):
        raise RuleViolation(f"an account for {email} already exists")
    check_strength(password)
    account = Account(
        email=email,
        display_name=display_name or email.split("@")[0],
        password_hash=hash_password(password),
        unit_id=unit_id,
        person_id=person_id,
        language=language,
        supervising_body_id=supervising_body_id,
        created_by_id=created_by.id if created_by else None,
        password_changed_at=utcnow(),
    )
    session.add(account)
    session.flush()
    for role, scope in roles or []:
        assign_role(session, account=account, role=role, unit_id=scope, granted_by=created_by)
    return account


def assign_role(
    session: Session,
    *,
    account: Account,
    role: str,
    unit_id: int | None,
    granted_by: Account | None = None,
) -> RoleAssignment:
    """Give ``account`` a role in a unit (or installation-wide for admin/supervisor)."""
    if role not in role_book().roles:
        raise RuleViolation(f"unknown role {role!r}")
    existing = session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.account_id == account.id,
            RoleAssignment.role == role,
            RoleAssignment.unit_id.is_(None)
            if unit_id is None
            else RoleAssignment.unit_id == unit_id,
        )
    )
    if existing:
        return existing
    ra = RoleAssignment(
        account_id=account.id,
        role=role,
        unit_id=unit_id,
        granted_by_id=granted_by.id if granted_by else None,
    )
    session.add(ra)
    session.flush()
    return ra


def revoke_role(session: Session, *, account: Account, role: str, unit_id: int | None) -> None:
    """Remove a role from an account."""
    for ra in list(account.roles):
        if ra.role == role and ra.unit_id == unit_id:
            session.delete(ra)
    session.flush()


def get_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"account {account_id}")
    return account


def principal_for(session: Session, account: Account) -> Principal:
    """The permission view of an account (roles, supervised units)."""
    supervised: frozenset[int] = frozenset()
    if account.supervising_body_id is not None:
        from sqlalchemy import Table

        unit: Table = Account.metadata.tables["unit"]
        supervised = frozenset(
            session.scalars(
                select(unit.c.id).where(unit.c.supervising_body_id == account.supervising_body_id)
            )
        )
    return Principal(
        account_id=account.id,
        person_id=account.person_id,
        email=account.email,
        roles=tuple((r.role, r.unit_id) for r in account.roles),
        supervised_unit_ids=supervised,
        home_unit_id=account.unit_id,
    )


def same_person(a: Account, b: Account) -> bool:
    """Two accounts belong to the same person (or are the same account)."""
    if a.id == b.id:
        return True
    return a.person_id is not None and a.person_id == b.person_id


def may_be_second_person(session: Session, *, requester: Account, approver: Account) -> str | None:
    """Why ``approver`` may not be the second person for ``requester`` (``None`` if allowed).

    The two-person rule compares people, not accounts: the approver must be another person,
    and not an account the requester created or gave any role to.
    """
    if same_person(requester, approver):
        return "the approver is the same person as the requester"
    requester_ids = {requester.id}
    if requester.person_id is not None:
        requester_ids |= set(
            session.scalars(select(Account.id).where(Account.person_id == requester.person_id))
        )
    if approver.created_by_id in requester_ids:
        return "the approver's account was created by the requester"
    promoted = session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.account_id == approver.id,
            RoleAssignment.granted_by_id.in_(requester_ids),
        )
    )
    if promoted:
        return "the approver's account was given a role by the requester"
    return None
