"""In chromium against a real server: the analyst opens the unit's activity (chart and its
data table), goes to the people by volume, opens one person's timeline by pseudonym and
picks a day from the data table (HTMX); axe finds nothing on any of the pages, and no name or
staff id of the person shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from keyguard.db.engine import make_engine
from keyguard.db.session import session_scope
from keyguard.records.org.models import Person
from web.activity_data import load
from web.prepared import World

from .conftest import run_axe

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

RANGE = "first=2026-10-01&last=2026-10-10"


def test_analyst_sees_unit_activity_and_a_persons_day(
    open_as: Any, browser_world: tuple[Path, World], tmp_path: Path
) -> None:
    home, world = browser_world
    unit_id = world.units["a"]
    engine = make_engine(f"sqlite:///{home / 'keyguard.db'}")
    try:
        with session_scope(engine) as s:
            load(s, tmp_path, home=home, hosts=False)
        with session_scope(engine) as s:
            person = s.get(Person, world.people["zhang"])
            assert person is not None
            zhang = person.pseudonym
    finally:
        engine.dispose()

    page = open_as("analyst")
    page.goto(f"/units/{unit_id}/activity?{RANGE}")
    assert page.locator("h1").first.inner_text().startswith("Activity")
    assert page.locator("#activity-daily-chart").is_visible()
    page.locator("summary", has_text="Data table").first.click()
    row = page.locator("#activity-daily-table tbody tr", has_text="2026-10-06")
    assert row.count() == 1 and row.locator("td").last.inner_text() != "0"
    assert run_axe(page) == []

    # the category filter answers through HTMX and keeps the page
    page.get_by_label("Category", exact=True).select_option("file")
    page.wait_for_url("**category=file**")
    page.wait_for_function(
        "() => !document.querySelector('#activity-categories tbody').innerText.includes('logon')"
    )
    assert "file" in page.locator("#activity-categories tbody").inner_text()

    page.get_by_role("link", name="People by volume").first.click()
    page.wait_for_url("**/activity/people**")
    assert run_axe(page) == []
    page.get_by_role("link", name=zhang).click()
    page.wait_for_url(f"**/activity/people/{zhang}**")
    assert zhang in page.locator("h1").inner_text()
    page.locator("summary", has_text="Data table").first.click()
    page.locator("#person-daily-table").get_by_role("link", name="2026-10-06").click()
    page.wait_for_function(
        "() => document.querySelector('#day-h').innerText.includes('2026-10-06')"
    )
    events = page.locator("#day-events tbody").inner_text()
    assert "2026-10-06 01:30:00" in events and "2026-10-05 17:30:00Z" in events
    assert "logon.csv:" in events
    text = page.locator("main").inner_text()
    for secret in (world.names["zhang"], world.staff_ids["zhang"], "zhang.wei"):
        assert secret not in text
    assert run_axe(page) == []
