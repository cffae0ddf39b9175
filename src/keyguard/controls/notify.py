"""Overdue findings: a notice to the owner the day after the due date, and after the unit's
``escalate_after_days`` a notice to the level above the owner (the position above, else
their manager) — or to the security office when the finding has no named owner. Every
notice has a dedupe key naming the finding and its due date, so the daily job never sends
one twice (a new due date makes a new notice)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.controls.models import Finding
from keyguard.controls.owners import control_settings
from keyguard.controls.scan import local_day
from keyguard.records.duties.escalation import (
    Recipient,
    managers_of,
    recipients_for_people,
    security_office,
)
from keyguard.records.org.models import Person, Unit
from keyguard.scheduler.service import notify


def _send(
    session: Session, unit: Unit, f: Finding, to: Recipient, kind: str, subject: str, body: str
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
        link=f"/units/{unit.id}/loopholes/{f.id}",
        email_to=to.email,
        dedupe_key=f"finding:{f.id}:{kind}:{f.due_on.isoformat()}:{suffix}"[:200],
    )
    return note is not None


def notify_overdue(session: Session, unit: Unit, now: dt.datetime) -> Counter[str]:
    """Send the due notices about the unit's overdue open findings."""
    today = local_day(unit, now)
    settings = control_settings(unit)
    counts: Counter[str] = Counter()
    office: list[Recipient] | None = None
    for f in session.scalars(
        select(Finding)
        .where(Finding.unit_id == unit.id, Finding.status == "open", Finding.due_on < today)
        .order_by(Finding.due_on, Finding.id)
    ):
        late = (today - f.due_on).days
        owner = session.get(Person, f.owner_person_id) if f.owner_person_id else None
        if owner is not None and owner.status == "left":
            owner = None
        what = f"{f.check_title}: {f.subject_masked}"
        if owner is not None:
            for to in recipients_for_people(session, [owner]):
                counts["owner"] += _send(
                    session,
                    unit,
                    f,
                    to,
                    "finding.overdue",
                    f"Overdue since {f.due_on}: {f.check_title}",
                    f"A loophole finding you own was due on {f.due_on} and is still open:\n{what}",
                )
        if owner is None or late >= settings.escalate_after_days:
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
                    f,
                    to,
                    "finding.escalated",
                    f"Escalated: finding overdue {late} day(s) — {f.check_title}",
                    f"This loophole finding was due on {f.due_on} and is still open "
                    f"({late} day(s) late):\n{what}",
                )
    return +counts  # only what was sent


def notify_all(session: Session, now: dt.datetime) -> dict[str, int]:
    total: Counter[str] = Counter()
    for unit in session.scalars(select(Unit).order_by(Unit.id)):
        total.update(notify_overdue(session, unit, now))
    return dict(total)
