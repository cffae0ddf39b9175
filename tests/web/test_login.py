"""Login, logout, back-off, session cookies, TOTP and password change through the pages."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard import config
from keyguard.audit.models import AuditEntry
from keyguard.config import utcnow
from keyguard.identity.models import Account, WebSession

from .conftest import csrf_of, login
from .prepared import World


def audit_actions(db: Session, action: str) -> list[AuditEntry]:
    db.expire_all()
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_login_sets_a_safe_cookie_and_logout_ends_the_session(
    client: TestClient, world: World, db: Session
) -> None:
    response = login(client, world.email("analyst"), world.password)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "kg_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie
    home = client.get("/")
    assert home.url.path == f"/units/{world.units['a']}/dashboard"
    assert [e.actor for e in audit_actions(db, "login")] == [f"account:{world.accounts['analyst']}"]
    token = csrf_of(client.get("/account").text)
    assert (
        client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        .headers["location"]
        .startswith("/login")
    )
    assert client.get("/account", follow_redirects=False).headers["location"] == (
        "/login?next=%2Faccount"
    )
    assert db.scalars(select(WebSession)).all() == []
    assert len(audit_actions(db, "logout")) == 1


def test_secure_cookie_behind_tls(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEYGUARD_SECURE_COOKIES", "true")
    config.reset_settings()
    response = login(client, world.email("analyst"), world.password)
    assert "Secure" in response.headers["set-cookie"]


def test_wrong_password_is_refused_and_audited(
    client: TestClient, world: World, db: Session
) -> None:
    response = login(client, world.email("analyst"), "not-the-password-1")
    assert response.status_code == 400
    assert "kg_session" not in response.headers.get("set-cookie", "")
    assert "Wrong e-mail address or password." in response.text
    unknown = login(client, "nobody@keyguard.example", "not-the-password-1")
    assert unknown.status_code == 400
    failed = audit_actions(db, "login_failed")
    assert len(failed) == 2
    assert db.get(Account, world.accounts["analyst"]).failed_logins == 1


def test_back_off_after_repeated_failures(
    client: TestClient, world: World, db: Session, now
) -> None:  # type: ignore[no-untyped-def]
    now("2026-03-02T09:00:00")
    settings = config.get_settings()
    for _ in range(settings.login_max_failures):
        login(client, world.email("analyst"), "wrong-password-123")
    blocked = login(client, world.email("analyst"), world.password)
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "Too many failed attempts" in blocked.text
    db.expire_all()
    locked_until = db.get(Account, world.accounts["analyst"]).locked_until
    assert locked_until is not None and locked_until > utcnow()
    assert audit_actions(db, "login_blocked")
    # One more failure doubles the wait (after the first lock expires).
    later = locked_until + dt.timedelta(seconds=1)
    now(later.isoformat())
    login(client, world.email("analyst"), "wrong-password-123")
    db.expire_all()
    second = db.get(Account, world.accounts["analyst"]).locked_until
    assert second is not None and (second - later) >= dt.timedelta(
        seconds=2 * settings.login_backoff_seconds - 1
    )
    now((second + dt.timedelta(seconds=1)).isoformat())
    assert login(client, world.email("analyst"), world.password).status_code == 303
    db.expire_all()
    assert db.get(Account, world.accounts["analyst"]).failed_logins == 0


def test_deactivated_account_cannot_log_in(client: TestClient, world: World, db: Session) -> None:
    account = db.get(Account, world.accounts["employee"])
    account.is_active = False
    db.commit()
    assert login(client, world.email("employee"), world.password).status_code == 400


def test_login_redirects_only_to_local_pages(client: TestClient, world: World) -> None:
    ok = login(client, world.email("analyst"), world.password, next="/notifications")
    assert ok.headers["location"] == "/notifications"
    client.cookies.clear()
    evil = login(client, world.email("analyst"), world.password, next="https://evil.example/")
    assert evil.headers["location"] == "/"
    client.cookies.clear()
    evil = login(client, world.email("analyst"), world.password, next="//evil.example/x")
    assert evil.headers["location"] == "/"


def test_expired_session_is_logged_out(client: TestClient, world: World, now) -> None:  # type: ignore[no-untyped-def]
    now("2026-03-02T09:00:00")
    login(client, world.email("analyst"), world.password)
    assert client.get("/account").status_code == 200
    now("2026-03-02T18:00:01")  # session_hours = 8
    assert client.get("/account", follow_redirects=False).status_code == 303


def _enable_totp(client: TestClient) -> str:
    page = client.get("/account")
    client.post("/account/totp/start", data={"csrf_token": csrf_of(page.text)})
    page = client.get("/account")
    secret = page.text.split('id="totp-secret">', 1)[1].split("<", 1)[0]
    assert "otpauth://totp/" in page.text
    done = client.post(
        "/account/totp/confirm",
        data={"csrf_token": csrf_of(page.text), "code": pyotp.TOTP(secret).now()},
        follow_redirects=False,
    )
    assert done.status_code == 303
    return secret


def test_totp_is_asked_after_the_password(app: FastAPI, world: World, db: Session) -> None:
    with TestClient(app) as first:
        login(first, world.email("employee"), world.password)
        secret = _enable_totp(first)
    assert db.get(Account, world.accounts["employee"]).totp_enabled
    with TestClient(app) as c:
        response = login(c, world.email("employee"), world.password, next="/notifications")
        assert response.headers["location"] == "/login/totp?next=/notifications"
        # Half-logged-in: no page but the code form.
        assert c.get("/account", follow_redirects=False).status_code == 303
        form = c.get("/login/totp")
        assert form.status_code == 200
        wrong = c.post(
            "/login/totp",
            data={"csrf_token": csrf_of(form.text), "code": "000000", "next": "/notifications"},
        )
        assert wrong.status_code == 400
        right = c.post(
            "/login/totp",
            data={
                "csrf_token": csrf_of(form.text),
                "code": pyotp.TOTP(secret).now(),
                "next": "/notifications",
            },
            follow_redirects=False,
        )
        assert right.status_code == 303 and right.headers["location"] == "/notifications"
        assert c.get("/account").status_code == 200


def test_totp_failures_count_towards_the_back_off(app: FastAPI, world: World) -> None:
    with TestClient(app) as first:
        login(first, world.email("employee"), world.password)
        _enable_totp(first)
    with TestClient(app) as c:
        login(c, world.email("employee"), world.password)
        last = None
        for _ in range(config.get_settings().login_max_failures):
            form = c.get("/login/totp")
            if form.url.path != "/login/totp":
                break
            last = c.post("/login/totp", data={"csrf_token": csrf_of(form.text), "code": "000000"})
        assert last is not None and last.status_code == 429
        assert c.get("/account", follow_redirects=False).status_code == 303


def test_totp_stays_on_for_approvers(signed_in, world: World) -> None:  # type: ignore[no-untyped-def]
    officer = signed_in("security_officer")
    secret = _enable_totp(officer)
    page = officer.get("/account")
    assert "stays on" in page.text
    refused = officer.post("/account/totp/disable", data={"code": pyotp.TOTP(secret).now()})
    assert refused.status_code == 400
    employee = signed_in("employee")
    secret = _enable_totp(employee)
    off = employee.post(
        "/account/totp/disable", data={"code": pyotp.TOTP(secret).now()}, follow_redirects=False
    )
    assert off.status_code == 303


def test_password_change(signed_in, app: FastAPI, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    me = signed_in("analyst")
    other = signed_in("analyst")
    bad = me.post(
        "/account/password",
        data={
            "current": "wrong-password-1",
            "new": "n3w-passphrase-ok",
            "confirm": "n3w-passphrase-ok",
        },
    )
    assert bad.status_code == 400 and "current password is wrong" in bad.text
    short = me.post(
        "/account/password", data={"current": world.password, "new": "short1", "confirm": "short1"}
    )
    assert short.status_code == 400 and "12 characters" in short.text
    ok = me.post(
        "/account/password",
        data={
            "current": world.password,
            "new": "n3w-passphrase-ok",
            "confirm": "n3w-passphrase-ok",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert me.get("/account").status_code == 200
    assert other.get("/account", follow_redirects=False).status_code == 303  # other sessions end
    assert len(audit_actions(db, "password_change")) == 1
    with TestClient(app) as c:
        assert login(c, world.email("analyst"), world.password).status_code == 400
        assert login(c, world.email("analyst"), "n3w-passphrase-ok").status_code == 303


def test_a_sign_in_code_cannot_be_replayed(app: FastAPI, world: World, db: Session) -> None:
    with TestClient(app) as first:
        login(first, world.email("employee"), world.password)
        secret = _enable_totp(first)
    code = pyotp.TOTP(secret).now()
    with TestClient(app) as c:
        login(c, world.email("employee"), world.password)
        form = c.get("/login/totp")
        ok = c.post(
            "/login/totp",
            data={"csrf_token": csrf_of(form.text), "code": code},
            follow_redirects=False,
        )
        assert ok.status_code == 303
    with TestClient(app) as thief:  # the same code, seen over the shoulder
        login(thief, world.email("employee"), world.password)
        form = thief.get("/login/totp")
        again = thief.post("/login/totp", data={"csrf_token": csrf_of(form.text), "code": code})
        assert again.status_code == 400
        assert thief.get("/account", follow_redirects=False).status_code == 303
    assert audit_actions(db, "totp_replay_refused")


def test_an_idle_session_is_logged_out(client: TestClient, world: World, now) -> None:  # type: ignore[no-untyped-def]
    idle = config.get_settings().session_idle_minutes
    now("2026-03-02T09:00:00")
    login(client, world.email("analyst"), world.password)
    now("2026-03-02T09:20:00")
    assert client.get("/account").status_code == 200
    later = dt.datetime(2026, 3, 2, 9, 20) + dt.timedelta(minutes=idle)
    now(later.isoformat())
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_one_address_cannot_spray_passwords_over_many_accounts(
    client: TestClient, world: World, db: Session, monkeypatch: pytest.MonkeyPatch, now
) -> None:  # type: ignore[no-untyped-def]
    now("2026-03-02T09:00:00")
    monkeypatch.setenv("KEYGUARD_LOGIN_IP_MAX_FAILURES", "3")
    monkeypatch.setenv("KEYGUARD_LOGIN_IP_WINDOW_SECONDS", "600")
    config.reset_settings()
    # One wrong password on each of three accounts: no account is locked ...
    for key in ("analyst", "employee", "security_officer"):
        assert login(client, world.email(key), "a-guess").status_code == 400
    # ... but the address is: even the right password of a fourth account waits.
    blocked = login(client, world.email("auditor"), world.password)
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["retry-after"]) <= 600
    assert audit_actions(db, "login_blocked_address")
    for key in ("analyst", "employee", "security_officer"):
        assert db.get(Account, world.accounts[key]).locked_until is None
    now("2026-03-02T09:10:01")  # the failures have left the window
    assert login(client, world.email("auditor"), world.password).status_code == 303
