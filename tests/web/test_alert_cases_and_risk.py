"""On a detected organization (``analytics.conftest.detected``): an alert's page opens a case
(analysts and officers, not auditors) and lists the cases the alert is in; the risk page
shows the same people, scores and alert counts as the analytics service's risk list, a page
at a time, pseudonymised and audited."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from analytics.conftest import Detected, detected  # noqa: F401
from keyguard.analytics import service
from keyguard.analytics.models import Alert
from keyguard.audit.models import AuditEntry
from keyguard.cases.models import Case
from keyguard.db.session import session_scope
from keyguard.identity.auth import SESSION_COOKIE
from keyguard.identity.models import Account
from keyguard.identity.service import create_account
from keyguard.identity.sessions import create_session
from keyguard.records.org.models import Person, Unit

ROLES = {"analyst": "analyst", "officer": "security_officer", "auditor": "auditor"}


@pytest.fixture(scope="module")
def clients(detected: Detected) -> Iterator[dict[str, TestClient]]:  # noqa: F811
    os.environ.setdefault("KEYGUARD_ARGON2_TIME_COST", "1")
    os.environ.setdefault("KEYGUARD_ARGON2_MEMORY_COST", "1024")
    from keyguard import config

    config.reset_settings()
    from keyguard.web.app import create_app

    ids = {}
    with session_scope(detected.engine) as s:
        unit = s.scalar(select(Unit).where(Unit.code == "t1"))
        assert unit is not None
        for key, role in ROLES.items():
            email = f"{key}@risk-cases.test"
            acc = s.scalar(select(Account).where(Account.email == email))
            if acc is None:
                acc = create_account(
                    s,
                    email=email,
                    password="pw-123456789",
                    unit_id=unit.id,
                    roles=[(role, unit.id)],
                )
            ids[key] = acc.id
    app = create_app()
    out: dict[str, TestClient] = {}
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


def _unit_id(d: Detected) -> int:
    with session_scope(d.engine) as s:
        uid = s.scalar(select(Unit.id).where(Unit.code == "t1"))
        assert uid is not None
        return uid


def _secrets(d: Detected) -> list[str]:
    out = []
    for p in d.org.people:
        out += [p.staff_id, p.name, p.email]
    return out


def test_open_a_case_from_the_alert_page(
    detected: Detected,  # noqa: F811
    clients: dict[str, TestClient],
) -> None:
    u = _unit_id(detected)
    with session_scope(detected.engine) as s:
        aid = s.scalar(
            select(Alert.id)
            .where(Alert.unit_id == u, Alert.active, Alert.status == "new")
            .order_by(Alert.score.desc())
        )
    assert aid is not None
    analyst, auditor = clients["analyst"], clients["auditor"]
    page = analyst.get(f"/units/{u}/alerts/{aid}")
    assert page.status_code == 200
    assert 'id="open-case-form"' in page.text and "Not in a case yet." in page.text
    assert f'name="ref" value="{aid}"' in page.text
    # an auditor sees no alerts at all; without cases.manage nobody may open a case
    assert auditor.get(f"/units/{u}/alerts/{aid}").status_code == 403
    assert auditor.post(f"/units/{u}/cases", data={"kind": "alert", "ref": aid}).status_code == 403
    r = analyst.post(
        f"/units/{u}/cases",
        data={"kind": "alert", "ref": aid, "title": "Look at the uploads"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    case_id = int(re.search(r"/cases/(\d+)", r.headers["location"]).group(1))  # type: ignore[union-attr]
    with session_scope(detected.engine) as s:
        case = s.get(Case, case_id)
        assert case is not None and case.title == "Look at the uploads"
        number = case.number
        assert s.get(Alert, aid).status == "under_review"  # type: ignore[union-attr]
    again = analyst.get(f"/units/{u}/alerts/{aid}")
    assert f'href="/units/{u}/cases/{case_id}"' in again.text and number in again.text
    assert 'id="open-case-form"' not in again.text and 'id="alert-active-case"' in again.text
    officer_view = clients["officer"].get(f"/units/{u}/alerts/{aid}")
    assert number in officer_view.text
    for secret in _secrets(detected):
        assert secret not in again.text, secret
    # a second case for the same alert is refused while the first is open
    twice = analyst.post(f"/units/{u}/cases", data={"kind": "alert", "ref": aid})
    assert twice.status_code == 400 and number in twice.text


def test_risk_page_matches_the_service_and_pages(
    detected: Detected,  # noqa: F811
    clients: dict[str, TestClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    u = _unit_id(detected)
    with session_scope(detected.engine) as s:
        unit = s.get(Unit, u)
        assert unit is not None
        expected = service.risk_list(s, unit=unit, viewer=service.Viewer(), limit=10_000)
        as_of = s.scalar(select(func.max(Alert.last_day)).where(Alert.unit_id == u))
        assert as_of is not None
        earlier = service.risk_list(
            s, unit=unit, viewer=service.Viewer(), as_of=as_of, limit=10_000
        )
        n_people = s.scalar(select(func.count()).select_from(Person).where(Person.unit_id == u))
    assert len(expected) >= 6 and n_people
    want = [(r["user"], r["score"], r["last_day"], r["alerts"]) for r in expected]
    monkeypatch.setattr(service, "RISK_PAGE_SIZE", 5)
    analyst = clients["analyst"]
    got = []
    pages = -(-len(expected) // 5)
    for page in range(1, pages + 1):
        html = analyst.get(f"/units/{u}/risk", params={"page": page})
        assert html.status_code == 200
        rows = re.findall(
            r"<tr><td>(P-[^<]+)</td><td>([^<]+)</td><td>([^<]+)</td><td>[^<]*</td><td>(\d+)</td></tr>",
            html.text,
        )
        assert len(rows) == min(5, len(expected) - 5 * (page - 1))
        got += [(user, score, day, int(alerts)) for user, score, day, alerts in rows]
        assert (f"page={page + 1}" in html.text) == (page < pages)
        for secret in _secrets(detected):
            assert secret not in html.text, secret
    assert [(g[0], g[2], g[3]) for g in got] == [(w[0], w[2], w[3]) for w in want]
    assert [float(g[1]) for g in got] == pytest.approx([w[1] for w in want], abs=0.051)
    # a chosen day: the decayed risk of each person's latest day up to then
    dated = analyst.get(f"/units/{u}/risk", params={"as_of": as_of.isoformat(), "page": 1})
    first = re.search(r"<tr><td>(P-[^<]+)</td><td>([^<]+)</td>", dated.text)
    assert first is not None and earlier
    assert (first.group(1), float(first.group(2))) == (
        earlier[0]["user"],
        pytest.approx(earlier[0]["score"], abs=0.051),
    )
    assert f"as_of={as_of.isoformat()}&amp;page=2" in dated.text or len(earlier) <= 5
    assert analyst.get(f"/units/{u}/risk", params={"as_of": "soon"}).status_code == 400
    with session_scope(detected.engine) as s:
        seen = s.scalars(
            select(AuditEntry.details).where(AuditEntry.object_type == "risk_list")
        ).all()
    assert any(json.loads(d).get("page") == 2 for d in seen)
