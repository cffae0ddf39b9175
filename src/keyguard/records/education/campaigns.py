"""Campaigns, enrolment by audience rule, individual assignments (including the analyst's
refresher, whose reason is kept apart and never shown to the person), reminders, and
completion figures per unit and department."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.audit.context import current_actor
from keyguard.config import utcnow
from keyguard.errors import NotFound, RuleViolation
from keyguard.records.education.audiences import audience
from keyguard.records.education.courses import get_course
from keyguard.records.education.models import (
    Campaign,
    Course,
    RefresherReason,
    TrainingAssignment,
)
from keyguard.records.org.models import Person, Unit
from keyguard.scheduler.service import notify

#: The campaign that holds individually assigned items (refreshers among them).
INDIVIDUAL = "Security awareness"
REMIND_BEFORE_DAYS = 7


def local_day(unit: Unit, now: dt.datetime | None = None) -> dt.date:
    return (now or utcnow()).astimezone(zoneinfo.ZoneInfo(unit.timezone)).date()


def create_campaign(
    session: Session,
    *,
    unit: Unit,
    name: str,
    course_urn: str,
    audience_key: str,
    due_days: int = 30,
    recurrence: str = "once",
    starts_on: dt.date | None = None,
) -> Campaign:
    """A campaign aiming a loaded course at an audience rule."""
    audience(audience_key)
    get_course(session, unit_id=unit.id, urn=course_urn)
    if recurrence not in ("once", "yearly"):
        raise RuleViolation("recurrence is 'once' or 'yearly'")
    if due_days < 0:
        raise RuleViolation("due days cannot be negative")
    campaign = Campaign(
        unit_id=unit.id,
        name=name.strip(),
        course_urn=course_urn,
        audience=audience_key,
        due_days=due_days,
        recurrence=recurrence,
        starts_on=starts_on or local_day(unit),
        created_by=current_actor().name,
    )
    session.add(campaign)
    session.flush()
    return campaign


def list_campaigns(session: Session, *, unit_id: int) -> list[Campaign]:
    return list(
        session.scalars(select(Campaign).where(Campaign.unit_id == unit_id).order_by(Campaign.id))
    )


def _period(campaign: Campaign, day: dt.date) -> str:
    return str(day.year) if campaign.recurrence == "yearly" else "once"


def enrol(session: Session, campaign: Campaign, day: dt.date) -> int:
    """Add an item for every audience member who has none for the current period."""
    if not campaign.active or day < campaign.starts_on:
        return 0
    unit = session.get(Unit, campaign.unit_id)
    assert unit is not None
    period = _period(campaign, day)
    have = set(
        session.scalars(
            select(TrainingAssignment.person_id).where(
                TrainingAssignment.campaign_id == campaign.id, TrainingAssignment.period == period
            )
        )
    )
    added = 0
    for person_id, joined in audience(campaign.audience).members(session, unit, day).items():
        if person_id in have:
            continue
        assigned_on = max(joined, campaign.starts_on)
        if campaign.recurrence == "yearly":
            assigned_on = max(assigned_on, dt.date(day.year, 1, 1))
        session.add(
            TrainingAssignment(
                unit_id=unit.id,
                campaign_id=campaign.id,
                person_id=person_id,
                course_urn=campaign.course_urn,
                period=period,
                assigned_on=assigned_on,
                due_on=assigned_on + dt.timedelta(days=campaign.due_days),
            )
        )
        added += 1
    session.flush()
    return added


def _individual_campaign(session: Session, unit: Unit, course_urn: str) -> Campaign:
    found = session.scalar(
        select(Campaign).where(
            Campaign.unit_id == unit.id,
            Campaign.audience == "assigned",
            Campaign.course_urn == course_urn,
        )
    )
    if found is not None:
        return found
    return create_campaign(
        session,
        unit=unit,
        name=INDIVIDUAL,
        course_urn=course_urn,
        audience_key="assigned",
        starts_on=dt.date(1970, 1, 1),
    )


def assign_course(
    session: Session,
    *,
    person_id: int,
    course_urn: str,
    due_days: int = 30,
    day: dt.date | None = None,
) -> TrainingAssignment:
    """Give one person a course as an ordinary item of the individual-assignment campaign."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"person {person_id}")
    unit = session.get(Unit, person.unit_id)
    assert unit is not None
    day = day or local_day(unit)
    campaign = _individual_campaign(session, unit, course_urn)
    open_item = session.scalar(
        select(TrainingAssignment).where(
            TrainingAssignment.campaign_id == campaign.id,
            TrainingAssignment.person_id == person_id,
            TrainingAssignment.status == "assigned",
        )
    )
    if open_item is not None:
        return open_item
    count = len(
        list(
            session.scalars(
                select(TrainingAssignment.id).where(
                    TrainingAssignment.campaign_id == campaign.id,
                    TrainingAssignment.person_id == person_id,
                )
            )
        )
    )
    item = TrainingAssignment(
        unit_id=unit.id,
        campaign_id=campaign.id,
        person_id=person_id,
        course_urn=course_urn,
        period=f"{day.year}-{count + 1}",
        assigned_on=day,
        due_on=day + dt.timedelta(days=due_days),
    )
    session.add(item)
    session.flush()
    return item


