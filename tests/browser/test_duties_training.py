"""In chromium against a real server: an employee signs their responsibility statement and
passes a quiz (and downloads the certificate); a department head sees their department's
overdue items; the security officer sees the unit's score, its formula and its evidence."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from keyguard.audit.context import Actor, actor_scope
from keyguard.db.engine import make_engine
from keyguard.db.session import session_scope
from keyguard.records.duties import service as duties
from keyguard.records.duties.models import Framework
from keyguard.records.duties.score import snapshot_unit
from keyguard.records.duties.settings import local_today
from keyguard.records.education import service as education
from keyguard.records.education.models import QuizAttempt
from keyguard.records.org.models import Person, Position, Unit
from web.prepared import World

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

#: person key -> (position title, level, department key)
POSITIONS = {
    "head": ("Head of Research", "department", "research"),
    "zhang": ("Research engineer", "individual", "research"),
    "arabic": ("Research engineer", "individual", "research"),
    "accented": ("Security officer", "individual", "security"),
    "employee": ("Security clerk", "individual", "security"),
}
COURSE = "urn:keyguard:course:reporting"


def _engine(home: Path):  # type: ignore[no-untyped-def]
    return make_engine(f"sqlite:///{home / 'keyguard.db'}")


@pytest.fixture(scope="module")
def duty_world(browser_world: tuple[Path, World]) -> tuple[Path, World]:
    """Positions for unit A's people, both frameworks and the courses, duties assigned two
    months ago and an all-staff campaign whose items are already overdue."""
    home, world = browser_world
    engine = _engine(home)
    with actor_scope(Actor(name="test:setup")), session_scope(engine) as s:
        unit = s.get(Unit, world.units["a"])
        assert unit is not None
        if s.scalar(select(Framework.id).where(Framework.unit_id == unit.id)) is None:
            today = local_today(unit)
            for key, (title, level, dept) in POSITIONS.items():
                node = world.departments[dept]
                pos = s.scalar(
                    select(Position).where(
                        Position.unit_id == unit.id,
                        Position.org_node_id == node,
                        Position.title == title,
                    )
                )
                if pos is None:
                    pos = Position(unit_id=unit.id, title=title, level=level, org_node_id=node)
                    s.add(pos)
                    s.flush()
                person = s.get(Person, world.people[key])
                assert person is not None
                person.position_id = pos.id
                person.start_date = today - dt.timedelta(days=90)
            s.flush()
            duties.load_builtin_frameworks(s, unit=unit)
            duties.assign_duties(s, unit=unit, day=today - dt.timedelta(days=60))
            education.load_builtin_courses(s, unit=unit)
            campaign = education.create_campaign(
                s,
                unit=unit,
                name="Annual reporting refresher",
                course_urn=COURSE,
                audience_key="all-staff",
                due_days=30,
                starts_on=today - dt.timedelta(days=60),
            )
            education.enrol(s, campaign, today)
            snapshot_unit(s, unit)
    engine.dispose()
    return home, world


def test_employee_signs_statement_and_passes_quiz(
    open_as: Any, duty_world: tuple[Path, World]
) -> None:
    home, world = duty_world
    unit_id = world.units["a"]
    page = open_as("employee")
    page.goto(f"/units/{unit_id}/duties/my")
    statement = page.locator("#statement")
    assert "Overdue since" in statement.inner_text()
    assert world.names["employee"] in page.locator("#statement-text").inner_text()
    page.get_by_label("I have read this statement and accept these duties").check()
    page.get_by_role("button", name="Sign the statement").click()
    page.wait_for_url(f"**/units/{unit_id}/duties/my?notice=*")
    assert "Your responsibility statement is signed." in page.content()
    assert "Signed on" in page.locator("#statement").inner_text()

    page.goto(f"/units/{unit_id}/training/my")
    page.get_by_role("link", name="How and what to report").click()
    assert page.locator("#lesson h1, #lesson h2").count() > 0
    page.get_by_role("button", name="Start the quiz").click()
    page.wait_for_url(f"**/units/{unit_id}/training/attempts/*")
    attempt_id = int(page.url.rsplit("/", 1)[1])
    engine = _engine(home)
    with session_scope(engine) as s:
        attempt = s.get(QuizAttempt, attempt_id)
        assert attempt is not None
        questions = education.attempt_questions(s, attempt)
    engine.dispose()
    assert page.locator("fieldset.question").count() == len(questions)
    for q in questions:
        for value in q.correct_ids:
            page.locator(f'input[name="q-{q.id}"][value="{value}"]').check()
    page.get_by_role("button", name="Submit answers").click()
    page.wait_for_url(f"**/units/{unit_id}/training/attempts/{attempt_id}")
    assert "You passed." in page.locator("#quiz-result").inner_text()
    href = page.locator("#certificate-link").get_attribute("href")
    pdf = page.request.get(href, timeout=90_000)  # the first WeasyPrint run loads fonts
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    page.goto(f"/units/{unit_id}/training/my")
    assert "How and what to report" in page.locator("#certificates").inner_text()


def test_department_head_sees_department_overdue_items(
    open_as: Any, duty_world: tuple[Path, World]
) -> None:
    _home, world = duty_world
    unit_id = world.units["a"]
    page = open_as("department_head")
    page.goto(f"/units/{unit_id}/duties/department")
    duties_table = page.locator("#overdue-duties").inner_text()
    assert world.names["zhang"] in duties_table
    assert "responsibility statement" in duties_table
    assert world.names["employee"] not in duties_table  # another department
    training = page.locator("#overdue-training").inner_text()
    assert world.names["arabic"] in training and "How and what to report" in training


def test_officer_sees_unit_score_and_its_evidence(
    open_as: Any, duty_world: tuple[Path, World]
) -> None:
    _home, world = duty_world
    unit_id = world.units["a"]
    page = open_as("security_officer")
    page.goto(f"/units/{unit_id}/compliance")
    score = float(page.locator("#score-value").inner_text())
    assert 0 <= score <= 100
    formula = page.locator("#score-formula").inner_text()
    assert "responsibility statements signed" in formula and "score =" in formula
    terms = page.locator("#score-terms").inner_text()
    assert "duty attestations given" in terms and "training items completed" in terms
    page.locator("#evidence-statements summary").click()
    evidence = page.locator("#evidence-statements").inner_text()
    assert world.names["zhang"] in evidence
    assert page.locator("#score-history tbody tr").count() >= 1
    assert page.locator("#score-chart").count() == 1
