"""Assignment to positions at every level, a person's duties following their position,
signing statements and attestations with the exact text and its hash."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.errors import RuleViolation
from keyguard.library.content import builtin_frameworks, load_framework
from keyguard.records.duties import service
from keyguard.records.duties.assign import position_levels
from keyguard.records.duties.models import DutyAssignment, FrameworkObject
from keyguard.records.duties.texts import sha256_text
from keyguard.records.org.models import PersonVersion

DAY = dt.date(2026, 3, 2)


def _load(session: Session, org) -> None:
    service.load_builtin_frameworks(session, unit=org.unit)
    service.assign_duties(session, unit=org.unit, day=dt.date(2026, 1, 5))


def _levels_of(session: Session, org, key: str) -> set[str]:
    rows = session.scalars(
        select(FrameworkObject.level)
        .join(DutyAssignment, DutyAssignment.duty_id == FrameworkObject.id)
        .where(
            DutyAssignment.position_id == org.positions[key].id, DutyAssignment.valid_to.is_(None)
        )
    )
    return set(rows)


@pytest.mark.pg
def test_duties_go_to_positions_of_their_level(session: Session, org) -> None:
    _load(session, org)
    levels = position_levels(session, org.unit)
    assert "security_office" in levels[org.positions["cso"].id]
    assert "security_office" in levels[org.positions["officer"].id]
    assert "security_office" not in levels[org.positions["head"].id]
    assert _levels_of(session, org, "president") >= {"leadership", "individual"}
    assert "security_office" not in _levels_of(session, org, "president")
    assert _levels_of(session, org, "cso") >= {"department", "security_office", "individual"}
    assert _levels_of(session, org, "head") == {"department", "individual"}
    assert "team" in _levels_of(session, org, "lead")
    assert _levels_of(session, org, "eng") == {"individual"}
    again = service.assign_duties(session, unit=org.unit)
    assert (again.created, again.ended) == (0, 0)


@pytest.mark.pg
def test_security_office_is_configurable(session: Session, org) -> None:
    org.unit.settings = {"duties": {"security_office_match": ["lasers"]}}
    session.flush()
    levels = position_levels(session, org.unit)
    assert "security_office" in levels[org.positions["eng"].id]
    assert "security_office" not in levels[org.positions["officer"].id]


@pytest.mark.pg
def test_duties_follow_a_person_who_moves(session: Session, org) -> None:
    _load(session, org)
    eng = org.people["eng"]
    before = service.my_duties(session, person_id=eng.id, day=DAY)
    assert {i.duty.level for i in before.items if i.duty} == {"individual"}
    moved = dt.date(2026, 3, 1)
    version = eng.versions[-1]
    version.valid_to = moved
    session.add(
        PersonVersion(
            unit_id=eng.unit_id,
            person_id=eng.id,
            full_name=eng.full_name,
            email=eng.email,
            department_id=eng.department_id,
            team_id=eng.team_id,
            position_id=org.positions["lead"].id,
            status="active",
            start_date=eng.start_date,
            valid_from=moved,
            known_from=moved,
            source="test",
        )
    )
    eng.position_id = org.positions["lead"].id
    session.flush()
    session.refresh(eng)
    after = service.my_duties(session, person_id=eng.id, day=DAY)
    assert "team" in {i.duty.level for i in after.items if i.duty}
    # before the move was known, the old position still counts
    earlier = service.my_duties(session, person_id=eng.id, day=dt.date(2026, 2, 27))
    assert "team" not in {i.duty.level for i in earlier.items if i.duty}


@pytest.mark.pg
def test_sign_statement_stores_text_hash_and_versions(session: Session, org) -> None:
    _load(session, org)
    eng = org.people["eng"]
    mine = service.my_duties(session, person_id=eng.id, locale="en", day=DAY)
    statement = next(i for i in mine.items if i.kind == "statement")
    assert statement.status == "overdue"  # took the post on 5 Jan, 30 days' grace
    assert "Erik Engineer" in mine.statement_text
    with pytest.raises(RuleViolation, match="changed since it was shown"):
        service.sign_statement(
            session, person_id=eng.id, account_id=None, locale="en", text_sha256="0" * 64
        )
    row = service.sign_statement(
        session, person_id=eng.id, account_id=None, locale="en", text_sha256=mine.statement_sha256
    )
    assert row.text == mine.statement_text and row.text_sha256 == sha256_text(row.text)
    assert len(row.framework_versions) == len(builtin_frameworks())
    shipped = {d.urn: d.version for d in map(load_framework, builtin_frameworks())}
    assert row.framework_versions == shipped  # the version each text was signed against
    with pytest.raises(RuleViolation, match="already signed"):
        service.sign_statement(
            session,
            person_id=eng.id,
            account_id=None,
            locale="en",
            text_sha256=mine.statement_sha256,
        )
    zh, zh_sha, _ = service.statement_for(session, person_id=eng.id, locale="zh-CN")
    assert "本人" in zh and zh_sha != mine.statement_sha256
    after = service.my_duties(session, person_id=eng.id)
    assert next(i for i in after.items if i.kind == "statement").status == "done"


@pytest.mark.pg
def test_attestation_for_a_period(session: Session, org, now) -> None:
    now("2026-03-02T10:00:00")
    _load(session, org)
    eng = org.people["eng"]
    mine = service.my_duties(session, person_id=eng.id)
    item = next(i for i in mine.items if i.kind == "attestation" and i.status != "done")
    text, digest = service.attestation_for(
        session, person_id=eng.id, duty_id=item.duty.id, period=item.period, locale="en"
    )
    row = service.attest(
        session,
        person_id=eng.id,
        account_id=None,
        duty_id=item.duty.id,
        period=item.period,
        locale="en",
        text_sha256=digest,
        evidence_note="briefing minutes 2026-02",
    )
    assert row.text == text and row.framework_version == 1 and row.period == item.period
    with pytest.raises(RuleViolation, match="already attested"):
        service.attestation_for(
            session, person_id=eng.id, duty_id=item.duty.id, period=item.period, locale="en"
        )
    with pytest.raises(RuleViolation, match="not one of your duties"):
        service.attestation_for(
            session, person_id=eng.id, duty_id=item.duty.id, period="1999", locale="en"
        )
