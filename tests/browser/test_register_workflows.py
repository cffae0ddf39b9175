"""In chromium against a real server: an employee asks for a top-secret item, two different
people approve, the access counts, the owner reviews it and the officer revokes it; an
employee files a travel report that the security officer reviews."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from keyguard.audit.context import Actor, actor_scope
from keyguard.db.engine import make_engine
from keyguard.db.session import session_scope
from keyguard.records.org.models import Person, Unit
from keyguard.records.register.grants import need_to_know
from keyguard.records.register.models import Grant, Item
from keyguard.records.register.service import create_item
from web.prepared import World

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _db(home: Path):  # type: ignore[no-untyped-def]
    return make_engine(f"sqlite:///{home / 'keyguard.db'}")


def test_request_two_approvals_access_review_revocation(
    open_as: Any, browser_world: tuple[Path, World]
) -> None:
    home, world = browser_world
    unit_id = world.units["a"]
    engine = _db(home)
    with actor_scope(Actor(name="test:setup")), session_scope(engine) as s:
        unit = s.get(Unit, unit_id)
        assert unit is not None
        item = create_item(
            s,
            unit=unit,
            reference="TS-WF-1",
            title="Falcon guidance data",
            level="top secret",
            locations=[r"\\fs01\research\falcon\*"],
            owner=s.get(Person, world.people["head"]),
        )
        item_id = item.id

    employee = open_as("employee")
    employee.goto(f"/units/{unit_id}/register")  # no register.view: refused
    assert (
        "403" in employee.title()
        or employee.locator("h1").first.inner_text() != "Classified register"
    )
    employee.goto(f"/units/{unit_id}/grants/new?item_id={item_id}")
    employee.get_by_label("Purpose (why you need to know)").fill("guidance review")
    employee.get_by_role("button", name="Send request").click()
    employee.wait_for_url(f"**/units/{unit_id}/grants?notice=*")
    assert "waiting for approval" in employee.content()
    with session_scope(engine) as s:
        grant_id = s.scalar(select(Grant.id).where(Grant.item_id == item_id))
    row = employee.locator(f"#grant-{grant_id}").first
    assert "requested" in row.inner_text() and "0 / 2" in row.inner_text()

    officer = open_as("security_officer")
    officer.goto(f"/units/{unit_id}/grants/approvals")
    officer.locator(f"#grant-{grant_id}").get_by_role("button", name="Approve").click()
    officer.wait_for_url("**/grants/approvals?notice=*")
    row = officer.locator(f"#grant-{grant_id}")
    assert "1 / 2" in row.inner_text()
    # the same person cannot give the second approval
    assert "already approved" in row.inner_text()

    head = open_as("department_head")
    head.goto(f"/units/{unit_id}/grants/approvals")
    head.locator(f"#grant-{grant_id}").get_by_role("button", name="Approve").click()
    head.wait_for_url("**/grants/approvals?notice=*")
    with session_scope(engine) as s:
        grant = s.get(Grant, grant_id)
        assert grant is not None and grant.status == "approved"
        today = grant.known_from
        person = s.get(Person, world.people["employee"])
        assert need_to_know(s, person, grant.item, today)  # type: ignore[arg-type]
    employee.goto(f"/units/{unit_id}/personnel/me")
    assert "approved" in employee.locator(f"#grant-{grant_id}").inner_text()

    officer.goto(f"/units/{unit_id}/grants/reviews")
    officer.get_by_label("Due").fill((today + dt.timedelta(days=10)).isoformat())
    officer.get_by_role("button", name="Start").click()
    officer.wait_for_url("**/grants/reviews?notice=*")
    head.goto(f"/units/{unit_id}/grants/reviews")
    head.locator(f"#grant-{grant_id}").get_by_role("button", name="Confirm").click()
    head.wait_for_url("**/grants/reviews?notice=*")
    assert head.locator(f"#grant-{grant_id}").count() == 0
    with session_scope(engine) as s:
        assert s.get(Grant, grant_id).last_reviewed_at is not None  # type: ignore[union-attr]

    officer.goto(f"/units/{unit_id}/grants/all")
    row = officer.locator(f"#grant-{grant_id}")
    row.get_by_label("Reason").fill("project finished")
    row.get_by_role("button", name="Revoke").click()
    officer.wait_for_url("**/grants/all?notice=*")
    assert "revoked" in officer.locator(f"#grant-{grant_id}").inner_text()
    with session_scope(engine) as s:
        grant = s.get(Grant, grant_id)
        assert grant is not None and grant.status == "revoked" and grant.valid_to == today
    engine.dispose()


def test_employee_files_travel_report_officer_reviews(
    open_as: Any, browser_world: tuple[Path, World]
) -> None:
    _home, world = browser_world
    unit_id = world.units["a"]
    employee = open_as("employee")
    employee.goto(f"/units/{unit_id}/reportable")
    employee.get_by_label("What happened").select_option("foreign_travel")
    employee.get_by_label("When (first day)").fill("2026-12-01")
    employee.get_by_label("Until (last day, for travel)").fill("2026-12-05")
    employee.get_by_label("Country").fill("Freedonia")
    employee.get_by_label("Details").fill("Trade fair, booth duty")
    employee.get_by_role("button", name="File report").click()
    employee.wait_for_url("**/reportable?notice=*")
    assert "your report is filed" in employee.content()
    link = employee.locator("#reports a").first
    href = link.get_attribute("href")
    assert href is not None

    officer = open_as("security_officer")
    officer.goto(href)
    assert "Freedonia" in officer.content()
    assert world.names["employee"] in officer.content()
    officer.get_by_label("Outcome").select_option("advice_given")
    officer.get_by_label("Note").fill("Briefed on approaches at fairs")
    officer.get_by_role("button", name="Record review").click()
    officer.wait_for_url("**?notice=*")
    assert officer.locator("#report-status").inner_text() == "reviewed"

    employee.goto(href)
    assert employee.locator("#report-outcome").inner_text() == "advice given"
    analyst = open_as("analyst")  # not the filer and not a reviewer: sees nothing of it
    analyst.goto(href)
    assert "Freedonia" not in analyst.content()


def test_import_register_csv_then_record_destruction_with_two_witnesses(
    open_as: Any, browser_world: tuple[Path, World], tmp_path: Path
) -> None:
    """The officer uploads a register CSV (one row refused, named by line and reason), then
    records the destruction of an imported item: the same witness twice is refused, two
    different people are recorded."""
    home, world = browser_world
    unit_id = world.units["a"]
    csv = tmp_path / "register-upload.csv"
    csv.write_text(
        "reference,title,level,owner_department,location\n"
        "BR-IMP-1,Archive copy,confidential,Research 研发部,physical:Archive room\n"
        "BR-IMP-2,Wrong level,cosmic,Research 研发部,\\\\fs09\\x\\*\n",
        encoding="utf-8",
    )
    officer = open_as("security_officer")
    officer.goto(f"/units/{unit_id}/register")
    officer.locator("#import-link").click()
    officer.wait_for_url(f"**/units/{unit_id}/register/import")
    officer.set_input_files("#f-file", str(csv))
    officer.get_by_role("button", name="Import", exact=True).click()
    officer.wait_for_selector("#import-problems")
    result = officer.locator("#import-problems").inner_text()
    assert "3" in result and "cosmic" in result
    assert "register-upload.csv" in officer.locator("#import-result-h").inner_text()

    engine = _db(home)
    with session_scope(engine) as s:
        item_id = s.scalar(select(Item.id).where(Item.reference == "BR-IMP-1"))
    assert item_id is not None
    officer.goto(f"/units/{unit_id}/register/{item_id}")
    zhang, arabic = world.people["zhang"], world.people["arabic"]
    form = officer.locator("#destroy-form")
    form.locator("#d-w1").select_option(str(zhang))
    form.locator("#d-w2").select_option(str(zhang))
    form.locator("#d-method").fill("cross-cut shredder")
    form.get_by_role("button", name="Record destruction").click()
    officer.wait_for_load_state()
    assert "two different people" in officer.locator(".alert").first.inner_text()
    form = officer.locator("#destroy-form")
    form.locator("#d-w1").select_option(str(zhang))
    form.locator("#d-w2").select_option(str(arabic))
    form.locator("#d-method").fill("cross-cut shredder")
    form.get_by_role("button", name="Record destruction").click()
    officer.wait_for_url(f"**/register/{item_id}?notice=*")
    assert "cross-cut shredder" in officer.locator("#disposals").inner_text()
    assert officer.locator("#destroy-form").count() == 0  # destroyed: nothing more to record
