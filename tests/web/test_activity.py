"""The activity pages and their JSON twins over a real ingest of a hand-made CERT folder:
figures by local day, category, hour, source and known/unknown account; filters; the
people list and one person's timeline by pseudonym; who may see them; unit isolation;
the audit entry of every timeline look; and no name, staff id or e-mail of the people in
anything an analyst or officer can reach."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from keyguard.analytics import activity as views
from keyguard.audit.models import AuditEntry
from keyguard.db.session import session_scope
from keyguard.privacy.pseudonyms import pseudonym
from keyguard.records.org.models import Person

from .activity_data import EXPECTED, EXPECTED_A001, EXPECTED_UNKNOWN, OUTSIDE, load
from .prepared import World

RANGE = {"first": "2026-10-01", "last": "2026-10-10"}


@pytest.fixture
def loaded(world: World, engine: Engine, tmp_path: Path) -> World:
    with session_scope(engine) as s:
        load(s, tmp_path)
    return world


def _pseud(engine: Engine, world: World, key: str) -> str:
    with session_scope(engine) as s:
        p = s.get(Person, world.people[key])
        assert p is not None
        return p.pseudonym


def _a(world: World) -> int:
    return world.units["a"]


def test_overview_figures_by_day_category_hour_source_and_account(
    loaded: World, signed_in: Callable[..., TestClient]
) -> None:
    c = signed_in("analyst")
    data = c.get(f"/api/v1/units/{_a(loaded)}/activity", params=RANGE).json()
    assert data["by_category"] == EXPECTED
    assert data["total"] == sum(EXPECTED.values())
    assert data["unknown"] == {"events": EXPECTED_UNKNOWN, "users": 1}
    assert data["known"]["users"] == 3  # A001, A003, A006 (unit B's B001 never counts)
    table = {r["day"]: r for r in data["daily"]["table"]}
    assert len(table) == 10 and table["2026-10-01"]["total"] == 0
    # the 01:30 local logon (UTC: the day before) counts on its local day
    assert table["2026-10-06"]["logon"] == 2 + 1 + 1
    assert table["2026-10-05"]["logon"] == 2 + 1 + 1
    assert table["2026-10-07"]["logon"] == 2 + 2
    hours = {r["hour"]: r for r in data["hourly"]["table"]}
    assert hours["01"]["logon"] == 1 and hours["03"]["logon"] == 2
    assert [s["adapter"] for s in data["sources"]] == ["cert"]
    assert data["sources"][0]["events"] == data["total"]
    assert data["sources"][0]["first_day"] == "2026-10-05"
    assert data["sources"][0]["last_day"] == "2026-10-07"
    spec = data["daily"]["spec"]
    assert spec["options"]["scales"]["y"]["stacked"] is True
    # the schema's order of categories (keyguard.events.schema.CATEGORIES)
    assert [d["label"] for d in spec["data"]["datasets"]] == [
        "logon",
        "file",
        "email",
        "http",
        "device",
    ]


def test_default_range_is_the_last_90_days_of_data(
    loaded: World, signed_in: Callable[..., TestClient]
) -> None:
    data = signed_in("analyst").get(f"/api/v1/units/{_a(loaded)}/activity").json()
    assert data["range"]["last"] == "2026-10-07"
    assert data["range"]["first"] == "2026-07-10"
    assert data["range"]["data_first"] == "2026-10-05"
    assert data["total"] == sum(EXPECTED.values())


def test_filters_by_category_department_and_bad_input(
    loaded: World, signed_in: Callable[..., TestClient]
) -> None:
    c = signed_in("analyst")
    url = f"/api/v1/units/{_a(loaded)}/activity"
    files = c.get(url, params={**RANGE, "category": "file"}).json()
    assert files["by_category"] == {"file": EXPECTED["file"]}
    research = c.get(url, params={**RANGE, "department": loaded.departments["research"]}).json()
    assert research["by_category"] == EXPECTED_A001
    assert research["unknown"]["events"] == 0
    security = c.get(url, params={**RANGE, "department": loaded.departments["security"]}).json()
    assert security["by_category"] == {"logon": 3}  # A003 once, A006 twice
    # a department of another unit is not one of this unit's
    other = c.get(url, params={**RANGE, "department": loaded.departments["operations"]})
    assert other.status_code == 404
    assert c.get(url, params={"first": "2026-10-10", "last": "2026-10-01"}).status_code == 400
    assert c.get(url, params={"first": "10/01/2026"}).status_code == 400


def test_pages_render_with_chart_table_and_htmx_fragments(
    loaded: World, signed_in: Callable[..., TestClient], engine: Engine
) -> None:
    c = signed_in("security_officer")
    a = _a(loaded)
    page = c.get(f"/units/{a}/activity", params=RANGE)
    assert page.status_code == 200
    assert 'id="activity-daily-chart"' in page.text and "data-chart=" in page.text
    assert 'id="activity-daily-table"' in page.text and "chart.umd.min.js" in page.text
    assert f'href="/units/{a}/activity"' in page.text  # the navigation entry
    frag = c.get(
        f"/units/{a}/activity",
        params={**RANGE, "category": "logon"},
        headers={"HX-Request": "true"},
    )
    assert frag.status_code == 200 and "<html" not in frag.text
    assert 'id="activity-daily-table"' in frag.text
    zhang = _pseud(engine, loaded, "zhang")
    people = c.get(f"/units/{a}/activity/people", params=RANGE)
    assert people.status_code == 200 and zhang in people.text
    person = c.get(f"/units/{a}/activity/people/{zhang}", params=RANGE)
    assert person.status_code == 200 and 'id="day-events"' in person.text
    day = c.get(
        f"/units/{a}/activity/people/{zhang}",
        params={**RANGE, "day": "2026-10-06"},
        headers={"HX-Request": "true"},
    )
    assert day.status_code == 200 and "<html" not in day.text and 'id="day"' in day.text
    assert "2026-10-06 11:00:00" in day.text
    dash = c.get(f"/units/{a}/dashboard")
    assert 'id="card-activity"' in dash.text


def test_people_list_by_pseudonym_without_the_viewer(
    loaded: World, signed_in: Callable[..., TestClient], engine: Engine
) -> None:
    data = signed_in("analyst").get(f"/api/v1/units/{_a(loaded)}/activity/people", params=RANGE)
    rows = {r["pseudonym"]: r for r in data.json()["people"]}
    zhang, own = _pseud(engine, loaded, "zhang"), _pseud(engine, loaded, "analyst")
    svc = pseudonym("unit-a", "svc_backup")
    assert set(rows) == {zhang, _pseud(engine, loaded, "accented"), svc}
    assert own not in rows
    assert rows[zhang]["events"] == sum(EXPECTED_A001.values())
    assert rows[zhang]["by_category"] == EXPECTED_A001
    assert rows[zhang]["days"] == 3 and rows[zhang]["known"] is True
    assert rows[zhang]["department"] == "Research 研发部"
    assert rows[zhang]["off_hours"] == 1  # the 01:30 logon
    assert rows[svc]["known"] is False and rows[svc]["off_hours"] == 2
    # the officer (person A003) sees the analyst's person, not their own
    officer = signed_in("security_officer").get(
        f"/api/v1/units/{_a(loaded)}/activity/people", params=RANGE
    )
    listed = {r["pseudonym"] for r in officer.json()["people"]}
    assert own in listed and _pseud(engine, loaded, "accented") not in listed
    found = signed_in("analyst").get(
        f"/api/v1/units/{_a(loaded)}/activity/people",
        params={**RANGE, "search": zhang[-4:].lower()},
    )
    assert zhang in {r["pseudonym"] for r in found.json()["people"]}
    url = f"/api/v1/units/{_a(loaded)}/activity/people"
    unknown = signed_in("analyst").get(url, params={**RANGE, "account": "unknown"}).json()
    assert [r["pseudonym"] for r in unknown["people"]] == [svc]
    known = signed_in("analyst").get(url, params={**RANGE, "account": "known"}).json()
    assert svc not in {r["pseudonym"] for r in known["people"]} and known["count"] == 2
    assert signed_in("analyst").get(url, params={"account": "maybe"}).status_code == 400


def test_person_timeline_day_events_pseudonymised_with_provenance(
    loaded: World, signed_in: Callable[..., TestClient], engine: Engine
) -> None:
    c = signed_in("analyst")
    zhang, analyst = _pseud(engine, loaded, "zhang"), _pseud(engine, loaded, "analyst")
    url = f"/api/v1/units/{_a(loaded)}/activity/people/{zhang}"
    data = c.get(url, params=RANGE).json()
    assert data["person"] == {"pseudonym": zhang, "known": True, "department": "Research 研发部"}
    assert data["by_category"] == EXPECTED_A001 and data["active_days"] == 3
    assert data["day"]["day"] == "2026-10-07"  # the last active day by default
    assert data["day"]["previous"] == "2026-10-06" and data["day"]["next"] is None
    day = c.get(url, params={**RANGE, "day": "2026-10-06"}).json()["day"]
    events = day["events"]
    assert day["total"] == len(events) == 2 + 1 + 2 + 2 + 1 + 1  # logons, night, files, dev...
    night = events[0]
    assert night["local_time"] == "2026-10-06 01:30:00"
    assert night["utc_time"] == "2026-10-05 17:30:00Z"
    assert night["host"] == "PC-0106" and night["host_owner"] == analyst
    assert night["machine"] == "another person's"
    assert re.fullmatch(r"logon\.csv:\d+", night["source"]) and night["adapter"] == "cert"
    assert night["ingest_run"]
    own_pc = [e for e in events if e["host"] == "PC-0101"]
    assert own_pc and all(e["machine"] == "own" and e["host_owner"] == zhang for e in own_pc)
    mail = next(e for e in events if e["category"] == "email")
    accented = _pseud(engine, loaded, "accented")
    assert mail["object"].startswith(f"from {zhang} to {accented}")
    assert "@freemail.example" in mail["object"] and OUTSIDE not in mail["object"]
    assert mail["recipients_outside"] == 1
    files = [e for e in events if e["category"] == "file"]
    assert all(zhang in e["object"] and e["to_removable"] for e in files)
    upload = next(e for e in events if e["category"] == "http")
    assert upload["activity"] == "upload" and "dropbox.com" in upload["object"]
    # ordered by time
    assert [e["utc_time"] for e in events] == sorted(e["utc_time"] for e in events)


def test_day_events_are_paged(
    loaded: World,
    signed_in: Callable[..., TestClient],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(views, "EVENTS_PAGE", 3)
    c = signed_in("analyst")
    zhang = _pseud(engine, loaded, "zhang")
    url = f"/api/v1/units/{_a(loaded)}/activity/people/{zhang}"
    seen: list[str] = []
    pages = None
    for page in (1, 2, 3):
        day = c.get(url, params={**RANGE, "day": "2026-10-06", "page": page}).json()["day"]
        pages = day["pages"]
        seen += [e["event_id"] for e in day["events"]]
    assert pages == 3 and len(seen) == len(set(seen)) == 9


@pytest.mark.pg
def test_every_timeline_look_is_audited(
    loaded: World, signed_in: Callable[..., TestClient], engine: Engine
) -> None:
    zhang = _pseud(engine, loaded, "zhang")
    c = signed_in("analyst")
    assert c.get(f"/units/{_a(loaded)}/activity/people/{zhang}", params=RANGE).status_code == 200
    assert (
        c.get(
            f"/api/v1/units/{_a(loaded)}/activity/people/{zhang}",
            params={**RANGE, "day": "2026-10-05"},
        ).status_code
        == 200
    )
    svc = pseudonym("unit-a", "svc_backup")
    assert c.get(f"/api/v1/units/{_a(loaded)}/activity/people/{svc}").status_code == 200
    with session_scope(engine) as s:
        entries = list(
            s.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "view", AuditEntry.object_type == "person"
                )
            )
        )
        about = [e for e in entries if e.object_id == str(loaded.people["zhang"])]
        assert len(about) == 2
        assert all(e.actor == f"account:{loaded.accounts['analyst']}" for e in about)
        assert all(e.unit_id == loaded.units["a"] for e in about)
        assert '"activity timeline"' in about[0].details and zhang in about[0].details
        assert any(e.object_id == svc for e in entries)


def test_nobody_sees_their_own_timeline(
    loaded: World, signed_in: Callable[..., TestClient], engine: Engine
) -> None:
    own = _pseud(engine, loaded, "analyst")
    c = signed_in("analyst")
    for prefix in ("", "/api/v1"):
        r = c.get(f"{prefix}/units/{_a(loaded)}/activity/people/{own}", params=RANGE)
        assert r.status_code == 403
    # yet the officer may look at the analyst's activity
    r = signed_in("security_officer").get(
        f"/api/v1/units/{_a(loaded)}/activity/people/{own}", params=RANGE
    )
    assert r.status_code == 200 and r.json()["total"] == 2


@pytest.mark.parametrize("role", ["department_head", "employee", "auditor", "supervisor"])
def test_roles_without_activity_access(
    loaded: World, signed_in: Callable[..., TestClient], engine: Engine, role: str
) -> None:
    zhang = _pseud(engine, loaded, "zhang")
    c = signed_in(role)
    a = _a(loaded)
    for url in (
        f"/units/{a}/activity",
        f"/units/{a}/activity/people",
        f"/units/{a}/activity/people/{zhang}",
        f"/api/v1/units/{a}/activity",
        f"/api/v1/units/{a}/activity/people",
        f"/api/v1/units/{a}/activity/people/{zhang}",
    ):
        assert c.get(url).status_code == 403, (role, url)
    dash = c.get(f"/api/v1/units/{a}/dashboard")
    if dash.status_code == 200:
        assert "activity" not in {card.get("key") for card in dash.json().get("cards", [])}


def test_units_are_isolated(
    loaded: World, signed_in: Callable[..., TestClient], engine: Engine
) -> None:
    li = _pseud(engine, loaded, "li")
    officer_a = signed_in("security_officer")
    for prefix in ("", "/api/v1"):
        r = officer_a.get(f"{prefix}/units/{_a(loaded)}/activity/people/{li}", params=RANGE)
        assert r.status_code == 404
        assert officer_a.get(f"{prefix}/units/{loaded.units['b']}/activity").status_code == 403
    officer_b = signed_in("officer_b")
    data = officer_b.get(f"/api/v1/units/{loaded.units['b']}/activity", params=RANGE).json()
    assert data["by_category"] == {"logon": 3} and data["known"]["users"] == 1
    zhang = _pseud(engine, loaded, "zhang")
    r = officer_b.get(f"/api/v1/units/{loaded.units['b']}/activity/people/{zhang}")
    assert r.status_code == 404


def test_no_identity_in_anything_an_analyst_or_officer_reaches(
    loaded: World, signed_in: Callable[..., TestClient], engine: Engine
) -> None:
    a = _a(loaded)
    texts: list[str] = []
    for role in ("analyst", "security_officer"):
        c = signed_in(role)
        people = c.get(f"/api/v1/units/{a}/activity/people", params=RANGE).json()["people"]
        urls: list[tuple[str, dict[str, Any]]] = [
            (f"/units/{a}/activity", RANGE),
            (f"/api/v1/units/{a}/activity", RANGE),
            (f"/units/{a}/activity/people", RANGE),
            (f"/api/v1/units/{a}/activity/people", RANGE),
            (f"/units/{a}/dashboard", {}),
            (f"/api/v1/units/{a}/dashboard", {}),
        ]
        for p in people:
            for day in ("2026-10-05", "2026-10-06", "2026-10-07"):
                for prefix in ("", "/api/v1"):
                    urls.append(
                        (
                            f"{prefix}/units/{a}/activity/people/{p['pseudonym']}",
                            {**RANGE, "day": day},
                        )
                    )
        for url, params in urls:
            r = c.get(url, params=params)
            assert r.status_code == 200, url
            texts.append(r.text)
    everything = "\n".join(texts)
    assert "P-" in everything
    for key in loaded.names:
        for secret in (loaded.names[key], loaded.person_emails[key]):
            assert secret.casefold() not in everything.casefold(), secret
        assert loaded.staff_ids[key] not in everything, loaded.staff_ids[key]
    for secret in ("zhang.wei", "jose.nunez", "svc_backup", OUTSIDE, "zebracontent"):
        assert secret not in everything.casefold(), secret
