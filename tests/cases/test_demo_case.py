"""Demo step 90: the founding case from the top collection alert keyguard raised, worked
through as the demo accounts (re-identification approved by a second analyst, the identity
seen and recorded, rectification actions for the loopholes, outcome "referred") — and
nothing at all when no such alert exists."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.audit.context import Actor, actor_scope
from keyguard.audit.models import AuditEntry
from keyguard.cases.models import Case, RectificationAction
from keyguard.demo.case import STEPS, step_case
from keyguard.demo.steps import DemoContext
from keyguard.identity.service import create_account
from keyguard.privacy.models import ReidentRequest
from web.prepared import PASSWORD

from .support import Prepared, make_alert, make_finding

MASS = ("0d6c2d55-6a8a-4a33-a1c1-1b3b8a0f1f00", "Mass e-mail")
THEN_OUT = ("3bf90fba-8531-42ba-bab2-efe85234ad0b", "Collection followed by movement out")

pytestmark = pytest.mark.pg


def _ctx(session: Session, p: Prepared, home: Path) -> tuple[DemoContext, io.StringIO]:
    with actor_scope(Actor(name="demo:setup")):
        admin = p.account(session, "admin")
        create_account(
            session,
            email="analyst2@keyguard.example",
            password=PASSWORD,
            unit_id=p.unit_id,
            roles=[("analyst", p.unit_id)],
            created_by=admin,
        )
    session.commit()
    out = io.StringIO()
    ctx = DemoContext(
        home=home,
        users=0,
        days=0,
        seed=0,
        start="",
        unit_code="unit-a",
        console=Console(file=out, width=300),
    )
    ctx.accounts = {
        "analyst": {"email": p.world.email("analyst")},
        "analyst2": {"email": "analyst2@keyguard.example"},
    }
    return ctx, out


def test_the_founding_case(session: Session, p: Prepared, home: Path) -> None:
    assert [s.order for s in STEPS] == [90]
    unit = p.unit(session)
    with actor_scope(Actor(name="test:setup")):
        weaker = make_alert(session, unit, p.person(session, "arabic"), score=40.0)
        make_alert(session, unit, p.person(session, "head"), policy=MASS, score=99.0)
        finding = make_finding(session, unit, p.person(session))
        finding.owner_person_id = p.person_id  # the check named the person as the owner
    session.commit()
    ctx, out = _ctx(session, p, home)
    step_case(ctx)
    case = session.scalars(select(Case)).one()
    assert case.person_id == p.person_id and weaker.id not in json.dumps(ctx.facts)
    assert case.outcome == "referred" and case.status == "closed"
    req = session.scalars(select(ReidentRequest)).one()
    assert req.status == "approved"
    assert req.requested_by_account_id == p.world.accounts["analyst"]
    assert req.decided_by_account_id != req.requested_by_account_id
    action = session.scalars(select(RectificationAction)).one()
    assert action.finding_id == finding.id and action.case_id == case.id
    assert action.owner_person_id != p.person_id  # never the person concerned
    actors = {
        e.action: e.actor
        for e in session.scalars(select(AuditEntry).where(AuditEntry.action.like("reident_%")))
    }
    assert actors["reident_request"] == f"account:{p.world.accounts['analyst']}"
    assert actors["reident_approve"] == f"account:{req.decided_by_account_id}"
    assert actors["reident_view"] == f"account:{p.world.accounts['analyst']}"
    assert "C-0001" in out.getvalue() and "referred" in out.getvalue()
    assert ctx.facts["case"]["alert"] == p.alert_id


def test_low_and_slow_first_and_never_about_an_investigator(
    session: Session, p: Prepared, home: Path
) -> None:
    unit = p.unit(session)
    with actor_scope(Actor(name="test:setup")):
        # Collection then movement out scores higher, but the founding case is about the
        # low-and-slow collector; the top low-and-slow alert is about an analyst, the
        # prepared one (78.5) is weaker.
        make_alert(session, unit, p.person(session, "head"), policy=THEN_OUT, score=99.0)
        make_alert(session, unit, p.person(session, "analyst"), score=95.0)
        chosen = make_alert(session, unit, p.person(session, "arabic"), score=90.0)
    session.commit()
    ctx, _out = _ctx(session, p, home)
    step_case(ctx)
    case = session.scalars(select(Case)).one()
    assert case.person_id == p.world.people["arabic"]
    assert ctx.facts["case"]["alert"] == chosen.id


def test_no_collection_alert_no_case(session: Session, p: Prepared, home: Path) -> None:
    unit = p.unit(session)
    with actor_scope(Actor(name="test:setup")):
        from keyguard.analytics.models import Alert

        session.delete(session.get(Alert, p.alert_id))
        make_alert(session, unit, p.person(session, "head"), policy=MASS, score=99.0)
    session.commit()
    ctx, out = _ctx(session, p, home)
    step_case(ctx)
    assert session.scalars(select(Case)).first() is None
    assert session.scalars(select(ReidentRequest)).first() is None
    assert "no low-and-slow collection alert was detected" in out.getvalue()
    assert ctx.facts["case"] is None
