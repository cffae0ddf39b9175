"""Administration of accounts and roles through the pages and the API."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.audit.models import AuditEntry
from keyguard.identity.models import Account, RoleAssignment, WebSession

from .conftest import login
from .prepared import World


def test_create_account_records_who_did_it(
    signed_in, app: FastAPI, world: World, db: Session
) -> None:  # type: ignore[no-untyped-def]
    admin = signed_in("admin")
    form = admin.get("/admin/accounts/new")
    assert form.status_code == 200 and "Unit A 研究所" in form.text
    page = admin.post(
        "/admin/accounts",
        data={
            "email": "Fatima.Zahra@keyguard.example",
            "display_name": "فاطمة الزهراء",
            "role": "analyst",
            "unit_id": str(world.units["a"]),
            "staff_id": "A002",
            "language": "zh_Hans_CN",
        },
    )
    assert page.status_code == 200
    password = re.search(r'id="new-password">([^<]+)<', page.text).group(1)
    account = db.scalars(
        select(Account).where(Account.email == "fatima.zahra@keyguard.example")
    ).one()
    assert account.display_name == "فاطمة الزهراء"
    assert account.created_by_id == world.accounts["admin"]
    assert account.person_id == world.people["arabic"] and account.language == "zh_Hans_CN"
    role = db.scalars(select(RoleAssignment).where(RoleAssignment.account_id == account.id)).one()
    assert (role.role, role.unit_id, role.granted_by_id) == (
        "analyst",
        world.units["a"],
        world.accounts["admin"],
    )
    with TestClient(app) as c:
        assert login(c, "fatima.zahra@keyguard.example", password).status_code == 303
        assert "退出登录" in c.get("/account").text
    listing = admin.get("/admin/accounts").text
    assert "fatima.zahra@keyguard.example" in listing and "فاطمة الزهراء" in listing


def test_create_account_refuses_bad_input(signed_in, world: World) -> None:  # type: ignore[no-untyped-def]
    admin = signed_in("admin")
    for data, message in (
        ({"email": "x@keyguard.example", "role": "analyst"}, "choose a unit for this role"),
        ({"email": "y@keyguard.example", "role": "admin", "unit_id": str(world.units["a"])}, None),
        ({"email": "z@keyguard.example", "role": "supervisor"}, "supervising body"),
        (
            {
                "email": "w@keyguard.example",
                "role": "employee",
                "unit_id": str(world.units["a"]),
                "staff_id": "B001",
            },
            "no person with this staff id",
        ),
        (
            {"email": world.email("analyst"), "role": "employee", "unit_id": str(world.units["a"])},
            "already exists",
        ),
    ):
        response = admin.post("/admin/accounts", data=data)
        if message is None:
            assert response.status_code == 200  # admin ignores the unit: installation-wide
        else:
            assert response.status_code == 400 and message in response.text, data


def test_roles_are_given_and_taken_with_granted_by(signed_in, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    admin = signed_in("admin")
    target = world.accounts["employee"]
    given = admin.post(
        f"/admin/accounts/{target}/roles",
        data={"role": "analyst", "unit_id": str(world.units["a"])},
        follow_redirects=False,
    )
    assert given.status_code == 303
    row = db.scalars(
        select(RoleAssignment).where(
            RoleAssignment.account_id == target, RoleAssignment.role == "analyst"
        )
    ).one()
    assert row.granted_by_id == world.accounts["admin"]
    employee = signed_in("employee")
    assert employee.get(f"/units/{world.units['a']}/people").status_code == 200
    refused = admin.post(f"/admin/accounts/{target}/roles", data={"role": "analyst"})
    assert refused.status_code == 400
    taken = admin.post(
        f"/admin/accounts/{target}/roles/revoke",
        data={"role": "analyst", "unit_id": str(world.units["a"])},
        follow_redirects=False,
    )
    assert taken.status_code == 303
    assert signed_in("employee").get(f"/units/{world.units['a']}/people").status_code == 403
    db.expire_all()
    changes = db.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "role_assignment")
    ).all()
    assert [c.action for c in changes][-2:] == ["create", "delete"]
    assert changes[-1].actor == f"account:{world.accounts['admin']}"


def test_deactivate_and_reset(signed_in, app: FastAPI, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    admin = signed_in("admin")
    victim = signed_in("analyst")
    target = world.accounts["analyst"]
    off = admin.post(
        f"/admin/accounts/{target}/active", data={"active": "false"}, follow_redirects=False
    )
    assert off.status_code == 303
    assert victim.get("/account", follow_redirects=False).status_code == 303
    assert db.scalars(select(WebSession).where(WebSession.account_id == target)).all() == []
    self_off = admin.post(
        f"/admin/accounts/{world.accounts['admin']}/active", data={"active": "false"}
    )
    assert self_off.status_code == 400
    admin.post(f"/admin/accounts/{target}/active", data={"active": "true"})
    page = admin.post(f"/admin/accounts/{target}/password")
    password = re.search(r'id="new-password">([^<]+)<', page.text).group(1)
    with TestClient(app) as c:
        assert login(c, world.email("analyst"), world.password).status_code == 400
        assert login(c, world.email("analyst"), password).status_code == 303
    db.expire_all()
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "password_reset")).one()


def test_admin_api(signed_in, world: World) -> None:  # type: ignore[no-untyped-def]
    admin = signed_in("admin")
    created = admin.post(
        "/api/v1/admin/accounts",
        json={
            "email": "chen.jing@keyguard.example",
            "display_name": "陈静",
            "role": "auditor",
            "unit_id": world.units["a"],
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert body["display_name"] == "陈静" and body["created_by_id"] == world.accounts["admin"]
    assert len(body["password"]) >= 12
    account_id = body["id"]
    roles = admin.post(
        f"/api/v1/admin/accounts/{account_id}/roles",
        json={"role": "analyst", "unit_id": world.units["b"]},
    ).json()["roles"]
    assert {
        "role": "analyst",
        "unit_id": world.units["b"],
        "granted_by_id": world.accounts["admin"],
    } in roles
    assert (
        admin.post(
            f"/api/v1/admin/accounts/{account_id}/roles", json={"role": "nonsense", "unit_id": 1}
        ).status_code
        == 400
    )
    listing = admin.get("/api/v1/admin/accounts").json()
    assert "chen.jing@keyguard.example" in [a["email"] for a in listing]
    assert all("password_hash" not in a for a in listing)
    book = admin.get("/api/v1/admin/roles").json()
    assert "people.identify" in book["roles"]["security_officer"]["permissions"]
