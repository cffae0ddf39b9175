"""A loophole finding's page: those who work cases open a case from it and add rectification
actions about it, and see both listed; analysts see people by pseudonym only (also in the
owner choices), officers by name; auditors see neither cases nor the forms."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from cases.support import make_finding
from keyguard.audit.context import Actor, actor_scope
from keyguard.cases.models import Case, RectificationAction
from keyguard.db.session import session_scope
from keyguard.records.org.models import Person, Unit
from web.prepared import World

pytestmark = pytest.mark.pg


@pytest.fixture
def finding_id(world: World, engine: Engine) -> str:
    with actor_scope(Actor(name="test:setup")), session_scope(engine) as s:
        unit = s.get(Unit, world.units["a"])
        person = s.get(Person, world.people["zhang"])
        assert unit is not None and person is not None
        return make_finding(s, unit, person).id


def test_case_and_actions_from_a_finding(
    signed_in: Callable[[str], TestClient], world: World, finding_id: str, db: Session
) -> None:
    a = world.units["a"]
    url = f"/units/{a}/loopholes/{finding_id}"
    analyst, officer, auditor = (
        signed_in("analyst"),
        signed_in("security_officer"),
        signed_in("auditor"),
    )
    page = analyst.get(url)
    assert page.status_code == 200
    assert 'id="open-case-form"' in page.text and 'id="finding-action-form"' in page.text
    assert "Not in a case yet." in page.text
    assert not world.leaked(page.text, "a")
    # the owner choices are pseudonyms for the analyst, staff ids and names for the officer
    zhang_pseudonym = db.get(Person, world.people["zhang"]).pseudonym  # type: ignore[union-attr]
    officer_page = officer.get(url)
    assert 'id="finding-action-form"' in officer_page.text
    assert re.search(r'<datalist id="action-owners">\s*<option value="A\d{3}">', officer_page.text)
    assert re.search(r'<datalist id="action-owners">\s*<option value="P-', page.text)
    seen = auditor.get(url)
    assert seen.status_code == 200
    assert "open-case-form" not in seen.text and "finding-action-form" not in seen.text
    assert "finding-cases" not in seen.text
    assert auditor.post(f"{url}/actions", data={"title": "x"}).status_code == 403

    # a case from the finding
    r = analyst.post(
        f"/units/{a}/cases", data={"kind": "finding", "ref": finding_id}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    case_id = int(re.search(r"/cases/(\d+)", r.headers["location"]).group(1))  # type: ignore[union-attr]
    number = db.get(Case, case_id).number  # type: ignore[union-attr]
    after = analyst.get(url)
    assert f'href="/units/{a}/cases/{case_id}"' in after.text and number in after.text
    assert 'id="open-case-form"' not in after.text and 'id="finding-active-case"' in after.text

    # actions: refused with the reason on the finding's page, then added by pseudonym
    past = analyst.post(f"{url}/actions", data={"title": "Review grants", "due_on": "2020-01-01"})
    assert past.status_code == 400 and "the deadline is in the past" in past.text
    assert 'id="finding-action-form"' in past.text
    no_day = analyst.post(f"{url}/actions", data={"title": "Review grants"})
    assert no_day.status_code == 400 and "give the deadline" in no_day.text
    due = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    done = analyst.post(
        f"{url}/actions",
        data={"title": "Review the grants of Falcon", "due_on": due, "owner": zhang_pseudonym},
        follow_redirects=False,
    )
    assert done.status_code == 303 and "notice=" in done.headers["location"]
    officer.post(
        f"{url}/actions",
        data={"title": "Lock the share", "due_on": due, "owner": "A003"},
        follow_redirects=False,
    )
    actions = db.scalars(
        select(RectificationAction).where(RectificationAction.finding_id == finding_id)
    ).all()
    assert {(x.title, x.owner_person_id, x.case_id) for x in actions} == {
        ("Review the grants of Falcon", world.people["zhang"], None),
        ("Lock the share", world.people["accented"], None),
    }
    listed = analyst.get(url).text
    assert "Review the grants of Falcon" in listed and zhang_pseudonym in listed
    assert not world.leaked(listed, "a")
    named = officer.get(url).text
    assert f"{world.names['zhang']} (A001)" in named and "Lock the share" in named
