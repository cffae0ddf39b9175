"""In chromium against a real server: the security officer opens the loophole findings,
opens one finding with its evidence, and gives it an owner and a due date."""

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
    officer.get_by_label("Owner (staff id)").fill(world.staff_ids["head"])
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
