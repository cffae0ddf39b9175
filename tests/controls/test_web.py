"""The loophole pages and their JSON twins: the list with filters, a finding with its
evidence, assigning an owner and a due date, closing; identities hidden from those who may
not see them; permissions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from keyguard.controls.models import Finding
from keyguard.db.session import session_scope
from keyguard.identity.auth import SESSION_COOKIE
from keyguard.identity.sessions import create_session
from keyguard.web.app import create_app

from . import builders as b
from .builders import W
from .conftest import Scan, open_findings


@pytest.fixture
def site(
    session: Session, w: W, scan: Scan, engine: Engine
) -> Iterator[Callable[[str], TestClient]]:
    """Findings to show, accounts per role, and ``client(key)`` logged in as one."""
    it = b.item(session, w, "R1", custodian=None)
    b.grant(session, w, to="ENG001", it=it)
    b.leave(session, w.people["ENG001"], dt.date(2026, 5, 31))
    b.account(session, w, "analyst", None, "analyst")
    b.account(session, w, "employee", "ENG002", "employee")
    scan()
    session.commit()
    app = create_app()
    clients: list[TestClient] = []

    def client(key: str) -> TestClient:
        with session_scope(engine) as s:
            account = s.get(type(w.accounts[key]), w.accounts[key].id)
            assert account is not None
            token, ws = create_session(s, account, totp_passed=True)
            csrf = ws.csrf_token
        c = TestClient(app)
        c.cookies.set(SESSION_COOKIE, token)
        c.headers["X-CSRF-Token"] = csrf
        clients.append(c)
        return c

    yield client
    for c in clients:
        c.close()


def leaver_finding(session: Session, w: W) -> Finding:
    session.expire_all()
    return open_findings(session, w, "leaver-grants-live")[0]


def test_officer_lists_opens_assigns_and_closes(
    site: Callable[[str], TestClient], session: Session, w: W
) -> None:
    officer = site("officer")
    base = f"/units/{w.unit.id}/loopholes"
    page = officer.get(base)
    assert page.status_code == 200
    assert "Name Eng001 (ENG001) left on 2026-06-01" in page.text
    assert "Item R1 (secret, Company / Research): no custodian" in page.text
    part = officer.get(base, params={"severity": "high"}, headers={"HX-Request": "true"})
    assert part.status_code == 200 and "<html" not in part.text
    assert "left on 2026-06-01" in part.text and "no custodian" not in part.text

    f = leaver_finding(session, w)
    detail = officer.get(f"{base}/{f.id}")
    assert detail.status_code == 200
    assert 'id="evidence"' in detail.text and "access_grant" in detail.text
    assert "ENG001" in detail.text and "opened" in detail.text

    done = officer.post(
        f"{base}/{f.id}/assign",
        data={"owner": "HEAD001", "due_on": "2026-07-20", "note": "revoke it"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    f = leaver_finding(session, w)
    assert f.owner_person_id == w.people["HEAD001"].id and f.due_on == dt.date(2026, 7, 20)
    assert "Name Head001 (HEAD001)" in officer.get(f"{base}/{f.id}").text

    wrong = officer.post(f"{base}/{f.id}/assign", data={"owner": "NOBODY"})
    assert wrong.status_code == 400 and "NOBODY" in wrong.text

    closed = officer.post(
        f"{base}/{f.id}/close",
        data={"note": "grant revoked", "resolution": "fixed"},
        follow_redirects=False,
    )
    assert closed.status_code == 303
    session.expire_all()
    assert session.get(Finding, f.id).status == "closed"  # type: ignore[union-attr]
    assert officer.get(f"/units/{w.unit.id}/loopholes/checks").status_code == 200
    ran = officer.post(f"{base}/run", follow_redirects=False)
    assert ran.status_code == 303
    session.expire_all()
    assert session.get(Finding, f.id).status == "open"  # type: ignore[union-attr]


def test_analyst_sees_pseudonyms_and_may_not_act(
    site: Callable[[str], TestClient], session: Session, w: W
) -> None:
    analyst = site("analyst")
    base = f"/units/{w.unit.id}/loopholes"
    f = leaver_finding(session, w)
    alias = w.people["ENG001"].pseudonym
    page = analyst.get(base)
    assert page.status_code == 200 and alias in page.text and "ENG001" not in page.text
    detail = analyst.get(f"{base}/{f.id}")
    assert detail.status_code == 200
    assert "ENG001" not in detail.text and "Name Eng001" not in detail.text
    assert alias in detail.text and "/assign" not in detail.text
    assert analyst.post(f"{base}/{f.id}/assign", data={"owner": "HEAD001"}).status_code == 403
    api = analyst.get(f"/api/v1{base}/{f.id}").json()
    assert api["identified"] is False and "ENG001" not in str(api)
    assert site("employee").get(base).status_code == 403


def test_json_twins(site: Callable[[str], TestClient], session: Session, w: W) -> None:
    officer = site("officer")
    base = f"/api/v1/units/{w.unit.id}/loopholes"
    listing = officer.get(base).json()
    assert {f["check"] for f in listing["findings"]} >= {"leaver-grants-live", "item-without-owner"}
    assert (
        listing["counts"]["severity"]["high"] >= 1 and listing["last_run"]["as_of"] == "2026-06-30"
    )
    f = leaver_finding(session, w)
    one = officer.get(f"{base}/{f.id}").json()
    assert one["evidence"][0]["grantee"] == "ENG001" and one["history"][0]["kind"] == "opened"
    assert "urn:keyguard:framework:key-unit-security-prevention:4.6" in one["supports"]

    assigned = officer.post(
        f"{base}/{f.id}/assign", json={"owner_staff_id": "SEC001", "due_on": "2026-07-10"}
    )
    assert assigned.status_code == 200
    assert assigned.json()["owner"]["staff_id"] == "SEC001"
    assert assigned.json()["due_on"] == "2026-07-10"
    refused = officer.post(f"{base}/{f.id}/close", json={"note": "ok", "resolution": "accepted"})
    assert refused.status_code == 400
    accepted = officer.post(
        f"{base}/{f.id}/close",
        json={
            "note": "contractor returns in July",
            "resolution": "accepted",
            "until": "2026-07-31",
        },
    )
    assert accepted.json()["resolution"] == "accepted"
    checks = {c["id"]: c for c in officer.get(f"{base}/checks").json()}
    assert (
        checks["access-without-grant"]["reason"] == "not applicable: no events in the event store"
    )
    ran = officer.post(f"{base}/run").json()
    assert ran["checks"]["leaver-grants-live"]["state"] == "ran"
    cards = officer.get(f"/api/v1/units/{w.unit.id}/dashboard").json()["cards"]
    assert any(c["key"] == "loopholes" and c["data"]["open"] >= 1 for c in cards)
    assert officer.post(f"{base}/{f.id}/reopen", json={"note": "back"}).json()["status"] == "open"


def test_overdue_finding_changes_owner_without_a_new_due_date(
    site: Callable[[str], TestClient], session: Session, w: W
) -> None:
    officer = site("officer")
    f = leaver_finding(session, w)
    f.due_on = dt.date(2026, 6, 1)  # overdue
    session.commit()
    base = f"/units/{w.unit.id}/loopholes/{f.id}"
    page = officer.get(base)
    assert 'value="2026-06-01"' in page.text and "overdue" in page.text
    moved = officer.post(
        f"{base}/assign", data={"owner": "FIN001", "due_on": "2026-06-01"}, follow_redirects=False
    )
    assert moved.status_code == 303
    f = leaver_finding(session, w)
    assert f.owner_person_id == w.people["FIN001"].id and f.due_on == dt.date(2026, 6, 1)
    late = officer.post(f"{base}/assign", data={"owner": "FIN001", "due_on": "2026-06-02"})
    assert late.status_code == 400 and "in the past" in late.text
