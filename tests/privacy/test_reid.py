"""Dual-control re-identification: a written purpose, a second *person* approves (never the
requester, another account of the same person, an account the requester created or
promoted, or the person concerned), a time limit, revocation, and every request, decision
and look in the audit chain, from which "who saw whom" is listed."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.support import NOW, Prepared, as_account, prepare
from keyguard.audit import verify
from keyguard.audit.context import Actor, actor_scope
from keyguard.audit.models import AuditEntry
from keyguard.cases import reident, service
from keyguard.cases.models import Case
from keyguard.errors import PermissionDenied, RuleViolation
from keyguard.identity.models import Account
from keyguard.identity.service import assign_role, create_account
from keyguard.privacy import reid
from keyguard.records.org.models import Unit
from web.prepared import PASSWORD as PASSWORD_FOR_TESTS

pytestmark = pytest.mark.pg


@pytest.fixture
def p(session: Session, home: Path, tmp_path: Path, now: Callable[[str], None]) -> Prepared:
    now(NOW)
    return prepare(session, tmp_path)


@pytest.fixture
def case(session: Session, p: Prepared) -> Case:
    with actor_scope(as_account(p.account(session, "analyst"))):
        c = service.open_case(session, unit=p.unit(session), kind="alert", ref=p.alert_id)
    session.commit()
    return c


def _account(
    session: Session,
    p: Prepared,
    email: str,
    *,
    person_key: str | None = None,
    created_by: Account | None = None,
    role: str = "analyst",
    granted_by: Account | None = None,
) -> Account:
    unit_id = p.unit_id
    with actor_scope(Actor(name="test:setup")):
        acc = create_account(
            session,
            email=email,
            password=PASSWORD_FOR_TESTS,
            unit_id=unit_id,
            person_id=p.world.people[person_key] if person_key else None,
            created_by=created_by,
        )
        assign_role(session, account=acc, role=role, unit_id=unit_id, granted_by=granted_by)
    session.flush()
    return acc


PURPOSE = "Interview planned: the copies need an explanation from the person."


def test_purpose_and_duration_are_required(session: Session, p: Prepared, case: Case) -> None:
    analyst = p.account(session, "analyst")
    with pytest.raises(RuleViolation, match="purpose"):
        reident.request(session, case=case, account=analyst, purpose="because")
    with pytest.raises(RuleViolation, match="1 to"):
        reident.request(session, case=case, account=analyst, purpose=PURPOSE, hours=0)
    with pytest.raises(PermissionDenied):
        reident.request(session, case=case, account=p.account(session, "auditor"), purpose=PURPOSE)
    req = reident.request(session, case=case, account=analyst, purpose=PURPOSE)
    with pytest.raises(RuleViolation, match="already have request"):
        reident.request(session, case=case, account=analyst, purpose=PURPOSE)
    assert req.status == "requested" and req.subject_label == case.subject_pseudonym


def test_the_second_person_rule(session: Session, p: Prepared, case: Case) -> None:
    analyst = p.account(session, "analyst")
    req = reident.request(session, case=case, account=analyst, purpose=PURPOSE)
    # the requester's own account
    with pytest.raises(RuleViolation, match="requester cannot approve"):
        reident.approve(session, req=req, account=analyst)
    # another account of the same person
    twin = _account(session, p, "analyst.twin@keyguard.example", person_key="analyst")
    with pytest.raises(RuleViolation, match="requester cannot approve"):
        reident.approve(session, req=req, account=twin)
    # an account the requester created
    made = _account(session, p, "made@keyguard.example", created_by=analyst)
    assert reident.why_not(session, req=req, account=made) == (
        "the approver's account was created by the requester"
    )
    with pytest.raises(RuleViolation, match="created by the requester"):
        reident.approve(session, req=req, account=made)
    # an account the requester promoted (gave a role to)
    promoted = _account(session, p, "promoted@keyguard.example", granted_by=analyst)
    with pytest.raises(RuleViolation, match="given a role by the requester"):
        reident.approve(session, req=req, account=promoted)
    # the person concerned
    concerned = _account(session, p, "zhang.acc@keyguard.example", person_key="zhang")
    with pytest.raises(RuleViolation, match="person concerned"):
        reident.approve(session, req=req, account=concerned)
    # without the permission
    with pytest.raises(PermissionDenied):
        reident.approve(session, req=req, account=p.account(session, "auditor"))
    assert req.status == "requested"
    officer = p.account(session, "security_officer")
    assert reident.why_not(session, req=req, account=officer) is None
    reident.approve(session, req=req, account=officer, note="interview approved")
    assert req.status == "approved"
    assert req.expires_at == dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    with pytest.raises(RuleViolation, match="already approved"):
        reident.approve(session, req=req, account=officer)


def test_identity_only_under_approval_and_every_look_is_recorded(
    session: Session, p: Prepared, case: Case, now: Callable[[str], None]
) -> None:
    analyst, officer = p.account(session, "analyst"), p.account(session, "security_officer")
    assert reident.reveal(session, case=case, account=analyst) is None
    req = reident.request(session, case=case, account=analyst, purpose=PURPOSE, hours=2)
    assert reident.reveal(session, case=case, account=analyst) is None
    reident.approve(session, req=req, account=officer)
    # only the requester sees it, not the approver
    assert reident.reveal(session, case=case, account=officer) is None
    with actor_scope(as_account(analyst)):
        shown = reident.reveal(session, case=case, account=analyst)
        assert shown is not None and shown.name == "张伟" and shown.staff_id == "A001"
        reident.reveal(session, case=case, account=analyst, what="case report")
    session.commit()
    views = reid.who_saw(session, unit_id=p.unit_id)
    assert [(v.actor, v.person_id, v.purpose, v.what) for v in views] == [
        (f"account:{analyst.id}", p.person_id, PURPOSE, "case page"),
        (f"account:{analyst.id}", p.person_id, PURPOSE, "case report"),
    ]
    assert views[0].approved_by == f"account:{officer.id}"
    assert reid.who_saw(session, unit_id=p.unit_id, person_id=p.world.people["arabic"]) == []
    actions = list(
        session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.action.like("reident_%"))
            .order_by(AuditEntry.seq)
        )
    )
    assert actions == ["reident_request", "reident_approve", "reident_view", "reident_view"]
    assert verify(session).ok
    # two hours later the approval has expired
    now("2026-11-20T11:00:01")
    assert req.state(dt.datetime(2026, 11, 20, 11, 0, 1, tzinfo=dt.UTC)) == "expired"
    assert reident.reveal(session, case=case, account=analyst) is None
    with pytest.raises(RuleViolation, match="expired"):
        reident.revoke(session, req=req, account=analyst, reason="done")


def test_refusal_revocation_and_withdrawal(session: Session, p: Prepared, case: Case) -> None:
    analyst, officer = p.account(session, "analyst"), p.account(session, "security_officer")
    req = reident.request(session, case=case, account=analyst, purpose=PURPOSE)
    with pytest.raises(RuleViolation, match="withdraw"):
        reident.refuse(session, req=req, account=analyst, note="no")
    with pytest.raises(RuleViolation, match="say why"):
        reident.refuse(session, req=req, account=officer, note="")
    reident.refuse(session, req=req, account=officer, note="not proportionate yet")
    assert req.status == "refused" and reident.reveal(session, case=case, account=analyst) is None
    second = reident.request(session, case=case, account=analyst, purpose=PURPOSE)
    reident.approve(session, req=second, account=officer)
    assert reident.reveal(session, case=case, account=analyst) is not None
    with pytest.raises(PermissionDenied):
        reident.revoke(session, req=second, account=p.account(session, "auditor"), reason="x")
    reident.revoke(session, req=second, account=officer, reason="interview done")
    assert reident.reveal(session, case=case, account=analyst) is None
    third = reident.request(session, case=case, account=analyst, purpose=PURPOSE)
    with pytest.raises(RuleViolation, match="only the requester"):
        reident.withdraw(session, req=third, account=officer)
    reident.withdraw(session, req=third, account=analyst)
    details = [
        json.loads(d)
        for d in session.scalars(
            select(AuditEntry.details)
            .where(AuditEntry.action.in_(("reident_refuse", "reident_revoke")))
            .order_by(AuditEntry.seq)
        )
    ]
    assert details[0]["note"] == "not proportionate yet"
    assert details[1]["reason"] == "interview done"


def test_privacy_layer_applies_its_own_rules_with_any_separation(
    session: Session, p: Prepared
) -> None:
    """The low-level module refuses the requester whatever separation rule it is given."""
    unit = session.get(Unit, p.unit_id)
    assert unit is not None
    me = reid.Who(
        account_id=p.world.accounts["analyst"],
        person_id=p.world.people["analyst"],
        name="account:x",
    )
    req = reid.request(
        session,
        unit_id=unit.id,
        scope_kind="case",
        scope_id="77",
        person_id=p.person_id,
        user_key=None,
        subject_label="P-X",
        purpose=PURPOSE,
        requester=me,
    )
    with pytest.raises(RuleViolation, match="requester cannot approve"):
        reid.approve(session, req=req, approver=me, separation=lambda a, b: None)
    other = reid.Who(
        account_id=p.world.accounts["security_officer"], person_id=None, name="account:y"
    )
    with pytest.raises(RuleViolation, match="no way"):
        reid.approve(session, req=req, approver=other, separation=lambda a, b: "no way")
    with pytest.raises(RuleViolation, match="yourself"):
        reid.request(
            session,
            unit_id=unit.id,
            scope_kind="case",
            scope_id="78",
            person_id=p.world.people["analyst"],
            user_key=None,
            subject_label="P-Y",
            purpose=PURPOSE,
            requester=me,
        )
