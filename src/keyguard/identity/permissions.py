"""The one place that decides permissions: roles are data (``library/roles.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from keyguard.errors import InputError

ROLES_FILE = Path(__file__).resolve().parent.parent / "library" / "roles.yaml"


@dataclass(frozen=True)
class RoleDef:
    name: str
    label: str
    description: str
    permissions: frozenset[str]


@dataclass(frozen=True)
class RoleBook:
    permissions: dict[str, str]
    roles: dict[str, RoleDef]


@lru_cache(maxsize=1)
def role_book(path: Path = ROLES_FILE) -> RoleBook:
    """Load and validate the roles file (every permission a role names must be declared)."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    perms: dict[str, str] = dict(data.get("permissions") or {})
    roles: dict[str, RoleDef] = {}
    for name, body in (data.get("roles") or {}).items():
        names = frozenset(body.get("permissions") or [])
        unknown = sorted(names - perms.keys())
        if unknown:
            raise InputError(str(path), f"role {name!r} names undeclared permissions {unknown}")
        roles[name] = RoleDef(name, body.get("label", name), body.get("description", ""), names)
    return RoleBook(perms, roles)


ROLE_NAMES = (
    "security_officer",
    "department_head",
    "analyst",
    "employee",
    "supervisor",
    "auditor",
    "admin",
)


@dataclass(frozen=True)
class Principal:
    """Who is asking: an account with its roles per unit (``None`` unit = installation-wide)."""

    account_id: int
    person_id: int | None
    email: str
    roles: tuple[tuple[str, int | None], ...] = ()
    supervised_unit_ids: frozenset[int] = field(default_factory=frozenset)
    home_unit_id: int | None = None

    def role_names(self, unit_id: int | None = None) -> set[str]:
        return {r for r, u in self.roles if u is None or unit_id is None or u == unit_id}

    def unit_ids(self) -> set[int]:
        """Units in which this principal holds any role (admin: every unit, via ``None``)."""
        return {u for _, u in self.roles if u is not None} | set(self.supervised_unit_ids)

    def is_admin(self) -> bool:
        return any(r == "admin" and u is None for r, u in self.roles)


def permissions_of(principal: Principal, unit_id: int | None) -> set[str]:
    """Permissions ``principal`` holds in ``unit_id`` (``None``: held in any unit)."""
    book = role_book()
    out: set[str] = set()
    for role, scope in principal.roles:
        if role == "supervisor":
            if unit_id is None or unit_id in principal.supervised_unit_ids:
                out |= book.roles[role].permissions
            continue
        if scope is None or unit_id is None or scope == unit_id:
            out |= book.roles[role].permissions
    return out


def can(principal: Principal, permission: str, unit_id: int | None = None) -> bool:
    """True when ``principal`` holds ``permission`` in ``unit_id``."""
    if permission not in role_book().permissions:
        raise KeyError(f"unknown permission {permission!r}")
    return permission in permissions_of(principal, unit_id)
