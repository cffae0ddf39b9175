"""Two roles in two languages see what they may; axe-core finds no serious or critical
problem on any page their navigation reaches; keyboard and HTMX work in a real browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from web.prepared import World

from .conftest import run_axe

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ROLES = [
    "security_officer",
    "department_head",
    "analyst",
    "employee",
    "supervisor",
    "auditor",
    "admin",
]


def nav_links(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "nav.main-nav a", "els => els.map(e => e.getAttribute('href'))"
    )


def test_officer_in_english_sees_names(open_as: Any, browser_world: tuple[Path, World]) -> None:
    _home, world = browser_world
    page = open_as("security_officer")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="People", exact=True).click()
    table = page.locator("#people-table")
    for key in ("zhang", "arabic", "accented"):
        assert table.get_by_text(world.names[key]).count() == 1
    assert page.get_by_role("link", name="Accounts").count() == 0
    page.get_by_text(world.names["arabic"]).first.is_visible()


def test_analyst_in_chinese_sees_pseudonyms(
    open_as: Any, browser_world: tuple[Path, World]
) -> None:
    _home, world = browser_world
    page = open_as("analyst", "zh")
    assert page.locator("html").get_attribute("lang") == "zh-Hans-CN"
    page.get_by_role("link", name="人员", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("人员")
    body = page.locator("body").inner_text()
    assert "人员以假名显示" in body
    assert not world.leaked(page.content())
    page.get_by_role("link", name="组织架构").click()
    assert "Research 研发部" in page.locator("main").inner_text()


def test_htmx_filter_updates_the_table(open_as: Any, browser_world: tuple[Path, World]) -> None:
    _home, world = browser_world
    page = open_as("security_officer")
    page.goto(f"/units/{world.units['a']}/people")
    page.get_by_label("Search name, staff id or e-mail").fill("张")
    with page.expect_response(lambda r: "q=" in r.url and r.request.headers.get("hx-request")):
        page.get_by_role("button", name="Filter").click()
    rows = page.locator("#people-table tbody tr")
    rows.first.wait_for()
    page.wait_for_function("() => document.querySelectorAll('#people-table tbody tr').length === 1")
    assert "张伟" in rows.first.inner_text()
    assert "q=" in page.url  # hx-push-url keeps the filter in the address


def test_keyboard_reaches_the_content_first(open_as: Any) -> None:
    page = open_as("employee")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.className")
    assert "skip-link" in focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_no_console_errors_or_csp_violations(open_as: Any) -> None:
    page = open_as("admin")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    for link in [*nav_links(page), "/api/docs"]:
        page.goto(link)
        page.wait_for_load_state("networkidle")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems


@pytest.mark.parametrize("key", ROLES)
def test_axe_finds_no_serious_problem(
    open_as: Any, key: str, browser_world: tuple[Path, World]
) -> None:
    _home, world = browser_world
    language = "zh" if key in ("analyst", "department_head") else "en"
    page = open_as(key, language)
    targets = [*nav_links(page), "/account"]
    if key == "security_officer":
        targets.append(f"/units/{world.units['a']}/people/{world.people['arabic']}")
    found: list[str] = []
    for link in dict.fromkeys(targets):
        response = page.goto(link)
        assert response is not None and response.ok, link
        for violation in run_axe(page):
            if violation["impact"] in ("serious", "critical"):
                nodes = [", ".join(n["target"]) for n in violation["nodes"][:3]]
                found.append(f"{link}: {violation['id']} ({violation['impact']}) {nodes}")
    assert not found, "\n".join(found)


def test_axe_on_the_login_page(chromium: Any, live_server: str) -> None:
    context = chromium.new_context(base_url=live_server)
    page = context.new_page()
    for language in ("en-GB", "zh-CN"):
        page.set_extra_http_headers({"Accept-Language": language})
        page.goto("/login")
        serious = [v["id"] for v in run_axe(page) if v["impact"] in ("serious", "critical")]
        assert not serious, (language, serious)
    context.close()
