"""The alert pages in chromium against the live server, after a real detection run over a
small synthetic organization written into unit A of the browser world
(``analytics.factory``): the queue in pseudonyms, an alert with its chart and the chart's
data-table twin, a click on a day filtering the evidence, the JSON twin, the audited CSV
download, triage (under review, dismissed with a reason, confirmed) and "Open a case" —
and none of the people's staff ids, names or e-mail addresses on any of it for an analyst.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from analytics.factory import Org, inject
from keyguard import config
from keyguard.analytics.models import Alert
from keyguard.audit.context import Actor, actor_scope
from keyguard.audit.models import AuditEntry
from keyguard.cases.models import Case
from keyguard.db.engine import make_engine
from keyguard.db.session import session_scope
from keyguard.privacy import pseudonyms
from keyguard.records.org.models import Unit
from web.prepared import World, leaked

from .conftest import run_axe

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@dataclass
class Detected:
    unit_id: int
    #: Every staff id, name and e-mail of the people (synthetic and prepared).
    secrets: list[str]
    #: The low-and-slow alert, and two more to triage.
    collector: str
    others: list[str]


@pytest.fixture(scope="module")
def detected(browser_world: tuple[Path, World]) -> Detected:
    """A synthetic organization's events and people in unit A, detected once."""
    from keyguard.analytics.run import detect

    home, world = browser_world
    (home / "analytics").mkdir(parents=True, exist_ok=True)
    (home / "analytics" / "config.yaml").write_text("anomaly_trees: 30\n", encoding="utf-8")
    org = Org(unit=world.unit_codes["a"], users=28, days=70).normal()
    inject(org)
    engine = make_engine(f"sqlite:///{home / 'keyguard.db'}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KEYGUARD_HOME", str(home))
        mp.delenv("KEYGUARD_DATABASE_URL", raising=False)
        config.reset_settings()
        pseudonyms.clear_key_cache()
        org.write_events(home)
        with actor_scope(Actor(name="test:setup")), session_scope(engine) as s:
            org.write_people(s)
            detect(s, org.unit, home=home)
        with session_scope(engine) as s:
            unit_id = s.scalar(select(Unit.id).where(Unit.code == world.unit_codes["a"]))
            alerts = s.scalars(
                select(Alert)
                .where(Alert.unit_id == unit_id, Alert.active)
                .order_by(Alert.score.desc(), Alert.id)
            ).all()
            collector = next(a.id for a in alerts if a.policy_title.startswith("Low-and-slow"))
            others = [a.id for a in alerts if a.id != collector][:2]
    engine.dispose()
    config.reset_settings()
    pseudonyms.clear_key_cache()
    assert unit_id is not None and len(others) == 2
    secrets = list(world.identities())
    for p in org.people:
        secrets += [p.staff_id, p.name, p.email]
    return Detected(unit_id, secrets, collector, others)


def _no_identity(text: str, d: Detected) -> None:
    shown = leaked(d.secrets, text)
    assert not shown, shown


def _audited(home: Path, action: str, object_type: str, object_id: str) -> bool:
    engine = make_engine(f"sqlite:///{home / 'keyguard.db'}")
    try:
        with session_scope(engine) as s:
            return (
                s.scalar(
                    select(AuditEntry.seq).where(
                        AuditEntry.action == action,
                        AuditEntry.object_type == object_type,
                        AuditEntry.object_id == object_id,
                    )
                )
                is not None
            )
    finally:
        engine.dispose()


def test_queue_detail_chart_evidence_and_twins(
    open_as: Any, browser_world: tuple[Path, World], detected: Detected
) -> None:
    home, _world = browser_world
    u = detected.unit_id
    page = open_as("analyst")
    page.get_by_role("link", name="Alerts", exact=True).click()
    rows = page.locator("#alerts tbody tr")
    rows.first.wait_for()
    assert rows.count() >= 3
    people = page.eval_on_selector_all(
        "#alerts tbody tr td:nth-child(2)", "els => els.map(e => e.textContent.trim())"
    )
    assert people and all(p.startswith("P-") for p in people), people
    _no_identity(page.content(), detected)
    assert not [v["id"] for v in run_axe(page) if v["impact"] in ("serious", "critical")]

    # the collector's alert: chart drawn by Chart.js, and its data-table twin
    page.locator(f"#alerts a[href='/units/{u}/alerts/{detected.collector}']").click()
    page.wait_for_url(f"**/alerts/{detected.collector}")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('alert-chart'))"
    )
    chart_days = page.evaluate(
        "() => Chart.getChart(document.getElementById('alert-chart')).data.labels.length"
    )
    page.get_by_text("Data table", exact=True).click()
    table_rows = page.locator("#chart-table tbody tr")
    assert table_rows.first.is_visible()
    assert table_rows.count() == chart_days >= 61
    _no_identity(page.content(), detected)
    assert not [v["id"] for v in run_axe(page) if v["impact"] in ("serious", "critical")]

    # a click on a day where a policy fired filters the evidence (HTMX, no reload)
    all_rows = page.locator("#evidence tbody tr").count()
    fired = page.locator("#chart-table tbody tr").filter(
        has=page.locator("td:last-child", has_text="Low-and-slow")
    )
    day = fired.first.locator("th a").inner_text()
    with page.expect_response(
        lambda r: f"day={day}" in r.url and r.request.headers.get("hx-request")
    ):
        fired.first.locator("th a").click()
    page.wait_for_function(
        "day => document.querySelector('#evidence caption').textContent.includes(day)", arg=day
    )
    times = page.eval_on_selector_all(
        "#evidence tbody tr td:first-child", "els => els.map(e => e.textContent.trim())"
    )
    utc = page.eval_on_selector_all(
        "#evidence tbody tr td:nth-child(2)", "els => els.map(e => e.textContent.trim())"
    )
    # The synthetic organization stores each event under its UTC date as the local day (the
    # unit's own time zone then shows some of them after midnight): filter by that day.
    assert times and all(t.startswith(day) for t in utc), (day, utc)
    assert len(times) < all_rows
    assert f"/alerts/{detected.collector}" in page.url and "day=" not in page.url

    # the JSON twins: the same chart table, the same day's evidence, no identities
    twin = page.request.get(f"/api/v1/units/{u}/alerts/{detected.collector}")
    assert twin.ok
    data = twin.json()
    assert len(data["chart"]["table"]) == chart_days
    assert data["alert"]["user"] == page.locator("h1").inner_text().split(" — ")[-1]
    _no_identity(twin.text(), detected)
    one_day = page.request.get(
        f"/api/v1/units/{u}/alerts/{detected.collector}/evidence", params={"day": day}
    )
    assert one_day.ok and [e["local_time"] for e in one_day.json()] == times

    # the CSV download of that day's evidence, recorded in the audit log
    with page.expect_download() as info:
        page.locator("#evidence").get_by_role("link", name="Download CSV").click()
    path = info.value.path()
    text = Path(path).read_text(encoding="utf-8")
    got = list(csv.DictReader(io.StringIO(text)))
    assert [r["local_time"] for r in got] == times
    _no_identity(text, detected)
    assert _audited(home, "export", "alert_evidence", detected.collector)


