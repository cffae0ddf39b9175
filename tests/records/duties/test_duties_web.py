"""The duty, training and compliance pages and their JSON twins, in-process."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from orgfactory import Org, build_org
from sqlalchemy import Engine, select

from keyguard.db.session import session_scope, sessionmaker_for
from keyguard.identity.auth import SESSION_COOKIE
from keyguard.identity.service import create_account
from keyguard.identity.sessions import create_session
from keyguard.records.duties import service as duties
from keyguard.records.duties.models import Attestation, ResponsibilityStatement
from keyguard.records.education import service as education
from keyguard.web.app import create_app

ROLES = {
    "eng": "employee",
    "head": "department_head",
    "cso": "security_officer",
    "lead": "employee",
}


@pytest.fixture
def site(engine: Engine, home: Path, now) -> Iterator[tuple[Org, Callable[[str], TestClient]]]:
    now("2026-03-02T09:00:00")
    with session_scope(engine) as s:
        org = build_org(s)
        duties.load_builtin_frameworks(s, unit=org.unit)
        duties.assign_duties(s, unit=org.unit, day=dt.date(2026, 1, 5))
        education.load_builtin_courses(s, unit=org.unit)
        education.create_campaign(
            s,
            unit=org.unit,
            name="Everyone",
            course_urn="urn:keyguard:course:reporting",
            audience_key="all-staff",
            starts_on=dt.date(2026, 1, 5),
        )
        campaign = education.list_campaigns(s, unit_id=org.unit.id)[0]
        education.enrol(s, campaign, dt.date(2026, 3, 2))
        accounts = {}
        for key, role in ROLES.items():
            acc = create_account(
                s,
                email=f"{key}@example.org",
                password="correct-horse-9x",
                unit_id=org.unit.id,
                person_id=org.people[key].id,
                roles=[(role, org.unit.id), ("employee", org.unit.id)],
            )
            accounts[key] = acc.id
    app = create_app()
    clients: list[TestClient] = []

    def signed_in(key: str) -> TestClient:
        with session_scope(engine) as s:
            from keyguard.identity.models import Account

            token, ws = create_session(s, s.get(Account, accounts[key]), totp_passed=True)
            csrf = ws.csrf_token
        c = TestClient(app)
        c.cookies.set(SESSION_COOKIE, token)
        c.headers["X-CSRF-Token"] = csrf
        clients.append(c)
        return c

    yield org, signed_in
    for c in clients:
        c.close()


def test_employee_signs_statement_and_attests(site, engine: Engine) -> None:
    org, signed_in = site
    eng = signed_in("eng")
    u = org.unit.id
    page = eng.get(f"/units/{u}/duties/my")
    assert page.status_code == 200 and "Responsibility statement" in page.text
    data = eng.get(f"/api/v1/units/{u}/duties/my").json()
    st = data["statement"]
    assert st["status"] == "overdue" and "Erik Engineer" in st["text"]
    refused = eng.post(f"/units/{u}/duties/my/statement", data={"sha256": st["sha256"]})
    assert refused.status_code == 409 and "tick the box" in refused.text
    ok = eng.post(
        f"/units/{u}/duties/my/statement",
        data={"sha256": st["sha256"], "confirm": "yes"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    item = next(i for i in data["items"] if i["status"] != "done")
    api = eng.post(
        f"/api/v1/units/{u}/duties/my/attest",
        json={
            "duty_id": item["duty_id"],
            "period": item["period"],
            "sha256": item["sha256"],
            "note": "minutes",
        },
    )
    assert api.status_code == 200, api.text
    with sessionmaker_for(engine)() as s:
        row = s.scalar(select(ResponsibilityStatement))
        assert row.text == st["text"] and row.account_id is not None
        assert s.scalar(select(Attestation)).evidence_note == "minutes"
    after = eng.get(f"/api/v1/units/{u}/duties/my").json()
    assert after["statement"]["status"] == "done"


def test_employee_takes_quiz_and_downloads_certificate(site) -> None:
    org, signed_in = site
    eng = signed_in("eng")
    u = org.unit.id
    mine = eng.get(f"/units/{u}/training/my")
    assert mine.status_code == 200 and "How and what to report" in mine.text
    course = eng.get(f"/units/{u}/training/courses/reporting")
    assert course.status_code == 200 and "<h1>" in course.text
    start = eng.post(f"/units/{u}/training/courses/reporting/quiz", follow_redirects=False)
    assert start.status_code == 303
    attempt_url = start.headers["location"]
    attempt_id = int(attempt_url.rsplit("/", 1)[1])
    from keyguard.db.session import session_scope as scope
    from keyguard.records.education.models import QuizAttempt

    with scope() as s:
        questions = education.attempt_questions(s, s.get(QuizAttempt, attempt_id))
    form = {f"q-{q.id}": [str(i) for i in q.correct_ids] for q in questions}
    done = eng.post(attempt_url, data=form, follow_redirects=True)
    assert done.status_code == 200 and "You passed" in done.text
    history = eng.get(f"/api/v1/units/{u}/training/my").json()
    cert = history["certificates"][0]
    pdf = eng.get(f"/units/{u}/training/certificates/{cert['id']}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    other = signed_in("lead")
    assert other.get(f"/units/{u}/training/certificates/{cert['id']}.pdf").status_code == 403


def test_head_sees_only_their_department(site) -> None:
    org, signed_in = site
    head = signed_in("head")
    u = org.unit.id
    page = head.get(f"/units/{u}/duties/department")
    assert page.status_code == 200
    assert "Erik Engineer" in page.text and "Olga Officer" not in page.text
    data = head.get(f"/api/v1/units/{u}/duties/department").json()
    assert data["department"] == org.nodes["res"].id
    assert {r["person"] for r in data["overdue"]} >= {"Erik Engineer", "Lena Lead"}
    sec = head.get(f"/api/v1/units/{u}/duties/department?department={org.nodes['sec'].id}")
    assert sec.status_code == 404
    assert signed_in("eng").get(f"/units/{u}/duties/department").status_code == 403


def test_officer_sees_score_with_evidence(site) -> None:
    org, signed_in = site
    cso = signed_in("cso")
    u = org.unit.id
    page = cso.get(f"/units/{u}/compliance")
    assert page.status_code == 200
    assert 'id="score-formula"' in page.text and 'id="score-history"' in page.text
    data = cso.get(f"/api/v1/units/{u}/compliance").json()
    assert data["score"] == 0 and data["terms"]
    stmts = next(t for t in data["terms"] if t["key"] == "statements")
    assert stmts["possible"] == 6 and stmts["evidence"][0]["person"]
    assert signed_in("eng").get(f"/api/v1/units/{u}/compliance").status_code == 403
    dash = cso.get(f"/api/v1/units/{u}/dashboard")
    assert dash.status_code == 200 and '"compliance"' in dash.text
    camp = cso.get(f"/units/{u}/training/campaigns")
    assert camp.status_code == 200 and "Everyone" in camp.text
