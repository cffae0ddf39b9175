"""Rectification actions: what must be put right after a case or a loophole finding, with an
owner, a deadline and evidence of completion; the unit's open list for the security officer;
and the daily escalation of overdue actions (to the owner, then the level above or the
security office), each notice with a dedupe key so it is sent once."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.cases.models import Case, RectificationAction
from keyguard.cases.service import local_day, log
from keyguard.config import utcnow
from keyguard.controls.models import Finding
from keyguard.errors import NotFound, RuleViolation
from keyguard.identity.permissions import Principal, can
from keyguard.records.duties.escalation import (
    Recipient,
    managers_of,
    recipients_for_people,
    security_office,
)
from keyguard.records.org.models import Person, Unit
from keyguard.scheduler.service import notify

#: Days after the deadline before an overdue action goes to the level above.
ESCALATE_AFTER_DAYS = 7
#: Shortest text accepted as evidence of completion.
MIN_EVIDENCE = 10


def _owner(session: Session, unit: Unit, person: Person | None) -> Person | None:
    if person is None:
        return None
    if person.unit_id != unit.id:
        raise RuleViolation(f"{person.staff_id} is not a member of this unit")
    if person.status == "left":
        raise RuleViolation(f"{person.staff_id} has left the unit")
    return person


def create_action(
    session: Session,
    *,
    unit: Unit,
    title: str,
    due_on: dt.date,
    owner: Person | None,
    description: str = "",
    case: Case | None = None,
    finding_id: str | None = None,
) -> RectificationAction:
    """A new action, of a case and/or about a loophole finding of the same unit."""
    if not title.strip():
        raise RuleViolation("give the action a title")
    if due_on < local_day(unit):
        raise RuleViolation("the deadline is in the past")
    if case is not None and case.unit_id != unit.id:
        raise NotFound(f"no case {case.id}")
    if finding_id is not None:
        f = session.get(Finding, finding_id)
        if f is None or f.unit_id != unit.id:
            raise NotFound(f"no finding {finding_id}")
    checked = _owner(session, unit, owner)
    action = RectificationAction(
        unit_id=unit.id,
        case_id=case.id if case else None,
        finding_id=finding_id,
        title=title.strip()[:300],
        description=description.strip(),
        owner_person_id=checked.id if checked else None,
        due_on=due_on,
        status="open",
        created_by=audit.current_actor().name,
    )
    session.add(action)
    session.flush()
    if case is not None:
        log(
            session,
            case,
            "action_created",
            action.title,
            action_id=action.id,
            due_on=due_on.isoformat(),
            finding_id=finding_id,
        )
    return action


def get_action(session: Session, *, unit: Unit, action_id: int) -> RectificationAction:
    a = session.get(RectificationAction, action_id)
    if a is None or a.unit_id != unit.id:
        raise NotFound(f"no rectification action {action_id}")
    return a


def update_action(
    session: Session,
    *,
    unit: Unit,
    action: RectificationAction,
    owner: Person | None = None,
    due_on: dt.date | None = None,
) -> RectificationAction:
    """Change the owner and/or the deadline of an open action."""
    if action.status != "open":
        raise RuleViolation("this action is no longer open")
    if owner is None and due_on is None:
        raise RuleViolation("give an owner, a deadline or both")
    checked = _owner(session, unit, owner)
    if checked is not None:
        action.owner_person_id = checked.id
    if due_on is not None:
        if due_on < local_day(unit):
            raise RuleViolation("the deadline is in the past")
        action.due_on = due_on
    session.flush()
    return action


def complete_action(
    session: Session, *, unit: Unit, action: RectificationAction, evidence: str
) -> RectificationAction:
    """Mark an action done, with evidence of completion (what was done, where it shows)."""
    if action.status != "open":
        raise RuleViolation("this action is no longer open")
    if len(evidence.strip()) < MIN_EVIDENCE:
        raise RuleViolation(f"give evidence of completion (at least {MIN_EVIDENCE} characters)")
    now = utcnow()
    action.status = "done"
    action.completed_at, action.completed_on = now, local_day(unit, now)
    action.completed_by = audit.current_actor().name
    action.completion_evidence = evidence.strip()
    session.flush()
    case = session.get(Case, action.case_id) if action.case_id else None
    if case is not None:
        log(session, case, "action_done", action.title, action_id=action.id)
    return action


def cancel_action(
    session: Session, *, unit: Unit, action: RectificationAction, reason: str
) -> RectificationAction:
    """Cancel an open action, saying why."""
    if action.status != "open":
        raise RuleViolation("this action is no longer open")
    if not reason.strip():
        raise RuleViolation("say why the action is cancelled")
    action.status = "cancelled"
    action.completion_evidence = reason.strip()
    action.completed_at, action.completed_by = utcnow(), audit.current_actor().name
    session.flush()
    return action


def list_actions(
    session: Session,
    *,
    unit: Unit,
    status: str | None = "open",
    case_id: int | None = None,
    overdue: bool = False,
) -> list[RectificationAction]:
    """Actions of the unit (default: open ones), soonest deadline first."""
    q = select(RectificationAction).where(RectificationAction.unit_id == unit.id)
    if status:
        q = q.where(RectificationAction.status == status)
    if case_id is not None:
        q = q.where(RectificationAction.case_id == case_id)
    if overdue:
        q = q.where(
            RectificationAction.status == "open", RectificationAction.due_on < local_day(unit)
        )
    return list(session.scalars(q.order_by(RectificationAction.due_on, RectificationAction.id)))


def _send(
    session: Session,
    unit: Unit,
    a: RectificationAction,
    to: Recipient,
    kind: str,
    subject: str,
    body: str,
) -> bool:
    suffix = f"a{to.account_id}" if to.account_id else f"p{to.person_id}"
    note = notify(
        session,
        kind=kind,
        subject=subject[:300],
        body=body,
        unit_id=unit.id,
        account_id=to.account_id,
        person_id=to.person_id,
        link=f"/units/{unit.id}/rectification/mine#action-{a.id}",
        email_to=to.email,
        dedupe_key=f"rectification:{a.id}:{kind}:{a.due_on.isoformat()}:{suffix}"[:200],
    )
    return note is not None


def escalate_overdue(session: Session, unit: Unit, now: dt.datetime) -> Counter[str]:
    """Notices about the unit's overdue open actions: to the owner the day after the
    deadline; after :data:`ESCALATE_AFTER_DAYS` (or at once without an owner) to the level
    above the owner, else the security office."""
    today = local_day(unit, now)
    counts: Counter[str] = Counter()
    office: list[Recipient] | None = None
    for a in session.scalars(
        select(RectificationAction)
        .where(
            RectificationAction.unit_id == unit.id,
            RectificationAction.status == "open",
            RectificationAction.due_on < today,
        )
        .order_by(RectificationAction.due_on, RectificationAction.id)
    ):
        late = (today - a.due_on).days
        owner = session.get(Person, a.owner_person_id) if a.owner_person_id else None
        if owner is not None and owner.status == "left":
            owner = None
        if owner is not None:
            for to in recipients_for_people(session, [owner]):
                counts["owner"] += _send(
                    session,
                    unit,
                    a,
                    to,
                    "rectification.overdue",
                    f"Overdue since {a.due_on}: {a.title}",
                    f"A rectification action you own was due on {a.due_on} and is still "
                    f"open:\n{a.title}",
                )
        if owner is None or late >= ESCALATE_AFTER_DAYS:
            above = managers_of(session, owner) if owner is not None else []
            if above:
                targets = recipients_for_people(session, above)
            else:
                if office is None:
                    office = security_office(session, unit)
                targets = office
            for to in targets:
                counts["escalated"] += _send(
                    session,
                    unit,
                    a,
                    to,
                    "rectification.escalated",
                    f"Escalated: action overdue {late} day(s) — {a.title}",
                    f"This rectification action was due on {a.due_on} and is still open "
                    f"({late} day(s) late):\n{a.title}",
                )
    return +counts


def escalate_all(session: Session, now: dt.datetime) -> dict[str, Any]:
    """The job: overdue notices and escalations in every unit."""
    total: Counter[str] = Counter()
    for unit in session.scalars(select(Unit).order_by(Unit.id)):
        total.update(escalate_overdue(session, unit, now))
    return dict(total)


def may_complete(principal: Principal, action: RectificationAction) -> bool:
    """Whoever works cases in the unit, or the action's owner, may complete it."""
    if can(principal, "cases.manage", action.unit_id):
        return True
    return action.owner_person_id is not None and action.owner_person_id == principal.person_id


def mine(session: Session, *, unit: Unit, person_id: int | None) -> list[RectificationAction]:
    """Open actions owned by a person (their own list), soonest deadline first."""
    if person_id is None:
        return []
    return list(
        session.scalars(
            select(RectificationAction)
            .where(
                RectificationAction.unit_id == unit.id,
                RectificationAction.owner_person_id == person_id,
                RectificationAction.status == "open",
            )
            .order_by(RectificationAction.due_on, RectificationAction.id)
        )
    )
