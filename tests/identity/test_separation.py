"""Roles as data and the separation rules the two-person checks rely on."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from keyguard.identity.models import Account
from keyguard.identity.permissions import ROLE_NAMES, can, role_book
from keyguard.identity.service import (
    assign_role,
    create_account,
    may_be_second_person,
    principal_for,
)
from keyguard.records.org.models import Person
from keyguard.records.org.service import create_unit

PW = "a-long-Passw0rd!"


def test_every_role_of_the_design_is_defined() -> None:
    book = role_book()
    assert set(ROLE_NAMES) == set(book.roles)
    assert "alerts.view" not in book.roles["department_head"].permissions
    assert "people.identify" not in book.roles["analyst"].permissions


def _person(session: Session, unit_id: int, staff: str) -> Person:
    p = Person(unit_id=unit_id, staff_id=staff, pseudonym=f"P-{staff}", full_name=staff)
    session.add(p)
    session.flush()
    return p


@pytest.mark.pg
def test_second_person_rules_compare_people(session: Session) -> None:
    unit = create_unit(session, code="u", name="U")
    alice_p, bob_p = _person(session, unit.id, "alice"), _person(session, unit.id, "bob")
    alice = create_account(
        session,
        email="alice@u.org",
        password=PW,
        unit_id=unit.id,
        person_id=alice_p.id,
        roles=[("analyst", unit.id)],
    )
    alice2 = create_account(
        session,
        email="alice.alt@u.org",
        password=PW,
        unit_id=unit.id,
        person_id=alice_p.id,
        roles=[("analyst", unit.id)],
    )
    bob = create_account(
        session,
        email="bob@u.org",
        password=PW,
        unit_id=unit.id,
        person_id=bob_p.id,
        roles=[("analyst", unit.id)],
    )
    made = create_account(
        session, email="made@u.org", password=PW, unit_id=unit.id, created_by=alice
    )
    promoted = create_account(session, email="prom@u.org", password=PW, unit_id=unit.id)
    assign_role(session, account=promoted, role="analyst", unit_id=unit.id, granted_by=alice2)

    assert may_be_second_person(session, requester=alice, approver=bob) is None
    assert "same person" in (may_be_second_person(session, requester=alice, approver=alice2) or "")
    assert "created" in (may_be_second_person(session, requester=alice, approver=made) or "")
    # promoted by another account of the same person still counts
    assert "role" in (may_be_second_person(session, requester=alice, approver=promoted) or "")


@pytest.mark.pg
def test_permissions_are_scoped_to_units(session: Session) -> None:
    a = create_unit(session, code="a", name="A")
    b = create_unit(session, code="b", name="B")
    officer = create_account(
        session, email="so@a.org", password=PW, roles=[("security_officer", a.id)]
    )
    principal = principal_for(session, officer)
    assert can(principal, "alerts.view", a.id)
    assert not can(principal, "alerts.view", b.id)
    with pytest.raises(KeyError):
        can(principal, "no.such.permission", a.id)


@pytest.mark.pg
def test_weak_passwords_and_duplicates_refused(session: Session) -> None:
    from keyguard.errors import RuleViolation

    with pytest.raises(RuleViolation, match="at least"):
        create_account(session, email="x@y.org", password="short")
    create_account(session, email="x@y.org", password=PW)
    with pytest.raises(RuleViolation, match="already exists"):
        create_account(session, email="X@y.org", password=PW)
    assert session.query(Account).count() == 1