@dataclass(frozen=True)
class NoConcernRef:
    """A reference to a closed alert (or case) whose outcome was "no concern"."""

    kind: str  # "alert" or "case"
    id: str
    outcome: str
    closed_at: dt.datetime | None


#: Checks another domain registers to confirm a reference from its own records:
#: ``check(session, ref, person_id) -> problem or None``.
_REASON_CHECKS: dict[str, Callable[[Session, NoConcernRef, int], str | None]] = {}


def register_reason_check(
    kind: str, check: Callable[[Session, NoConcernRef, int], str | None]
) -> None:
    """Let the alerts or cases domain confirm its references against its tables."""
    _REASON_CHECKS[kind] = check


def assign_refresher(
    session: Session,
    *,
    person_id: int,
    course_urn: str,
    assigned_by: str,
    reason_ref: NoConcernRef | None,
) -> TrainingAssignment:
    """Assign a refresher course after an alert about the person was closed as "no concern".

    Refused without such a closed reference. The person sees an ordinary campaign item; the
    reason is stored apart (``RefresherReason``) and never shown to them.
    """
    if reason_ref is None:
        raise RuleViolation("a refresher needs the closed 'no concern' alert it follows")
    if reason_ref.outcome != "no_concern":
        raise RuleViolation(
            f"{reason_ref.kind} {reason_ref.id} was closed as {reason_ref.outcome!r}; a "
            "refresher follows only a 'no concern' closure"
        )
    if reason_ref.closed_at is None or reason_ref.closed_at > utcnow():
        raise RuleViolation(f"{reason_ref.kind} {reason_ref.id} is not closed")
    check = _REASON_CHECKS.get(reason_ref.kind)
    if check is not None:
        problem = check(session, reason_ref, person_id)
        if problem:
            raise RuleViolation(problem)
    item = assign_course(session, person_id=person_id, course_urn=course_urn)
    if (
        session.scalar(select(RefresherReason.id).where(RefresherReason.assignment_id == item.id))
        is None
    ):
        session.add(
            RefresherReason(
                unit_id=item.unit_id,
                assignment_id=item.id,
                reason_kind=reason_ref.kind,
                reason_id=str(reason_ref.id),
                outcome=reason_ref.outcome,
                closed_at=reason_ref.closed_at,
                assigned_by=assigned_by,
            )
        )
        session.flush()
    return item


def _accounts(session: Session, person_id: int) -> list[tuple[int, str]]:
    from keyguard.db.base import Base

    account = Base.metadata.tables["account"]
    return [
        (a, e)
        for a, e in session.execute(
            select(account.c.id, account.c.email).where(
                account.c.person_id == person_id, account.c.is_active.is_(True)
            )
        )
    ]


def remind(session: Session, unit: Unit, day: dt.date) -> Counter[str]:
    """Reminders for items due within a week and for overdue items (once each)."""
    counts: Counter[str] = Counter()
    items = session.scalars(
        select(TrainingAssignment).where(
            TrainingAssignment.unit_id == unit.id,
            TrainingAssignment.status == "assigned",
            TrainingAssignment.due_on <= day + dt.timedelta(days=REMIND_BEFORE_DAYS),
        )
    )
    courses: dict[str, Course] = {}
    for item in items:
        person = session.get(Person, item.person_id)
        if person is None or person.status not in ("active", "notice"):
            continue
        if item.course_urn not in courses:
            courses[item.course_urn] = get_course(session, unit_id=unit.id, urn=item.course_urn)
        title = courses[item.course_urn].title
        overdue = item.due_on < day
        stage = "overdue" if overdue else "soon"
        subject = (
            f"Training overdue since {item.due_on}: {title}"
            if overdue
            else f"Training due by {item.due_on}: {title}"
        )
        targets = _accounts(session, person.id) or [(None, person.email)]
        for account_id, email in targets:
            note = notify(
                session,
                kind=f"training.{stage}",
                subject=subject,
                body=f"Please complete “{title}” in My training.",
                unit_id=unit.id,
                account_id=account_id,
                person_id=person.id,
                link=f"/units/{unit.id}/training/my",
                email_to=person.email or email,
                dedupe_key=f"training:{item.id}:{stage}:{account_id or 'p'}",
            )
            counts[stage] += note is not None
    return counts


def run_campaigns(session: Session, now: dt.datetime) -> dict[str, int]:
    """The job: enrol new audience members in every active campaign, then send reminders."""
    total: Counter[str] = Counter()
    for unit in session.scalars(select(Unit).order_by(Unit.id)):
        day = local_day(unit, now)
        for campaign in list_campaigns(session, unit_id=unit.id):
            total["enrolled"] += enrol(session, campaign, day)
        total.update(remind(session, unit, day))
    return dict(total)
