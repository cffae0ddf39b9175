"""Layout, security headers, no inline script, notifications, the records page, API docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from keyguard import config
from keyguard.config import utcnow
from keyguard.scheduler.service import notify
from keyguard.web.app import STATIC

from .prepared import World

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"\sstyle\s*=", re.I)
EXTERNAL = re.compile(r"""(?:src|href)=["']https?://""", re.I)


def pages_of(client: TestClient) -> list[str]:
    home = client.get("/account").text
    return sorted(set(re.findall(r'<li><a href="(/[^"]*)"', home)) | {"/api/docs", "/account"})


@pytest.mark.parametrize("key", ["security_officer", "analyst", "employee", "admin", "supervisor"])
def test_pages_are_safe_and_self_contained(signed_in, key: str) -> None:  # type: ignore[no-untyped-def]
    me = signed_in(key)
    for path in pages_of(me):
        response = me.get(path)
        assert response.status_code == 200, path
        headers = response.headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["cache-control"] == "no-store"
        html = response.text
        assert not INLINE_SCRIPT.search(html), f"inline <script> on {path}"
        assert not INLINE_HANDLER.search(html), f"inline event handler on {path}"
        assert not INLINE_STYLE.search(html), f"inline style on {path}"
        assert not EXTERNAL.search(html), f"external asset on {path}"
        for landmark in (
            'class="skip-link" href="#main"',
            '<main id="main"',
            "<header",
            '<nav class="main-nav" aria-label=',
        ):
            assert landmark in html, (path, landmark)


def test_vendored_assets_are_served_locally(client: TestClient) -> None:
    for asset in (
        "vendor/htmx.min.js",
        "vendor/chart.umd.min.js",
        "vendor/axe.min.js",
        "vendor/swagger-ui/swagger-ui-bundle.js",
        "vendor/swagger-ui/swagger-ui.css",
        "css/keyguard.css",
        "js/keyguard.js",
        "js/api-docs.js",
    ):
        response = client.get(f"/static/{asset}")
        assert response.status_code == 200, asset
        assert response.headers.get("cache-control") != "no-store"
    assert 'version:"2.0.11"' in (STATIC / "vendor/htmx.min.js").read_text(encoding="utf-8")


