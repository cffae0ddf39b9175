"""The case pages and their JSON twins: escalation, pseudonyms until a second person
approves a re-identification (the requester alone is refused, with the reason), the
identity then shown and audited, who-saw-whom for auditors, reports, actions, closing."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.audit.models import AuditEntry
from keyguard.cases.models import Case
from web.prepared import World, leaked

PURPOSE = "Interview on Friday: the copies need an explanation."


def _open(analyst, world: World, alert_id: str) -> int:  # type: ignore[no-untyped-def]
    a = world.units["a"]
    r = analyst.post(
        f"/units/{a}/cases", data={"kind": "alert", "ref": alert_id}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    return int(r.headers["location"].split("/cases/")[1].split("?")[0])


def _body(response) -> str:  # type: ignore[no-untyped-def]
    if response.headers["content-type"].startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    return response.text


def test_case_is_pseudonymous_until_a_second_person_approves(
    signed_in, world: World, alert_id: str, db: Session
) -> None:  # type: ignore[no-untyped-def]
    a = world.units["a"]
    analyst, officer = signed_in("analyst"), signed_in("security_officer")
    case_id = _open(analyst, world, alert_id)
    secrets = world.identities("a")
    pages = [
        f"/units/{a}/cases",
        f"/units/{a}/cases/{case_id}",
        f"/units/{a}/cases/{case_id}/report",
        f"/units/{a}/cases/triage",
        f"/units/{a}/rectification",
    ]
    pages += [f"/api/v1{p}" for p in pages if not p.endswith("/report")]
    for who in (analyst, officer):  # even people.identify does not open a case's identity
        for url in pages:
            response = who.get(url)
            assert response.status_code == 200, url
            shown = leaked(secrets, _body(response))
            assert not shown, f"{url} shows {shown}"
    page = analyst.get(f"/units/{a}/cases/{case_id}").text
    assert "file.csv:" in page and "C-0001" in page
    # the request, and the requester alone cannot approve
    r = analyst.post(
        f"/units/{a}/cases/{case_id}/reident",
        data={"purpose": PURPOSE, "hours": "4"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    req_id = db.scalar(select(AuditEntry.object_id).where(AuditEntry.action == "reident_request"))
    refused = analyst.post(
        f"/units/{a}/reident/{req_id}/approve", data={"next": f"/units/{a}/cases/{case_id}"}
    )
    assert refused.status_code == 400
    assert "the requester cannot approve their own request" in refused.text
    api = analyst.post(f"/api/v1/units/{a}/reident/{req_id}/approve", json={})
    assert api.status_code == 400 and "second person" in api.json()["detail"]
    queue = officer.get(f"/api/v1/units/{a}/reident").json()["requests"]
    assert queue[0]["may_decide"] is True and queue[0]["purpose"] == PURPOSE
    ok = officer.post(
        f"/units/{a}/reident/{req_id}/approve",
        data={"next": f"/units/{a}/cases/{case_id}"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert ok.headers["location"].startswith(f"/units/{a}/cases/{case_id}?notice=")
    shown = analyst.get(f"/units/{a}/cases/{case_id}").text
    assert "张伟" in shown and "A001" in shown
    assert "张伟" not in officer.get(f"/units/{a}/cases/{case_id}").text
    twin = analyst.get(f"/api/v1/units/{a}/cases/{case_id}").json()
    assert twin["identified"] is True and twin["identity"]["staff_id"] == "A001"
    assert twin["events"][0]["user"] == "A001" and twin["events"][0]["source_line"] >= 2
    # who saw whom
    auditor = signed_in("auditor")
    listing = auditor.get(f"/units/{a}/audit/who-saw").text
    assert PURPOSE in listing and "Analyst" in listing and "张伟" not in listing
    seen = auditor.get(f"/api/v1/units/{a}/audit/who-saw").json()
    assert [v["what"] for v in seen["views"]] == ["case page", "api"]
    assert all(v["why"] == PURPOSE for v in seen["views"])
    assert {v["approved_by"] for v in seen["views"]} == {"Security Officer"}
    assert seen["requests"][0]["state"] == "approved"
    assert analyst.get(f"/units/{a}/audit/who-saw").status_code == 403


def test_reports_actions_and_closing(signed_in, world: World, alert_id: str, db: Session) -> None:  # type: ignore[no-untyped-def]
    a = world.units["a"]
    analyst = signed_in("analyst")
    case_id = _open(analyst, world, alert_id)
    html = analyst.get(f"/units/{a}/cases/{case_id}/report")
    assert html.status_code == 200 and "Case C-0001" in html.text and "file.csv:" in html.text
    assert "unsafe-inline" in html.headers["content-security-policy"]
    assert "script-src" not in html.headers["content-security-policy"]
    pdf = analyst.get(f"/units/{a}/cases/{case_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-type"] == "application/pdf"
    up = analyst.post(
        f"/units/{a}/cases/{case_id}/files",
        data={"text": "signed statement"},
        files={"file": ("statement.txt", b"I copied them.", "text/plain")},
        follow_redirects=False,
    )
    assert up.status_code == 303, up.text
    file_id = analyst.get(f"/api/v1/units/{a}/cases/{case_id}").json()["evidence"][0]["id"]
    got = analyst.get(f"/units/{a}/cases/{case_id}/files/{file_id}")
    assert (
        got.content == b"I copied them." and "statement.txt" in got.headers["content-disposition"]
    )
    empty = analyst.post(
        f"/units/{a}/cases/{case_id}/files", files={"file": ("empty.txt", b"", "text/plain")}
    )
    assert empty.status_code == 400 and "is empty" in empty.text
    bad = analyst.post(
        f"/units/{a}/cases/{case_id}/actions", data={"title": "Lock USB", "due_on": "2020-01-01"}
    )
    assert bad.status_code == 400 and "the deadline is in the past" in bad.text
    r = analyst.post(
        f"/units/{a}/cases/{case_id}/actions",
        data={"title": "Lock USB on PC-0101", "due_on": "2099-01-01", "owner": "A004"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = analyst.post(
        f"/units/{a}/cases/{case_id}/close",
        data={"outcome": "referred", "note": "handed over"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    case = db.get(Case, case_id)
    assert case is not None and case.outcome == "referred" and case.status == "closed"
    # the owner completes their own action from their list
    head = signed_in("department_head")
    mine = head.get(f"/units/{a}/rectification/mine")
    assert mine.status_code == 200 and "Lock USB on PC-0101" in mine.text
    action_id = head.get(f"/api/v1/units/{a}/rectification/mine").json()["actions"][0]["id"]
    done = head.post(
        f"/units/{a}/rectification/{action_id}/complete",
        data={"evidence": "USB blocked by policy GPO-17", "mine": "1"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    listed = analyst.get(f"/api/v1/units/{a}/rectification?status=done").json()["actions"]
    assert listed[0]["completion_evidence"] == "USB blocked by policy GPO-17"
    exports = db.scalars(select(AuditEntry.details).where(AuditEntry.action == "export"))
    assert {json.loads(d)["format"] for d in exports} == {"html", "pdf"}


def test_bulk_dismissal_and_metrics(signed_in, world: World, alert_id: str) -> None:  # type: ignore[no-untyped-def]
    a = world.units["a"]
    analyst = signed_in("analyst")
    assert alert_id in analyst.get(f"/units/{a}/cases/triage").text
    refused = analyst.post(
        f"/units/{a}/cases/triage/dismiss", data={"alert": [alert_id], "reason": ""}
    )
    assert refused.status_code == 400 and "say why" in refused.text
    ok = analyst.post(
        f"/units/{a}/cases/triage/dismiss",
        data={"alert": [alert_id], "reason": "authorised archive job"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert analyst.get(f"/api/v1/units/{a}/cases/triage").json()["alerts"] == []
    m = analyst.get(f"/api/v1/units/{a}/cases/metrics").json()
    assert m["policies"][0]["dismissed"] == 1 and m["policies"][0]["confirmation_rate"] == 0.0
    assert analyst.get(f"/units/{a}/cases/metrics").status_code == 200


def test_retention_page(signed_in, world: World) -> None:  # type: ignore[no-untyped-def]
    a = world.units["a"]
    officer = signed_in("security_officer")
    page = officer.get(f"/units/{a}/retention")
    assert page.status_code == 200 and "the longest detector window" in page.text
    minimum = officer.get(f"/api/v1/units/{a}/retention").json()["minimum"]["days"]
    low = officer.post(f"/units/{a}/retention", data={"raw_events": "10"})
    assert low.status_code == 400 and f"the detectors need {minimum}" in low.text
    ok = officer.post(
        f"/units/{a}/retention",
        data={"raw_events": str(minimum), "cases": "400"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    data = officer.get(f"/api/v1/units/{a}/retention").json()
    assert data["values"]["raw_events"] == minimum and data["values"]["cases"] == 400
    purged = officer.post(f"/units/{a}/retention/purge", follow_redirects=False)
    assert purged.status_code == 303
    assert officer.get(f"/api/v1/units/{a}/retention").json()["purges"]
    assert signed_in("analyst").get(f"/units/{a}/retention").status_code == 403
