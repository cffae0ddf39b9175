"""No look-ahead: facts over time as known on a day, departures, changes recorded by other
domains, and the lookups the rest of keyguard uses."""

from __future__ import annotations

from pathlib import Path

import pytest
from org_support import counts, day, staff_february, staff_march, write_month
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.errors import RuleViolation
from keyguard.records.org import service as org
from keyguard.records.org.models import Person, Unit


def june_july(base: Path) -> Path:
    """June: nine people; July: Hana has gone."""
    folder = base / "cert"
    write_month(folder, "2010-06", staff_february())
    write_month(folder, "2010-07", staff_march())
    return folder


def by_staff(facts: list[org.PersonFacts]) -> dict[str, org.PersonFacts]:
    return {f.staff_id: f for f in facts}


def person(session: Session, unit: Unit, staff_id: str) -> Person:
    return session.scalars(
        select(Person).where(Person.unit_id == unit.id, Person.staff_id == staff_id)
    ).one()


@pytest.mark.pg
def test_july_facts_are_not_visible_when_known_on_june(
    session: Session, unit: Unit, tmp_path: Path
) -> None:
    org.import_ldap_folder(session, unit=unit, folder=june_july(tmp_path))
    session.commit()
    july = by_staff(org.person_facts_as_of(session, unit_id=unit.id, day=day("2010-07-15")))
    assert july["HAL0008"].status == "left" and july["HAL0008"].end_date == day("2010-06-30")
    assert july["HAL0008"].known_from == day("2010-07-01")
    # the same day as known at the end of June: the leaver is not known yet
    known_june = by_staff(
        org.person_facts_as_of(
            session, unit_id=unit.id, day=day("2010-07-15"), known_on=day("2010-06-30")
        )
    )
    assert known_june["HAL0008"].status == "active" and known_june["HAL0008"].end_date is None
    # before anything was known there are no facts at all
    assert org.person_facts_as_of(session, unit_id=unit.id, day=day("2010-05-31")) == []
    active = org.person_facts_as_of(
        session, unit_id=unit.id, day=day("2010-07-15"), active_only=True
    )
    assert "HAL0008" not in by_staff(active) and len(active) == 8
    # departures: known from July on, not in June
    assert org.departing_known_on(session, unit_id=unit.id, day=day("2010-06-30")) == []
    gone = org.departing_known_on(session, unit_id=unit.id, day=day("2010-07-02"))
    assert [(d.staff_id, d.status, d.end_date, d.known_from) for d in gone] == [
        ("HAL0008", "left", day("2010-06-30"), day("2010-07-01"))
    ]
    assert (
        org.departing_known_on(
            session, unit_id=unit.id, day=day("2010-07-02"), since=day("2010-07-01")
        )
        == []
    )


@pytest.mark.pg
def test_notice_known_late_is_not_used_before_it_was_known(
    session: Session, unit: Unit, tmp_path: Path
) -> None:
    org.import_ldap_folder(session, unit=unit, folder=june_july(tmp_path))
    session.commit()
    finn = person(session, unit, "FIM0006")  # June and July versions (same facts)
    eve = person(session, unit, "EVS0005")
    # Eve gave notice on 10 June; keyguard learned it on 20 June
    added = org.apply_person_facts(
        session,
        person=eve,
        valid_from=day("2010-06-10"),
        known_from=day("2010-06-20"),
        source="HR letter",
        status="notice",
        notice_date=day("2010-06-10"),
        end_date=day("2010-08-31"),
    )
    session.commit()
    assert [v.valid_from for v in added] == [day("2010-06-10")]
    on_15 = by_staff(org.person_facts_as_of(session, unit_id=unit.id, day=day("2010-06-15")))
    assert on_15["EVS0005"].status == "active"  # not known on the 15th
    later = by_staff(
        org.person_facts_as_of(
            session, unit_id=unit.id, day=day("2010-06-15"), known_on=day("2010-06-20")
        )
    )
    assert later["EVS0005"].status == "notice"
    departing = org.departing_known_on(session, unit_id=unit.id, day=day("2010-06-25"))
    assert [(d.staff_id, d.known_from, d.end_date) for d in departing] == [
        ("EVS0005", day("2010-06-20"), day("2010-08-31"))
    ]
    assert eve.status == "notice" and eve.end_date == day("2010-08-31")
    # July (an LDAP version known from 1 July) keeps the notice
    july = by_staff(org.person_facts_as_of(session, unit_id=unit.id, day=day("2010-07-15")))
    assert july["EVS0005"].status == "notice"

    # a change applied to later versions, except where they set the fact themselves
    hana = person(session, unit, "HAL0008")
    org.apply_person_facts(
        session,
        person=hana,
        valid_from=day("2010-06-05"),
        source="HR",
        notice_date=day("2010-06-05"),
        status="notice",
    )
    history = org.person_history(session, unit.id, hana.id)
    current = [(h.valid_from, h.status, h.notice_date) for h in history if not h.superseded]
    assert current == [
        (day("2010-06-01"), "active", None),
        (day("2010-06-05"), "notice", day("2010-06-05")),
        (day("2010-07-01"), "left", day("2010-06-05")),
    ]
    assert [h.superseded for h in history].count(True) == 1  # July's first record

    # nothing changes: nothing recorded; unknown facts and states are refused
    assert (
        org.apply_person_facts(
            session, person=finn, valid_from=day("2010-07-03"), source="x", job_title="Engineer"
        )
        == []
    )
    with pytest.raises(RuleViolation):
        org.apply_person_facts(
            session, person=finn, valid_from=day("2010-07-03"), source="x", shoe_size=44
        )
    with pytest.raises(RuleViolation):
        org.apply_person_facts(
            session, person=finn, valid_from=day("2010-07-03"), source="x", status="retired"
        )
    with pytest.raises(RuleViolation, match="no recorded facts"):
        org.apply_person_facts(
            session, person=finn, valid_from=day("2010-01-01"), source="x", status="notice"
        )
    session.commit()

    # re-importing the LDAP files keeps what other domains recorded and adds nothing
    before = counts(session)
    org.import_ldap_folder(session, unit=unit, folder=tmp_path / "cert")
    session.commit()
    assert counts(session)["version"] == before["version"]
    assert eve.status == "notice"


@pytest.mark.pg
def test_people_by_source_user_ignores_case(session: Session, unit: Unit, tmp_path: Path) -> None:
    org.import_ldap_folder(session, unit=unit, folder=june_july(tmp_path))
    lookup = org.people_by_source_user(session, unit.id)
    assert lookup["ada0001"].full_name == "Ada Lovelace"
    assert "Ada0001" in lookup and "ZZZ0000" not in lookup and 7 not in lookup
    assert len(lookup) == 9 and sorted(lookup)[0] == "ADA0001"
    assert lookup.get("nobody") is None
