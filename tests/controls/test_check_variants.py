"""Variants the fixture pairs do not cover: expired training, a role given to someone who
then approves the giver's access, a mover's grant kept on purpose, a check of the home's
own that reuses a query with other parameters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from keyguard.audit.context import Actor, actor_scope
from keyguard.config import utcnow
from keyguard.identity.service import assign_role
from keyguard.records.personnel.models import JmlGrantStep, JmlTask
from keyguard.records.register.models import GrantApproval

from . import builders as b
from .builders import W
from .conftest import Scan, open_findings


@pytest.mark.pg
def test_training_passed_too_long_ago_has_expired(session: Session, w: W, scan: Scan) -> None:
    it = b.item(session, w, "R1", "secret")
    b.grant(session, w, to="ENG001", it=it)
    b.training(session, w, "ENG001", dt.date(2025, 5, 1))
    scan("classified-access-without-training")
    [f] = open_findings(session, w, "classified-access-without-training")
    assert "classified-handling expired (passed 2025-05-01)" in f.subject
    assert f.owner_person_id == w.people["HEAD001"].id  # the head of the person's department


@pytest.mark.pg
def test_role_given_to_someone_who_then_approves_the_givers_access(
    session: Session, w: W, scan: Scan
) -> None:
    officer = w.accounts["officer"]
    head = b.account(session, w, "head", "HEAD001", "employee")
    with actor_scope(Actor(name=f"account:{officer.id}", account_id=officer.id)):
        assign_role(
            session, account=head, role="department_head", unit_id=w.unit.id, granted_by=officer
        )
        session.flush()
    it = b.item(session, w, "R1", "secret")
    g = b.grant(session, w, to="SEC001", it=it, approvers=())
    with actor_scope(Actor(name=f"account:{head.id}", account_id=head.id)):
        # an approval written outside the workflow (which refuses it): the check still sees it
        g.approvals.append(
            GrantApproval(
                unit_id=w.unit.id,
                person_id=w.people["HEAD001"].id,
                account_id=head.id,
                decision="approve",
                decided_at=utcnow(),
            )
        )
        session.flush()
    scan("role-change-self-benefit", "approver-promoted-before-approval")
    [f] = open_findings(session, w, "role-change-self-benefit")
    assert f"which then approved grant #{g.id} for the giver" in f.subject
    assert [r["source"] for r in f.evidence] == ["audit", "audit", "record"]
    assert open_findings(session, w, "approver-promoted-before-approval")


@pytest.mark.pg
def test_a_movers_grant_kept_on_purpose_is_not_a_finding(
    session: Session, w: W, scan: Scan
) -> None:
    fin = b.item(session, w, "FIN-1", "confidential", dept="finance", owner="FIN001")
    g = b.grant(session, w, to="ACC001", it=fin, approvers=("FIN001",))
    p = w.people["ACC001"]
    v = b.version(
        session,
        p,
        valid_from=dt.date(2026, 3, 1),
        known_from=dt.date(2026, 3, 1),
        department_id=w.nodes["research"].id,
    )
    scan("mover-kept-grants")
    assert len(open_findings(session, w, "mover-kept-grants")) == 1
    task = JmlTask(
        unit_id=w.unit.id,
        person_id=p.id,
        kind="mover",
        trigger_version_id=v.id,
        effective_on=v.valid_from,
        known_on=v.known_from,
        status="done",
    )
    task.steps.append(
        JmlGrantStep(unit_id=w.unit.id, grant_id=g.id, action="kept", note="hand-over until Q3")
    )
    session.add(task)
    scan("mover-kept-grants")
    assert open_findings(session, w, "mover-kept-grants") == []


@pytest.mark.pg
def test_a_home_check_reuses_a_query_with_other_parameters(
    session: Session, w: W, scan: Scan, home: Path
) -> None:
    (home / "controls").mkdir()
    (home / "controls" / "fast-review.yaml").write_text(
        """\
id: grant-review-monthly
title: Grant not reviewed this month
severity: low
description: The unit reviews every grant monthly; a stricter copy of grant-never-reviewed.
supports: {controls: [NIST AC-2]}
inputs: [register]
query: {name: grants.unreviewed, params: {grace_days: 10, review_every_days: 31}}
""",
        encoding="utf-8",
    )
    it = b.item(session, w, "R1")
    b.grant(session, w, to="ENG001", it=it, reviewed=dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
    scan("grant-review-monthly", "grant-never-reviewed")
    [f] = open_findings(session, w, "grant-review-monthly")
    assert "last reviewed on 2026-05-01" in f.subject and f.severity == "low"
    assert f.due_on == b.AS_OF + dt.timedelta(days=60)
    assert open_findings(session, w, "grant-never-reviewed") == []
