"""In chromium against a real server: the security officer opens the loophole findings,
opens one finding with its evidence, gives it an owner and a due date and adds a
rectification action about it; an analyst opens a case from the finding (people shown by
pseudonym only) and finds the case and the action listed on the finding's page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from keyguard.audit.context import Actor, actor_scope
from keyguard.controls.models import Finding
from keyguard.controls.scan import scan_unit
from keyguard.db.engine import make_engine
from keyguard.db.session import session_scope
from keyguard.events.store import EventStore
from keyguard.records.org.models import Person, Unit
from keyguard.records.register.service import create_item
from web.prepared import World

from .conftest import run_axe

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_officer_opens_a_finding_and_assigns_owner_and_due_date(
    open_as: Any, browser_world: tuple[Path, World]
) -> None:
    home, world = browser_world
    unit_id = world.units["a"]
    engine = make_engine(f"sqlite:///{home / 'keyguard.db'}")
    with actor_scope(Actor(name="test:setup")), session_scope(engine) as s:
        unit = s.get(Unit, unit_id)
        assert unit is not None
        create_item(
            s,
            unit=unit,
            reference="LH-BROWSER-1",
            title="Loophole test drawings",
            level="secret",
            locations=[r"\\fs01\research\loophole-browser\*"],
            owner=s.get(Person, world.people["zhang"]),
            owner_department_id=world.departments["research"],
        )
        scan_unit(s, unit=unit, store=EventStore(home), only=["item-without-owner"])
    with session_scope(engine) as s:
        finding = s.scalars(
            select(Finding).where(
                Finding.unit_id == unit_id, Finding.subject.contains("LH-BROWSER-1")
            )
        ).one()
        finding_id = finding.id

    officer = open_as("security_officer")
    officer.goto(f"/units/{unit_id}/loopholes")
    assert officer.locator("h1").first.inner_text().startswith("Loophole findings")
    link = officer.get_by_role("link", name="Item LH-BROWSER-1", exact=False)
    assert "no custodian" in link.inner_text()
    assert run_axe(officer) == []
    link.click()
    officer.wait_for_url(f"**/loopholes/{finding_id}")
    assert "no custodian" in officer.locator("#finding-subject").inner_text()
    evidence = officer.locator("#evidence tbody tr")
    assert evidence.count() == 1 and "LH-BROWSER-1" in evidence.first.inner_text()
    assert run_axe(officer) == []

    due = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    officer.get_by_label("Owner (staff id)", exact=True).fill(world.staff_ids["head"])
    officer.get_by_label("Due date", exact=True).fill(due)
    officer.get_by_label("Note", exact=True).fill("name a custodian")
    officer.get_by_role("button", name="Save owner and due date").click()
    officer.wait_for_url(f"**/loopholes/{finding_id}?notice=*")
    assert world.names["head"] in officer.locator("#finding-owner").inner_text()
    assert due in officer.locator("#finding-due").inner_text()
    assert "assigned" in officer.locator("#history-h + ol").inner_text()
    with session_scope(engine) as s:
        saved = s.get(Finding, finding_id)
        assert saved is not None and saved.owner_person_id == world.people["head"]
        assert saved.due_on.isoformat() == due and saved.due_assigned
    engine.dispose()

    # a rectification action about the finding, from its page
    officer.get_by_label("Action", exact=True).fill("Name a custodian for LH-BROWSER-1")
    officer.get_by_label("Owner (staff id or pseudonym)").fill(world.staff_ids["head"])
    officer.get_by_label("Deadline").fill(due)
    officer.get_by_role("button", name="Add the action").click()
    officer.wait_for_url(f"**/loopholes/{finding_id}?notice=*")
    actions = officer.locator("#finding-actions tbody").inner_text()
    assert "Name a custodian for LH-BROWSER-1" in actions and world.names["head"] in actions
    assert run_axe(officer) == []

    # the analyst opens a case from the finding and sees both, by pseudonym only
    analyst = open_as("analyst")
    analyst.goto(f"/units/{unit_id}/loopholes/{finding_id}")
    assert "Not in a case yet." in analyst.locator("#finding-cases").inner_text()
    analyst.locator("#open-case-form").get_by_role("button", name="Open a case").click()
    analyst.wait_for_url(f"**/units/{unit_id}/cases/*?notice=*")
    case_id = int(analyst.url.split("/cases/")[1].split("?")[0])
    analyst.goto(f"/units/{unit_id}/loopholes/{finding_id}")
    assert analyst.locator(f"#finding-cases a[href='/units/{unit_id}/cases/{case_id}']").count()
    assert analyst.locator("#open-case-form").count() == 0
    assert "Name a custodian" in analyst.locator("#finding-actions").inner_text()
    html = analyst.content()
    assert not world.leaked(html)
    assert run_axe(analyst) == []
