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


# --- Account management and self-service (used by the web UI and the REST API) -----------

LANGUAGES = ("en", "zh_Hans_CN")


def change_password(
    session: Session,
    *,
    account: Account,
    current: str,
    new: str,
    keep_session_id: int | None = None,
) -> None:
    """Change one's own password (the current one is checked); other sessions end."""
    from keyguard import audit
    from keyguard.identity.models import WebSession
    from keyguard.identity.passwords import verify_password

    if not verify_password(account.password_hash, current):
        raise RuleViolation("the current password is wrong")
    if new == current:
        raise RuleViolation("the new password must differ from the current one")
    check_strength(new)
    account.password_hash = hash_password(new)
    account.password_changed_at = utcnow()
    stmt = select(WebSession).where(WebSession.account_id == account.id)
    for ws in session.scalars(stmt):
        if ws.id != keep_session_id:
            session.delete(ws)
    audit.record(session, "password_change", "account", account.id, {}, unit_id=account.unit_id)
    session.flush()


def reset_password(session: Session, *, account: Account, by: Account, new: str) -> None:
    """An administrator sets a new password for ``account``; its sessions end."""
    from keyguard import audit
    from keyguard.identity.models import WebSession

    check_strength(new)
    account.password_hash = hash_password(new)
    account.password_changed_at = utcnow()
    account.failed_logins = 0
    account.locked_until = None
    for ws in session.scalars(select(WebSession).where(WebSession.account_id == account.id)):
        session.delete(ws)
    audit.record(
        session, "password_reset", "account", account.id, {"by": by.id}, unit_id=account.unit_id
    )
    session.flush()


def set_active(session: Session, *, account: Account, by: Account, active: bool) -> None:
    """Deactivate (sessions end, tokens stop working) or reactivate an account."""
    from keyguard.identity.models import WebSession

    if account.id == by.id and not active:
        raise RuleViolation("you cannot deactivate your own account")
    account.is_active = active
    if not active:
        for ws in session.scalars(select(WebSession).where(WebSession.account_id == account.id)):
            session.delete(ws)
    session.flush()


def set_language(session: Session, *, account: Account, language: str) -> None:
    """Choose the language of the account's pages."""
    if language not in LANGUAGES:
        raise RuleViolation(f"unknown language {language!r}")
    account.language = language
    session.flush()


def list_accounts(session: Session) -> list[Account]:
    """Every account, by e-mail."""
    return list(session.scalars(select(Account).order_by(Account.email)))


def accessible_unit_ids(session: Session, principal: Principal) -> list[int]:
    """Units the principal holds a role in (installation-wide roles: every unit), sorted."""
    from sqlalchemy import Table

    unit: Table = Account.metadata.tables["unit"]
    if any(scope is None and role != "supervisor" for role, scope in principal.roles):
        return list(session.scalars(select(unit.c.id).order_by(unit.c.code)))
    wanted = principal.unit_ids()
    if not wanted:
        return []
    return list(
        session.scalars(select(unit.c.id).where(unit.c.id.in_(wanted)).order_by(unit.c.code))
    )


def visible_department_ids(
    session: Session, principal: Principal, unit_id: int
) -> frozenset[int] | None:
    """Org nodes whose people ``principal`` may see in ``unit_id`` (``None``: all of them).

    A department head sees only their own department and the teams below it, unless another
    role gives them the whole unit's people.
    """
    from sqlalchemy import Table

    from keyguard.identity.permissions import role_book

    book = role_book()
    wide = False
    heads = False
    for role, scope in principal.roles:
        if role == "supervisor" or (scope is not None and scope != unit_id):
            continue
        if role == "department_head":
            heads = True
        elif "org.view" in book.roles[role].permissions:
            wide = True
    if wide or not heads:
        return None
    person: Table = Account.metadata.tables["person"]
    node: Table = Account.metadata.tables["org_node"]
    root = None
    if principal.person_id is not None:
        root = session.scalar(
            select(person.c.department_id).where(
                person.c.id == principal.person_id, person.c.unit_id == unit_id
            )
        )
    if root is None:
        return frozenset()
    rows = session.execute(select(node.c.id, node.c.parent_id).where(node.c.unit_id == unit_id))
    children: dict[int, list[int]] = {}
    for node_id, parent_id in rows:
        if parent_id is not None:
            children.setdefault(parent_id, []).append(node_id)
    seen, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return frozenset(seen)


#: Roles held across the installation rather than in one unit.
WIDE_ROLES = ("admin", "supervisor")


def check_role_scope(role: str, unit_id: int | None, supervising_body_id: int | None) -> None:
    """Installation-wide roles (admin, supervisor) take no unit; every other role needs one."""
    if role not in role_book().roles:
        raise RuleViolation(f"unknown role {role!r}")
    if role in WIDE_ROLES and unit_id is not None:
        raise RuleViolation(
            "admin and supervisor roles apply to the whole installation: leave the unit empty"
        )
    if role not in WIDE_ROLES and unit_id is None:
        raise RuleViolation("choose a unit for this role")
    if role == "supervisor" and supervising_body_id is None:
        raise RuleViolation("a supervisor account needs a supervising body")


def generate_password(length: int = 16) -> str:
    """A random password (letters and digits) for a new account or a reset."""
    import secrets
    import string

    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))
