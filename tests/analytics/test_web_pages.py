"""The alert queue, alert detail with its JSON twin and evidence CSV, triage over the API,
and the risk list: pseudonymised, audited, never about the viewer, never for department
heads."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from keyguard.analytics.models import Alert
from keyguard.audit.models import AuditEntry
from keyguard.db.session import session_scope
from keyguard.identity.auth import SESSION_COOKIE
from keyguard.identity.models import Account
from keyguard.identity.service import create_account
from keyguard.identity.sessions import create_session
from keyguard.records.org.models import Person, Unit

from .conftest import Detected


@pytest.fixture(scope="module")
def clients(detected: Detected) -> Iterator[dict[str, TestClient]]:
    os.environ.setdefault("KEYGUARD_ARGON2_TIME_COST", "1")
    os.environ.setdefault("KEYGUARD_ARGON2_MEMORY_COST", "1024")
    from keyguard import config

    config.reset_settings()
    from keyguard.web.app import create_app

    out: dict[str, TestClient] = {}
    with session_scope(detected.engine) as s:
        unit = s.scalar(select(Unit).where(Unit.code == "t1"))
        target = s.scalar(select(Person).where(Person.staff_id == detected.targets["leak_upload"]))
        specs = {
            "analyst": ("analyst", None),
            "insider": ("analyst", target.id),
            "head": ("department_head", None),
        }
        ids = {}
        for key, (role, person) in specs.items():
            acc = s.scalar(select(Account).where(Account.email == f"{key}@web.test"))
            if acc is None:
                acc = create_account(
                    s,
                    email=f"{key}@web.test",
                    password="pw-123456789",
                    unit_id=unit.id,
                    person_id=person,
                    roles=[(role, unit.id)],
                )
            ids[key] = acc.id
    app = create_app()
    for key, account_id in ids.items():
        with session_scope(detected.engine) as s:
            token, ws = create_session(s, s.get(Account, account_id), totp_passed=True)
            csrf = ws.csrf_token
        c = TestClient(app)
        c.cookies.set(SESSION_COOKIE, token)
        c.headers["X-CSRF-Token"] = csrf
        out[key] = c
    yield out
    for c in out.values():
        c.close()


def _secrets(d: Detected) -> list[str]:
    out = []
    for p in d.org.people:
        out += [p.staff_id, p.staff_id.lower(), p.name, p.email, p.name.split()[1]]
    return out


def test_pages_twins_and_exports_hold_no_identity(
    detected: Detected, clients: dict[str, TestClient]
) -> None:
    c = clients["analyst"]
    with session_scope(detected.engine) as s:
        unit_id = s.scalar(select(Unit.id).where(Unit.code == "t1"))
        alert_ids = [a for (a,) in s.execute(select(Alert.id).where(Alert.active))]
    pages = [
        f"/units/{unit_id}/alerts",
        f"/units/{unit_id}/risk",
        f"/api/v1/units/{unit_id}/alerts",
        f"/api/v1/units/{unit_id}/risk",
    ]
    for aid in alert_ids:
        pages += [
            f"/units/{unit_id}/alerts/{aid}",
            f"/api/v1/units/{unit_id}/alerts/{aid}",
            f"/units/{unit_id}/alerts/{aid}/evidence.csv",
        ]
    texts = []
    for url in pages:
        r = c.get(url)
        assert r.status_code == 200, url
        texts.append(r.text)
    everything = "\n".join(texts)
    assert "P-" in everything and "outside need-to-know" in everything
    for secret in _secrets(detected):
        assert secret not in everything, secret
    with session_scope(detected.engine) as s:
        assert s.scalar(
            select(AuditEntry).where(
                AuditEntry.object_type == "alert_evidence", AuditEntry.action == "export"
            )
        )


def test_detail_has_chart_band_markers_and_day_filter(
    detected: Detected, clients: dict[str, TestClient]
) -> None:
    c = clients["analyst"]
    with session_scope(detected.engine) as s:
        unit_id = s.scalar(select(Unit.id).where(Unit.code == "t1"))
        a = s.scalar(select(Alert).where(Alert.policy_title.like("Low-and-slow%")))
        aid, fired = a.id, a.fired_day.isoformat()
    data = c.get(f"/api/v1/units/{unit_id}/alerts/{aid}").json()
    table = data["chart"]["table"]
    assert len(table) >= 61 and any(r["policies"] for r in table)
    assert any(r["usual_p90"] is not None for r in table)
    assert data["indicators"][0]["own_p90"] is not None and data["evidence"]
    # 70 days of history: the 90-day counts are shown with the value their own range is
    # computed on (scaled to a full window)
    windowed = [r for r in data["indicators"] if r["window"] == 90 and r["value"]]
    assert windowed and all(r["value_scaled"] > r["value"] for r in windowed)
    page = c.get(f"/units/{unit_id}/alerts/{aid}")
    assert "scaled to a full 90-day window" in page.text
    one_day = c.get(f"/api/v1/units/{unit_id}/alerts/{aid}/evidence", params={"day": fired})
    assert one_day.status_code == 200
    assert {e["local_time"][:10] for e in one_day.json()} <= {fired}
    frag = c.get(
        f"/units/{unit_id}/alerts/{aid}", params={"day": fired}, headers={"HX-Request": "true"}
    )
    assert frag.status_code == 200 and 'id="evidence"' in frag.text and "<html" not in frag.text


def test_triage_over_the_api_and_visibility(
    detected: Detected, clients: dict[str, TestClient]
) -> None:
    with session_scope(detected.engine) as s:
        unit_id = s.scalar(select(Unit.id).where(Unit.code == "t1"))
        target = s.scalar(select(Person).where(Person.staff_id == detected.targets["leak_upload"]))
        own = s.scalar(select(Alert.id).where(Alert.person_id == target.id))
        other = s.scalar(select(Alert.id).where(Alert.person_id != target.id, Alert.active))
    c = clients["analyst"]
    r = c.post(f"/api/v1/units/{unit_id}/alerts/{other}/triage", json={"status": "dismissed"})
    assert r.status_code == 400
    r = c.post(
        f"/api/v1/units/{unit_id}/alerts/{other}/triage",
        json={"status": "confirmed", "reason": "checked"},
    )
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    insider = clients["insider"]
    listed = {a["id"] for a in insider.get(f"/api/v1/units/{unit_id}/alerts").json()["alerts"]}
    assert own not in listed and other in listed
    assert insider.get(f"/api/v1/units/{unit_id}/alerts/{own}").status_code == 404
    head = clients["head"]
    for url in (
        f"/units/{unit_id}/alerts",
        f"/api/v1/units/{unit_id}/risk",
        f"/api/v1/units/{unit_id}/alerts/{other}",
    ):
        assert head.get(url).status_code == 403
