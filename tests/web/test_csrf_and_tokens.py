"""CSRF on every unsafe method; personal API tokens (hashed, shown once, bearer-exempt)."""

from __future__ import annotations

import datetime as dt
import hashlib

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.audit.models import AuditEntry
from keyguard.config import utcnow
from keyguard.identity.models import ApiToken

from .conftest import csrf_of, login
from .prepared import World


def test_unsafe_requests_need_the_session_token(signed_in, app: FastAPI, world: World) -> None:  # type: ignore[no-untyped-def]
    me = signed_in("employee")
    good = me.csrf
    del me.headers["X-CSRF-Token"]
    missing = me.post("/notifications/read-all", follow_redirects=False)
    assert missing.status_code == 403
    wrong = me.post(
        "/notifications/read-all", headers={"X-CSRF-Token": "x" * 43}, follow_redirects=False
    )
    assert wrong.status_code == 403
    header = me.post(
        "/notifications/read-all", headers={"X-CSRF-Token": good}, follow_redirects=False
    )
    assert header.status_code == 303
    form = me.post("/notifications/read-all", data={"csrf_token": good}, follow_redirects=False)
    assert form.status_code == 303
    # Another session's token is no good.
    other = signed_in("employee")
    assert (
        me.post(
            "/notifications/read-all", headers={"X-CSRF-Token": other.csrf}, follow_redirects=False
        ).status_code
        == 403
    )
    # The JSON API with the session cookie needs the token too.
    assert me.post("/api/v1/notifications/read-all").status_code == 403
    assert (
        me.post("/api/v1/notifications/read-all", headers={"X-CSRF-Token": good}).status_code == 200
    )


def test_pages_carry_the_token_for_htmx_and_forms(signed_in) -> None:  # type: ignore[no-untyped-def]
    me = signed_in("security_officer")
    page = me.get("/account").text
    assert f'hx-headers=\'{{"X-CSRF-Token": "{me.csrf}"}}\'' in page
    assert csrf_of(page) == me.csrf


def test_login_form_has_a_pre_session_token(client: TestClient, world: World) -> None:
    forged = client.post(
        "/login",
        data={"email": world.email("analyst"), "password": world.password},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    client.cookies.clear()
    page = client.get("/login")
    assert "kg_csrf=" in page.headers["set-cookie"]
    assert "SameSite=strict" in page.headers["set-cookie"]
    assert login(client, world.email("analyst"), world.password).status_code == 303


def test_api_token_shown_once_stored_hashed_and_bearer_exempt(
    signed_in, app: FastAPI, world: World, db: Session
) -> None:  # type: ignore[no-untyped-def]
    me = signed_in("security_officer")
    page = me.post("/account/tokens", data={"name": "nightly export 导出", "days": "30"})
    assert page.status_code == 200
    token = page.text.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert token.startswith("kg_")
    assert token not in me.get("/account").text  # never shown again
    row = db.scalars(select(ApiToken)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.name == "nightly export 导出"
    assert row.expires_at is not None and row.expires_at - utcnow() > dt.timedelta(days=29)
    assert token not in " ".join(e.details for e in db.scalars(select(AuditEntry)))
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "token_create")).one()

    with TestClient(app) as script:  # no cookie at all
        bearer = {"Authorization": f"Bearer {token}"}
        who = script.get("/api/v1/auth/whoami", headers=bearer).json()
        assert who["via"] == "token" and who["account_id"] == world.accounts["security_officer"]
        people = script.get(f"/api/v1/units/{world.units['a']}/people", headers=bearer)
        assert people.status_code == 200 and people.json()["identified"] is True
        # Unsafe requests with a bearer token need no CSRF token.
        created = script.post("/api/v1/account/tokens", json={"name": "second"}, headers=bearer)
        assert created.status_code == 201
        assert (
            script.get(
                "/api/v1/auth/whoami", headers={"Authorization": "Bearer kg_nope_nope"}
            ).status_code
            == 401
        )
        # Revoked tokens stop working.
        revoke = me.post(f"/account/tokens/{row.id}/revoke", follow_redirects=False)
        assert revoke.status_code == 303
        assert script.get("/api/v1/auth/whoami", headers=bearer).status_code == 401


def test_expired_token_is_refused(signed_in, app: FastAPI, now) -> None:  # type: ignore[no-untyped-def]
    now("2026-03-02T09:00:00")
    me = signed_in("analyst")
    created = me.post("/api/v1/account/tokens", json={"name": "short", "days": 1}).json()
    with TestClient(app) as script:
        bearer = {"Authorization": f"Bearer {created['token']}"}
        assert script.get("/api/v1/account", headers=bearer).status_code == 200
        now("2026-03-03T09:00:01")
        assert script.get("/api/v1/account", headers=bearer).status_code == 401


def test_a_bad_bearer_never_falls_back_to_the_cookie(signed_in) -> None:  # type: ignore[no-untyped-def]
    me = signed_in("analyst")
    response = me.get("/api/v1/account", headers={"Authorization": "Bearer kg_bad_token"})
    assert response.status_code == 401
