"""In chromium against a real server: an alert becomes a case, the analyst asks to
re-identify the person, a second person approves, the identity is shown (and recorded), and
the case is closed with a rectification action; and the requester alone cannot approve —
the approve control refuses with the reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cases.support import DAYS, cert_rows, make_alert, write_cert
from keyguard.audit.context import Actor, actor_scope
from keyguard.audit.models import AuditEntry
from keyguard.cases.models import Case, RectificationAction
from keyguard.db.engine import make_engine
from keyguard.db.session import session_scope
from keyguard.ingest.service import ingest_cert
from keyguard.privacy.models import ReidentRequest
from keyguard.records.org.models import Person, Unit
from web.prepared import World

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PURPOSE = "Interview with the person and their head about the copies."


def _alert(home: Path, world: World, person_key: str, tmp: Path | None) -> str:
    engine = make_engine(f"sqlite:///{home / 'keyguard.db'}")
    try:
        if tmp is not None:
            with actor_scope(Actor(name="test:ingest")), session_scope(engine) as s:
                ingest_cert(
                    s,
                    folder=write_cert(tmp, cert_rows("A001", DAYS, tag="B")),
                    unit_code="unit-a",
                    import_ldap=False,
                    home=home,
                )
        with actor_scope(Actor(name="test:setup")), session_scope(engine) as s:
            unit = s.get(Unit, world.units["a"])
            person = s.get(Person, world.people[person_key])
            assert unit is not None and person is not None
            return make_alert(s, unit, person).id
    finally:
        engine.dispose()


def _open_case(page: Any, unit_id: int, alert_id: str) -> int:
    page.goto(f"/units/{unit_id}/cases/triage")
    assert page.locator(f"#alert-{alert_id}").count() == 1
    page.get_by_label("Alert", exact=True).select_option(alert_id)
    page.get_by_role("button", name="Open a case").click()
    page.wait_for_url(f"**/units/{unit_id}/cases/*?notice=*")
    return int(page.url.split("/cases/")[1].split("?")[0])


def _ask(page: Any) -> None:
    page.get_by_label("Purpose of the re-identification").fill(PURPOSE)
    page.get_by_label("For how many hours").fill("8")
    page.get_by_role("button", name="Ask to re-identify").click()
    page.wait_for_url("**?notice=*")


def test_alert_case_reidentification_and_closure(
    open_as: Any, browser_world: tuple[Path, World], tmp_path: Path
) -> None:
    home, world = browser_world
    a = world.units["a"]
    alert_id = _alert(home, world, "zhang", tmp_path / "cert")
    analyst = open_as("analyst")
    case_id = _open_case(analyst, a, alert_id)
    subject = analyst.locator("#case-subject").inner_text()
    assert subject.startswith("P-") and analyst.locator("#case-identity").count() == 0
    assert "张伟" not in analyst.content()
    assert "file.csv:" in analyst.locator("#timeline").inner_text()
    _ask(analyst)
    officer = open_as("security_officer")
    officer.goto(f"/units/{a}/reident")
    row = officer.locator("#reident-queue tbody tr", has_text=PURPOSE)
    row.get_by_role("button", name="Approve").click()
    officer.wait_for_url(f"**/units/{a}/reident?notice=*")
    analyst.goto(f"/units/{a}/cases/{case_id}")
    identity = analyst.locator("#case-identity").inner_text()
    assert "张伟" in identity and "A001" in identity
    due = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    analyst.get_by_label("Action", exact=True).fill("Review the Falcon grants")
    analyst.get_by_label("Owner (staff id)").fill("A004")
    analyst.get_by_label("Deadline").fill(due)
    analyst.get_by_role("button", name="Add the action").click()
    analyst.wait_for_url("**?notice=*")
    analyst.get_by_label("Outcome").select_option("referred")
    analyst.get_by_label("What the investigation found").fill("Copies confirmed; referred.")
    analyst.get_by_role("button", name="Close the case").click()
    analyst.wait_for_url("**?notice=*")
    assert analyst.locator("#case-status").inner_text() == "closed"
    assert "Review the Falcon grants" in analyst.locator("#case-actions").inner_text()
    engine = make_engine(f"sqlite:///{home / 'keyguard.db'}")
    with session_scope(engine) as s:
        case = s.get(Case, case_id)
        assert case is not None and case.outcome == "referred"
        action = s.scalars(
            select(RectificationAction).where(RectificationAction.case_id == case_id)
        ).one()
        assert action.due_on.isoformat() == due
        seen = s.scalars(
            select(AuditEntry.actor).where(
                AuditEntry.action == "reident_view", AuditEntry.object_id == str(case.person_id)
            )
        )
        assert f"account:{world.accounts['analyst']}" in set(seen)
    engine.dispose()


def test_the_requester_alone_cannot_approve(
    open_as: Any, browser_world: tuple[Path, World]
) -> None:
    home, world = browser_world
    a = world.units["a"]
    alert_id = _alert(home, world, "arabic", None)
    analyst = open_as("analyst")
    case_id = _open_case(analyst, a, alert_id)
    _ask(analyst)
    row = analyst.locator("#reident-requests tbody tr", has_text=PURPOSE)
    assert "the requester cannot approve" in row.locator(".hint").inner_text()
    row.get_by_role("button", name="Approve").click()
    error = analyst.get_by_role("alert")
    error.wait_for()
    assert "the requester cannot approve their own request: a second person must" in (
        error.inner_text()
    )
    assert analyst.locator("#case-identity").count() == 0
    engine = make_engine(f"sqlite:///{home / 'keyguard.db'}")
    with session_scope(engine) as s:
        req = s.scalars(select(ReidentRequest).where(ReidentRequest.scope_id == str(case_id))).one()
        assert req.status == "requested"
    engine.dispose()
