"""Periodic access reviews: a campaign asks each item owner to confirm or revoke every grant
on their items (the security office reviews compartment and level grants). Undecided tasks
stay open after the due date and escalate every day to the reviewer's manager and the
security office (:func:`escalate`, run by the ``register.access_reviews`` job)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.config import utcnow
from keyguard.errors import NotFound, PermissionDenied, RuleViolation
from keyguard.identity.models import Account, RoleAssignment
from keyguard.identity.permissions import can
from keyguard.identity.service import principal_for
from keyguard.records.org.models import Person, Unit
from keyguard.records.register.common import local_today
from keyguard.records.register.grants import revoke_grant
from keyguard.records.register.models import Grant, Item, ReviewCampaign, ReviewTask
from keyguard.scheduler.service import notify


def account_of(session: Session, person_id: int | None) -> Account | None:
    """The person's first active account (notifications go there)."""
    if person_id is None:
        return None
    return session.scalars(
        select(Account)
        .where(Account.person_id == person_id, Account.is_active.is_(True))
        .order_by(Account.id)
    ).first()


def security_officer_accounts(session: Session, unit_id: int) -> list[Account]:
    return list(
        session.scalars(
            select(Account)
            .join(RoleAssignment, RoleAssignment.account_id == Account.id)
            .where(
                RoleAssignment.role == "security_officer",
                RoleAssignment.unit_id == unit_id,
                Account.is_active.is_(True),
            )
            .order_by(Account.id)
        )
    )


def start_campaign(session: Session, *, unit: Unit, name: str, due_on: dt.date) -> ReviewCampaign:
    """Open a review of every grant in force today or later, one task per grant."""
    today = local_today(unit)
    if due_on <= today:
        raise RuleViolation("the due date must be after today")
    camp = ReviewCampaign(
        unit_id=unit.id,
        name=name.strip() or f"Access review {today}",
        started_on=today,
        due_on=due_on,
        started_by=audit.current_actor().name,
    )
    session.add(camp)
    session.flush()
    grants = session.execute(
        select(Grant, Item.owner_id)
        .outerjoin(Item, Item.id == Grant.item_id)
        .where(
            Grant.unit_id == unit.id, Grant.status == "approved", Grant.superseded_by_id.is_(None)
        )
    ).all()
    reviewers: set[int | None] = set()
    for g, owner_id in grants:
        if g.valid_to is not None and g.valid_to <= today:
            continue
        session.add(
            ReviewTask(unit_id=unit.id, campaign_id=camp.id, grant_id=g.id, reviewer_id=owner_id)
        )
        reviewers.add(owner_id)
    session.flush()
    for person_id in reviewers:
        _tell(
            session,
            unit,
            person_id,
            f"review:{camp.id}:{person_id}",
            f"Access review: confirm or revoke grants by {due_on}",
            f"{camp.name}: please confirm or revoke each grant on your items.",
        )
    return camp


def _tell(
    session: Session, unit: Unit, person_id: int | None, key: str, subject: str, body: str
) -> int:
    targets = (
        [account_of(session, person_id)]
        if person_id is not None
        else security_officer_accounts(session, unit.id)
    )
    sent = 0
    for acc in targets:
        if acc is None:
            continue
        if notify(
            session,
            kind="access_review",
            subject=subject,
            body=body,
            unit_id=unit.id,
            account_id=acc.id,
            person_id=acc.person_id,
            link="/grants/reviews",
            email_to=acc.email,
            dedupe_key=f"{key}:{acc.id}",
        ):
            sent += 1
    return sent


@dataclass(frozen=True)
class ReviewRow:
    task: ReviewTask
    grant: Grant
    item: Item | None
    campaign: ReviewCampaign


def review_queue(session: Session, *, unit: Unit, account: Account) -> list[ReviewRow]:
    """Open tasks the account's person reviews (security officers: also the office's)."""
    officer = can(principal_for(session, account), "grants.manage", unit.id)
    q = (
        select(ReviewTask, Grant, Item, ReviewCampaign)
        .join(Grant, Grant.id == ReviewTask.grant_id)
        .outerjoin(Item, Item.id == Grant.item_id)
        .join(ReviewCampaign, ReviewCampaign.id == ReviewTask.campaign_id)
        .where(ReviewTask.unit_id == unit.id, ReviewTask.decision.is_(None))
        .order_by(ReviewCampaign.due_on, ReviewTask.id)
    )
    rows = [ReviewRow(*r) for r in session.execute(q).all()]
    return [
        r
        for r in rows
        if (account.person_id is not None and r.task.reviewer_id == account.person_id)
        or (officer and r.task.reviewer_id is None)
    ]


