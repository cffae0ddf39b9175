"""Every route × every role: allowed or denied exactly as its declared access says.

The walk reads ``app.routes`` at test time, so routes other modules add are covered without
editing this file. A route must declare its access (``require``, ``login_required`` or
``public``); a mount must be listed as public.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.routing import Mount

from keyguard.db.session import session_scope
from keyguard.identity.auth import SESSION_COOKIE, Access, route_access
from keyguard.identity.models import Account
from keyguard.identity.permissions import Principal, can
from keyguard.identity.service import accessible_unit_ids, principal_for
from keyguard.web.csrf import PRE_COOKIE

from .conftest import new_session_cookie
from .prepared import World

ROLES = [
    None,
    "admin",
    "security_officer",
    "department_head",
    "analyst",
    "employee",
    "supervisor",
    "auditor",
    "officer_b",
]
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PARAM = re.compile(r"{(\w+)(?::\w+)?}")
MISSING_ID = "999999"


@dataclass(frozen=True)
class Who:
    principal: Principal | None
    units: tuple[int, ...]
    active: int | None


def routes(app: FastAPI) -> list:  # type: ignore[type-arg]
    return [
        rc for rc in iter_route_contexts(app.routes) if not isinstance(rc.original_route, Mount)
    ]


def test_every_route_declares_its_access(app: FastAPI) -> None:
    undeclared = []
    for rc in iter_route_contexts(app.routes):
        if isinstance(rc.original_route, Mount):
            if rc.path not in app.state.public_mounts:
                undeclared.append(f"mount {rc.path}")
            continue
        if not route_access(rc):
            undeclared.append(f"{sorted(rc.methods or [])} {rc.path}")
    assert not undeclared, "routes without require()/login_required()/public(): " + ", ".join(
        undeclared
    )


def test_nav_entries_point_at_routes_with_the_same_permission(app: FastAPI) -> None:
    by_path = {rc.path: route_access(rc) for rc in routes(app) if "GET" in (rc.methods or ())}
    assert app.state.nav, "no navigation at all"
    for item in app.state.nav:
        assert item["path"] in by_path, f"NAV entry {item['path']} has no GET route"
        access = by_path[item["path"]]
        permission = item.get("permission")
        if permission:
            assert Access("permission", permission) in access, (
                f"NAV {item['path']} says {permission}, the route requires {access}"
            )
        else:
            assert any(a.kind in ("login", "public") for a in access), item


def who(engine: Engine, world: World, key: str | None) -> Who:
    if key is None:
        return Who(None, (), None)
    with session_scope(engine) as s:
        account = s.get(Account, world.accounts[key])
        assert account is not None
        principal = principal_for(s, account)
        units = tuple(accessible_unit_ids(s, principal))
        home = account.unit_id
    return Who(principal, units, home if home in units else (units[0] if units else None))


def expected_allowed(access: list[Access], person: Who, unit_id: int | None) -> bool:
    kinds = {a.kind for a in access}
    if kinds == {"public"}:
        return True
    if person.principal is None:
        return False
    if unit_id is not None and unit_id not in person.units:
        return False
    acting = unit_id if unit_id is not None else person.active
    return all(
        can(person.principal, a.permission, acting)
        for a in access
        if a.kind == "permission" and a.permission
    )


def fill(path: str, method: str, unit_id: int | None, world: World) -> str:
    real = {"person_id": str(world.people["zhang"]), "account_id": str(world.accounts["employee"])}

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "unit_id":
            return str(unit_id)
        if method in UNSAFE:
            return MISSING_ID
        return real.get(name, MISSING_ID)

    return PARAM.sub(value, path)


def denied(response, anonymous: bool, api: bool) -> bool:  # type: ignore[no-untyped-def]
    location = response.headers.get("location", "")
    if anonymous and not api and response.status_code == 303:
        return location.startswith("/login?next=")
    return response.status_code in (401, 403)


def test_every_route_for_every_role(app: FastAPI, world: World, engine: Engine) -> None:
    people = {key: who(engine, world, key) for key in ROLES}
    problems: list[str] = []
    cookies: dict[str, tuple[str, str]] = {}
    checked = 0
    with TestClient(app, raise_server_exceptions=False) as client:
        for rc in routes(app):
            access = route_access(rc)
            path = str(rc.path)
            api = path.startswith("/api/")
            units = [world.units["a"], world.units["b"]] if "{unit_id}" in path else [None]
            for method in sorted((rc.methods or set()) - {"HEAD"}):
                for unit_id in units:
                    url = fill(path, method, unit_id, world)
                    for key in ROLES:
                        client.cookies.clear()
                        if key is not None:
                            # Reads in the home unit share one session per role; anything
                            # that may end the session or switch its unit gets a fresh one.
                            if method in UNSAFE or key not in cookies:
                                cookies[key] = new_session_cookie(engine, world.accounts[key])
                            token, csrf = cookies[key]
                            client.cookies.set(SESSION_COOKIE, token)
                            if method in UNSAFE or unit_id not in (None, people[key].active):
                                del cookies[key]  # may have ended or moved the session
                        else:
                            csrf = "walk-pre-login-token"
                            client.cookies.set(PRE_COOKIE, csrf)
                        headers = {"X-CSRF-Token": csrf} if method in UNSAFE else {}
                        response = client.request(
                            method, url, headers=headers, follow_redirects=False
                        )
                        checked += 1
                        want = expected_allowed(access, people[key], unit_id)
                        got_denied = denied(response, key is None, api)
                        label = f"{method} {url} as {key or 'anonymous'}"
                        if response.status_code >= 500:
                            problems.append(f"{label}: server error {response.status_code}")
                        elif want and got_denied:
                            problems.append(
                                f"{label}: denied ({response.status_code}), must be allowed"
                            )
                        elif not want and not got_denied:
                            problems.append(f"{label}: {response.status_code}, must be denied")
    assert checked > 300
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "path",
    [
        "/units/{b}/people",
        "/units/{b}/people/{li}",
        "/units/{b}/org",
        "/units/{b}/dashboard",
        "/api/v1/units/{b}/people",
        "/api/v1/units/{b}/people/{li}",
        "/api/v1/units/{b}/org",
        "/api/v1/units/{b}/dashboard",
    ],
)
def test_unit_a_cannot_reach_unit_b(signed_in, world: World, path: str) -> None:  # type: ignore[no-untyped-def]
    url = path.format(b=world.units["b"], li=world.people["li"])
    officer_a = signed_in("security_officer")
    response = officer_a.get(url, follow_redirects=False)
    assert response.status_code == 403
    assert not world.leaked(response.text, "b")
    # Unit B's own officer may open the same address.
    assert signed_in("officer_b").get(url).status_code == 200


def test_unit_b_person_under_unit_a_address_is_not_found(signed_in, world: World) -> None:  # type: ignore[no-untyped-def]
    officer_a = signed_in("security_officer")
    for prefix in ("", "/api/v1"):
        url = f"{prefix}/units/{world.units['a']}/people/{world.people['li']}"
        response = officer_a.get(url)
        assert response.status_code == 404
        assert "李娜" not in response.text


def test_navigation_shows_only_what_the_role_may_use(signed_in, world: World) -> None:  # type: ignore[no-untyped-def]
    a = world.units["a"]
    nav_link = re.compile(r'<nav class="main-nav".*?</nav>', re.S)

    def nav(key: str) -> str:
        page = signed_in(key).get("/account")
        match = nav_link.search(page.text)
        return match.group(0) if match else ""

    officer, employee, admin = nav("security_officer"), nav("employee"), nav("admin")
    assert f"/units/{a}/people" in officer and "/admin/accounts" not in officer
    assert f"/units/{a}/people" not in employee and f"/units/{a}/dashboard" not in employee
    assert "/what-keyguard-records" in employee and "/account" in employee
    assert "/admin/accounts" in admin