def test_api_docs_use_local_swagger(signed_in, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    me = signed_in("analyst")
    page = me.get("/api/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    spec = me.get("/api/openapi.json").json()
    assert "/api/v1/units/{unit_id}/people" in spec["paths"]
    assert all(p.startswith("/api/v1/") for p in spec["paths"])
    assert client.get("/api/openapi.json").status_code == 401


def test_demo_banner(signed_in, world: World, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    officer_b = signed_in("officer_b")  # unit B is a demo unit
    assert "DEMO DATA" in officer_b.get("/account").text
    officer_a = signed_in("security_officer")
    assert "DEMO DATA" not in officer_a.get("/account").text
    monkeypatch.setenv("KEYGUARD_DEMO", "true")
    config.reset_settings()
    assert "DEMO DATA" in officer_a.get("/account").text
    assert "DEMO DATA" in TestClient(officer_a.app).get("/login").text


def test_unit_switch_for_a_principal_with_several_units(signed_in, world: World) -> None:  # type: ignore[no-untyped-def]
    admin = signed_in("admin")
    page = admin.get("/account").text
    assert 'id="unit-picker"' in page and "Unit B" in page
    moved = admin.post("/unit", data={"unit_id": str(world.units["b"])}, follow_redirects=False)
    assert moved.headers["location"] == f"/units/{world.units['b']}/dashboard"
    assert f"/units/{world.units['b']}/people" in admin.get("/account").text
    # A unit one holds no role in cannot be chosen.
    officer = signed_in("security_officer")
    officer.post("/unit", data={"unit_id": str(world.units["b"])})
    assert f"/units/{world.units['a']}/people" in officer.get("/account").text


def test_notifications_and_unread_count(signed_in, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    mine = world.accounts["employee"]
    first = notify(
        db,
        kind="duty",
        subject="Sign your statement 签署",
        body="Due Friday",
        account_id=mine,
        link="/account",
    )
    notify(db, kind="duty", subject="Second reminder", account_id=mine)
    theirs = notify(db, kind="duty", subject="Not yours", account_id=world.accounts["analyst"])
    db.commit()
    me = signed_in("employee")
    page = me.get("/account").text
    assert 'id="unread-count">2' in page
    listing = me.get("/notifications").text
    assert "Sign your statement 签署" in listing and "Not yours" not in listing
    opened = me.post(f"/notifications/{first.id}/read", follow_redirects=False)
    assert opened.headers["location"] == "/account"
    assert 'id="unread-count">1' in me.get("/account").text
    assert me.post(f"/notifications/{theirs.id}/read").status_code == 404
    api = me.get("/api/v1/notifications").json()
    assert api["unread"] == 1 and [n["subject"] for n in api["items"]] == [
        "Second reminder",
        "Sign your statement 签署",
    ]
    me.post("/api/v1/notifications/read-all")
    assert 'id="unread-count"' not in me.get("/account").text
    db.expire_all()
    assert db.get(type(theirs), theirs.id).read_at is None
    assert db.get(type(first), first.id).read_at <= utcnow()


def test_notification_links_elsewhere_are_not_followed(
    signed_in, world: World, db: Session
) -> None:  # type: ignore[no-untyped-def]
    note = notify(
        db,
        kind="x",
        subject="phish",
        account_id=world.accounts["employee"],
        link="https://evil.example/",
    )
    db.commit()
    me = signed_in("employee")
    assert "evil.example" not in me.get("/notifications").text
    assert (
        me.post(f"/notifications/{note.id}/read", follow_redirects=False).headers["location"]
        == "/notifications"
    )


def test_what_keyguard_records_lists_every_hook(signed_in, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from keyguard.plugins import get_plugin_manager

    pm = get_plugin_manager()

    class Extra:
        @staticmethod
        def keyguard_recorded_fields() -> list[dict[str, str]]:
            return [
                {
                    "source": "Badge readers <b>",
                    "field": "door and time",
                    "purpose": "p",
                    "kept": "90 days",
                }
            ]

    from keyguard.hookspecs import hookimpl

    hookimpl(Extra.keyguard_recorded_fields)
    pm.register(Extra, name="test-extra")
    try:
        me = signed_in("employee")
        page = me.get("/what-keyguard-records").text
        assert "Badge readers &lt;b&gt;" in page and "door and time" in page
        assert "every opening of a person" in page  # what logging in keeps
        api = me.get("/api/v1/what-keyguard-records").json()
        assert {
            "source": "Badge readers <b>",
            "field": "door and time",
            "purpose": "p",
            "kept": "90 days",
        } in api["fields"]
    finally:
        pm.unregister(name="test-extra")


def test_unknown_page_and_forbidden_page_render_the_layout(signed_in, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    me = signed_in("employee")
    missing = me.get("/no/such/page")
    assert missing.status_code == 404 and "Not found" in missing.text
    assert '<nav class="main-nav"' in missing.text
    forbidden = me.get("/admin/accounts")
    assert forbidden.status_code == 403 and "You may not open this page" in forbidden.text
    assert client.get("/no/such/page").status_code == 404
    assert client.get("/api/v1/no/such").json() == {"detail": "Not Found"}


def test_health_check(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_static_has_no_inline_script_either() -> None:
    for template in Path(STATIC.parent / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not INLINE_SCRIPT.search(text), template
        assert not INLINE_HANDLER.search(text), template
        assert not INLINE_STYLE.search(text), template


def test_app_factory_builds_twice(world: World) -> None:
    from keyguard.web.app import create_app

    first, second = create_app(), create_app()
    assert isinstance(first, FastAPI) and isinstance(second, FastAPI)
    assert [i["path"] for i in first.state.nav] == [i["path"] for i in second.state.nav]


def test_times_are_shown_in_the_unit_time_zone(signed_in, world: World, db: Session, now) -> None:  # type: ignore[no-untyped-def]
    now("2026-03-02T01:00:00")
    notify(db, kind="x", subject="clock", account_id=world.accounts["employee"])
    db.commit()
    page = signed_in("employee").get("/notifications").text  # unit A: Asia/Shanghai
    assert "Mar 2, 2026, 9:00:00" in page