def test_triage_and_open_a_case(
    open_as: Any, browser_world: tuple[Path, World], detected: Detected
) -> None:
    home, _world = browser_world
    u = detected.unit_id
    page = open_as("analyst")
    first, second = detected.others
    page.goto(f"/units/{u}/alerts/{first}")
    history = page.locator("#triage-history tbody")

    def triage(status: str, reason: str = "") -> None:
        page.get_by_label("New status").select_option(status)
        page.get_by_label("Reason (needed to dismiss)").fill(reason)
        page.get_by_role("button", name="Save").click()
        page.wait_for_load_state()

    triage("under_review")
    page.wait_for_url(f"**/alerts/{first}#triage")
    assert "under_review" in history.inner_text()
    triage("dismissed")  # refused without a reason
    assert "dismissing an alert needs a reason" in page.locator("main").inner_text()
    page.goto(f"/units/{u}/alerts/{first}")
    triage("dismissed", "A planned migration of the share, agreed with the owner.")
    page.wait_for_url(f"**/alerts/{first}#triage")
    assert "A planned migration of the share" in history.inner_text()

    page.goto(f"/units/{u}/alerts/{second}")
    triage("confirmed", "Uploads confirmed with the department.")
    page.wait_for_url(f"**/alerts/{second}#triage")
    assert "confirmed" in history.inner_text()
    _no_identity(page.content(), detected)

    # Open a case from the alert's page; the page then lists it and offers no second one
    assert "Not in a case yet." in page.locator("#alert-cases").inner_text()
    page.get_by_label("Case title (optional)").fill("Uploads of the collector")
    page.locator("#open-case-form").get_by_role("button", name="Open a case").click()
    page.wait_for_url(f"**/units/{u}/cases/*?notice=*")
    case_id = int(page.url.split("/cases/")[1].split("?")[0])
    assert page.locator("#case-subject").inner_text().startswith("P-")
    _no_identity(page.content(), detected)
    page.goto(f"/units/{u}/alerts/{second}")
    link = page.locator(f"#alert-cases a[href='/units/{u}/cases/{case_id}']")
    assert link.count() == 1
    assert page.locator("#open-case-form").count() == 0
    assert page.locator("#alert-active-case").is_visible()
    link.click()
    page.wait_for_url(f"**/units/{u}/cases/{case_id}")
    engine = make_engine(f"sqlite:///{home / 'keyguard.db'}")
    with session_scope(engine) as s:
        case = s.get(Case, case_id)
        assert case is not None and case.title == "Uploads of the collector"
        assert s.get(Alert, first).status == "dismissed"  # type: ignore[union-attr]
    engine.dispose()
    assert _audited(home, "view", "alert", second)


def test_the_officer_opens_a_case_and_the_auditor_sees_no_alerts(
    open_as: Any, detected: Detected
) -> None:
    u = detected.unit_id
    officer = open_as("security_officer")
    officer.goto(f"/units/{u}/alerts/{detected.collector}")
    assert officer.locator("#open-case-form").count() == 1
    auditor = open_as("auditor")
    response = auditor.goto(f"/units/{u}/alerts/{detected.collector}")
    assert response is not None and response.status == 403
    assert auditor.locator("#open-case-form").count() == 0


def test_risk_list_in_pseudonyms(open_as: Any, detected: Detected) -> None:
    page = open_as("analyst")
    page.get_by_role("link", name="Risk", exact=True).click()
    rows = page.locator("#risk tbody tr")
    rows.first.wait_for()
    people = page.eval_on_selector_all(
        "#risk tbody tr td:first-child", "els => els.map(e => e.textContent.trim())"
    )
    assert people and all(p.startswith("P-") for p in people), people
    assert "Risk list on" in page.locator("#risk caption").inner_text()
    _no_identity(page.content(), detected)
    assert not [v["id"] for v in run_axe(page) if v["impact"] in ("serious", "critical")]
