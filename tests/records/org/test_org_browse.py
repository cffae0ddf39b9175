"""What the web UI reads: tree, pages of people, a person, history, a manager's people."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from org_support import ENGINEERING, JOSE, TESTING, cert_folder
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.audit.context import Actor, actor_scope
from keyguard.audit.models import AuditEntry
from keyguard.errors import NotFound
from keyguard.records.org import service as org
from keyguard.records.org.models import OrgNode, Person, Unit


@pytest.fixture
def loaded(session: Session, unit: Unit, tmp_path: Path) -> dict[str, Person]:
    org.import_ldap_folder(session, unit=unit, folder=cert_folder(tmp_path))
    session.commit()
    return {p.staff_id: p for p in session.scalars(select(Person))}


def last_audit(session: Session) -> AuditEntry:
    return session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()


@pytest.mark.pg
def test_org_tree_counts_and_heads(session: Session, unit: Unit, loaded: dict[str, Person]) -> None:
    (bu,) = org.org_tree(session, unit.id)
    assert (bu.name, bu.people, bu.people_total) == ("1", 1, 8)  # Hana has left
    assert [h.full_name for h in bu.heads] == ["Ada Lovelace"]
    dept = bu.children[0].children[0]
    assert dept.name == ENGINEERING and dept.people_total == 6
    assert [(h.full_name, h.level) for h in dept.heads] == [(JOSE, "department")]
    teams = {t.name: t for t in dept.children}
    assert teams[TESTING].people == 2 and teams[TESTING].heads[0].full_name == "Gus Lead"


@pytest.mark.pg
def test_list_people_filters_pages_and_is_audited(
    session: Session, unit: Unit, loaded: dict[str, Person]
) -> None:
    with actor_scope(Actor(name="account:7")):
        page = org.list_people(session, unit_id=unit.id, limit=4)
    assert page.total == 9 and [p.full_name for p in page.items] == [
        "Ada Lovelace",
        "Bob Vice",
        "Dan Lead",
        "Eve Staff",
    ]
    entry = last_audit(session)
    assert (entry.action, entry.object_type, entry.actor) == ("view", "person_list", "account:7")
    assert json.loads(entry.details)["shown"] == 4
    second = org.list_people(session, unit_id=unit.id, limit=4, offset=8)
    assert [p.staff_id for p in second.items] == ["JON0003"]
    dept = session.scalars(select(OrgNode).where(OrgNode.name == ENGINEERING)).one()
    in_dept = org.list_people(session, unit_id=unit.id, department_id=dept.id, limit=50)
    assert in_dept.total == 7  # the head, two leads and four staff (Hana included)
    found = org.list_people(session, unit_id=unit.id, search="lead")
    assert {p.staff_id for p in found.items} == {"DAL0004", "GUL0007"}
    assert org.list_people(session, unit_id=unit.id, search="100%_").total == 0
    assert org.list_people(session, unit_id=unit.id, search="jon0003").items[0].full_name == JOSE
    left = org.list_people(session, unit_id=unit.id, status="left")
    assert [(p.staff_id, p.team) for p in left.items] == [("HAL0008", TESTING)]


@pytest.mark.pg
def test_person_history_and_lookups(
    session: Session, unit: Unit, loaded: dict[str, Person]
) -> None:
    finn = loaded["FIM0006"]
    assert org.get_person(session, unit.id, finn.id).full_name == "Finn Move"
    assert (last_audit(session).object_type, last_audit(session).object_id) == (
        "person",
        str(finn.id),
    )
    other = org.create_unit(session, code="other", name="Other")
    with pytest.raises(NotFound):
        org.get_person(session, other.id, finn.id)
    history = org.person_history(session, unit.id, finn.id)
    assert [(h.team, h.manager, h.position) for h in history] == [
        ("1 - Design", "Dan Lead", "Engineer"),
        (TESTING, "Gus Lead", "Engineer"),
    ]
    assert json.loads(last_audit(session).details) == {"what": "history"}

    jose, ada, gus = loaded["JON0003"], loaded["ADA0001"], loaded["GUL0007"]
    assert [p.staff_id for p in org.subordinates(session, gus.id)] == ["FIM0006"]
    assert [p.staff_id for p in org.subordinates(session, gus.id, include_left=True)] == [
        "FIM0006",
        "HAL0008",
    ]
    below_jose = {p.staff_id for p in org.subordinates(session, jose.id)}
    assert below_jose == {"DAL0004", "GUL0007", "EVS0005", "FIM0006", "IVJ0009"}
    assert len(org.subordinates(session, ada.id)) == 7
    assert org.subordinates(session, loaded["EVS0005"].id) == []
    head_of = org.department_of_head(session, jose.id)
    assert head_of is not None and head_of.name == ENGINEERING
    assert org.department_of_head(session, gus.id) is None
    assert org.department_of_head(session, ada.id) is None
