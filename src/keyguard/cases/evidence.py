"""The cases domain's term of the compliance score: rectification actions done on time.

An action counts once it was done by the scope's day or was open past its deadline on that
day; it is earned when it was done, with evidence of completion, on or before its deadline.
Cancelled actions do not count.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from keyguard.cases.models import RectificationAction
from keyguard.records.duties.score import Count, EvidenceRow, EvidenceSource, Scope


def actions_done(session: Session, scope: Scope) -> Count:
    """Actions done by their deadline ÷ actions done or overdue on the day."""
    q = select(RectificationAction).where(
        RectificationAction.unit_id == scope.unit.id,
        RectificationAction.status != "cancelled",
        or_(RectificationAction.status == "done", RectificationAction.due_on < scope.day),
    )
    if scope.department_id is not None:
        q = q.where(RectificationAction.owner_person_id.in_([p.id for p in scope.people] or [-1]))
    earned = possible = 0
    rows: list[EvidenceRow] = []
    for a in session.scalars(q.order_by(RectificationAction.due_on, RectificationAction.id)):
        if a.created_at.date() > scope.day:
            continue
        done = a.completed_on is not None and a.completed_on <= scope.day
        if not done and a.due_on >= scope.day:
            continue
        on_time = done and a.completed_on is not None and a.completed_on <= a.due_on
        possible += 1
        earned += on_time
        rows.append(
            EvidenceRow(
                what=f"rectification action {a.id}: {a.title} (due {a.due_on})",
                person_id=a.owner_person_id,
                at=a.completed_at.isoformat() if done and a.completed_at else None,
                present=on_time,
            )
        )
    return Count(earned, possible, rows)


SOURCES = [
    EvidenceSource(
        key="rectification",
        label="rectification actions done on time",
        formula="rectification actions done, with evidence of completion, by their deadline "
        "÷ actions done or past their deadline (cancelled ones do not count)",
        compute=actions_done,
    ),
]
