"""People pages and their JSON twins: pseudonyms for analysts, real names (Chinese, Arabic,
accented) for those who may identify, department scope for heads, audited person views."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.audit.models import AuditEntry
from keyguard.privacy.pseudonyms import pseudonym

from .prepared import PEOPLE_A, World, leaked


def unit_a_addresses(world: World) -> list[str]:
    a = world.units["a"]
    pages = [
        f"/units/{a}/dashboard",
        f"/units/{a}/org",
        f"/units/{a}/people",
        f"/units/{a}/people?q=P-",
        f"/units/{a}/people?department={world.departments['research']}",
    ]
    pages += [f"/units/{a}/people/{pid}" for key, pid in world.people.items() if key in PEOPLE_A]
    return pages + [f"/api/v1{p}" for p in pages]


def test_analyst_sees_pseudonyms_only(signed_in, world: World) -> None:  # type: ignore[no-untyped-def]
    analyst = signed_in("analyst")
    secrets = world.identities()
    for url in unit_a_addresses(world):
        response = analyst.get(url)
        assert response.status_code == 200, url
        body = (
            response.text
            if not url.startswith("/api/")
            else json.dumps(response.json(), ensure_ascii=False)
        )
        shown = leaked(secrets, body)
        assert not shown, f"{url} shows {shown}"
    listing = analyst.get(f"/api/v1/units/{world.units['a']}/people").json()
    assert listing["identified"] is False
    assert {p["pseudonym"] for p in listing["items"]} == {
        pseudonym("unit-a", staff) for staff, *_ in PEOPLE_A.values()
    }
    assert all(set(p) == {"id", "pseudonym", "department"} for p in listing["items"])
    detail = analyst.get(f"/api/v1/units/{world.units['a']}/people/{world.people['zhang']}").json()
    assert set(detail) == {"id", "pseudonym", "department", "identified"}
    assert detail["department"] == "Research 研发部"
    # Searching by name finds nothing: only pseudonyms are searchable.
    assert analyst.get(f"/api/v1/units/{world.units['a']}/people?q=张").json()["total"] == 0


def test_officer_sees_names_in_any_script(signed_in, world: World) -> None:  # type: ignore[no-untyped-def]
    officer = signed_in("security_officer")
    a = world.units["a"]
    page = officer.get(f"/units/{a}/people").text
    for key in ("zhang", "arabic", "accented", "head", "employee"):
        assert world.names[key] in page
        assert world.staff_ids[key] in page
    found = officer.get(f"/api/v1/units/{a}/people?q=محمد").json()
    assert [p["name"] for p in found["items"]] == ["محمد عبد الله"]
    person = officer.get(f"/units/{a}/people/{world.people['accented']}")
    assert "José Ñúñez-Müller" in person.text and "jose.nunez@unit-a.example" in person.text
    api = officer.get(f"/api/v1/units/{a}/people/{world.people['zhang']}").json()
    assert api["name"] == "张伟" and api["identified"] is True


def test_department_head_sees_only_their_department(signed_in, world: World) -> None:  # type: ignore[no-untyped-def]
    head = signed_in("department_head")  # person "head" works in Research
    a = world.units["a"]
    names = {p["name"] for p in head.get(f"/api/v1/units/{a}/people").json()["items"]}
    assert names == {world.names["zhang"], world.names["arabic"], world.names["head"]}
    assert head.get(f"/units/{a}/people/{world.people['accented']}").status_code == 404
    assert head.get(f"/api/v1/units/{a}/people/{world.people['employee']}").status_code == 404
    assert "Łukasz" not in head.get(f"/units/{a}/people").text


def test_every_person_view_is_audited(signed_in, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    a = world.units["a"]
    analyst, officer = signed_in("analyst"), signed_in("security_officer")
    analyst.get(f"/units/{a}/people/{world.people['zhang']}")
    officer.get(f"/units/{a}/people/{world.people['arabic']}")
    officer.get(f"/api/v1/units/{a}/people/{world.people['zhang']}")
    officer.get(f"/units/{a}/people")
    db.expire_all()
    views = list(
        db.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "view", AuditEntry.object_type == "person")
            .order_by(AuditEntry.seq)
        )
    )
    got = [(v.actor, v.object_id, v.unit_id, json.loads(v.details)["identified"]) for v in views]
    assert got == [
        (f"account:{world.accounts['analyst']}", str(world.people["zhang"]), a, False),
        (f"account:{world.accounts['security_officer']}", str(world.people["arabic"]), a, True),
        (f"account:{world.accounts['security_officer']}", str(world.people["zhang"]), a, True),
    ]
    listed = db.scalars(select(AuditEntry).where(AuditEntry.object_type == "person_list")).one()
    assert sorted(json.loads(listed.details)["ids"]) == sorted(world.people[k] for k in PEOPLE_A)
    # The audit log itself never holds the names it protects.
    everything = " ".join(e.details for e in db.scalars(select(AuditEntry)))
    assert "张伟" not in everything and "محمد عبد الله" not in everything


def test_a_refused_look_is_not_audited_as_a_view(signed_in, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    employee = signed_in("employee")
    response = employee.get(f"/units/{world.units['a']}/people/{world.people['zhang']}")
    assert response.status_code == 403
    db.expire_all()
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "view")).all() == []


def test_org_tree_counts_people(signed_in, world: World) -> None:  # type: ignore[no-untyped-def]
    nodes = signed_in("analyst").get(f"/api/v1/units/{world.units['a']}/org").json()
    by_name = {n["name"]: n for n in nodes}
    assert by_name["Research 研发部"]["people"] == 3
    assert by_name["Security office"]["people"] == 4
    assert by_name["Team 1"]["parent_id"] == by_name["Research 研发部"]["id"]
    page = signed_in("analyst").get(f"/units/{world.units['a']}/org").text
    assert "Research 研发部" in page and "Team 1" in page


def test_people_filter_is_an_htmx_fragment(signed_in, world: World) -> None:  # type: ignore[no-untyped-def]
    officer = signed_in("security_officer")
    url = f"/units/{world.units['a']}/people?department={world.departments['security']}"
    fragment = officer.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "<table>" in fragment.text
    assert "José Ñúñez-Müller" in fragment.text and "张伟" not in fragment.text
    # The form sends an empty department for "all departments".
    everyone = officer.get(
        f"/units/{world.units['a']}/people?q=%E5%BC%A0&department=", headers={"HX-Request": "true"}
    )
    assert everyone.status_code == 200 and "张伟" in everyone.text