def decide(
    session: Session,
    *,
    unit: Unit,
    task_id: int,
    account: Account,
    decision: str,
    note: str = "",
) -> ReviewTask:
    """Confirm or revoke the grant of a review task (its reviewer, or a security officer)."""
    task = session.get(ReviewTask, task_id)
    if task is None or task.unit_id != unit.id:
        raise NotFound(f"no review task {task_id}")
    if task.decision is not None:
        raise RuleViolation("this grant was already reviewed in this campaign")
    officer = can(principal_for(session, account), "grants.manage", unit.id)
    if not officer and (account.person_id is None or account.person_id != task.reviewer_id):
        raise PermissionDenied("only the item's owner or the security office reviews this grant")
    grant = session.get(Grant, task.grant_id)
    assert grant is not None
    if decision == "confirm":
        grant.last_reviewed_at = utcnow()
    elif decision == "revoke":
        if grant.status == "approved":
            revoke_grant(
                session,
                grant=grant,
                reason=note or "revoked in an access review",
                by=audit.current_actor().name,
            )
    else:
        raise RuleViolation("decide confirm or revoke")
    task.decision, task.decided_at = decision, utcnow()
    task.decided_by, task.note = audit.current_actor().name, note
    session.flush()
    _close_if_done(session, task.campaign_id)
    return task


def _close_if_done(session: Session, campaign_id: int) -> None:
    left = session.scalar(
        select(ReviewTask.id)
        .where(ReviewTask.campaign_id == campaign_id, ReviewTask.decision.is_(None))
        .limit(1)
    )
    if left is None:
        camp = session.get(ReviewCampaign, campaign_id)
        if camp is not None and camp.status == "open":
            camp.status = "closed"


def escalate(session: Session, now: dt.datetime | None = None) -> dict[str, int]:
    """Escalate undecided tasks of overdue campaigns (once per task and day) to the
    reviewer's manager and the unit's security officers."""
    now = now or utcnow()
    tasks = escalated = 0
    for camp in session.scalars(select(ReviewCampaign).where(ReviewCampaign.status == "open")):
        unit = session.get(Unit, camp.unit_id)
        assert unit is not None
        today = local_today(unit, now)
        if today <= camp.due_on:
            continue
        for task in session.scalars(
            select(ReviewTask).where(
                ReviewTask.campaign_id == camp.id, ReviewTask.decision.is_(None)
            )
        ):
            tasks += 1
            key = f"review-escalation:{task.id}:{today}"
            reviewer = session.get(Person, task.reviewer_id) if task.reviewer_id else None
            subject = f"Overdue access review ({(today - camp.due_on).days} days late)"
            body = (
                f"Grant {task.grant_id} in '{camp.name}' was not reviewed by {camp.due_on}; "
                f"reviewer: {reviewer.staff_id if reviewer else 'security office'}."
            )
            sent = _tell(
                session, unit, reviewer.manager_id if reviewer else None, key, subject, body
            )
            if reviewer is not None:
                sent += _tell(session, unit, None, key, subject, body)
            if sent:
                task.escalations += 1
                task.last_escalated_at = now
                escalated += 1
    session.flush()
    return {"overdue_tasks": tasks, "escalated": escalated}


def unreviewed_grants(session: Session, *, unit: Unit) -> list[Grant]:
    """Grants in force that no review has ever confirmed (they stay visible until one does)."""
    today = local_today(unit)
    return [
        g
        for g in session.scalars(
            select(Grant)
            .where(
                Grant.unit_id == unit.id,
                Grant.status == "approved",
                Grant.last_reviewed_at.is_(None),
                Grant.superseded_by_id.is_(None),
            )
            .order_by(Grant.id)
        )
        if g.valid_to is None or g.valid_to > today
    ]
