"""The education domain's term of the compliance score: training completed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.records.duties.score import Count, EvidenceRow, EvidenceSource, Scope
from keyguard.records.education.models import TrainingAssignment


def training(session: Session, scope: Scope) -> Count:
    """Items passed by the day ÷ items passed or past their due date."""
    ids = [p.id for p in scope.people]
    earned = possible = 0
    rows: list[EvidenceRow] = []
    for start in range(0, len(ids), 500):
        for item in session.scalars(
            select(TrainingAssignment).where(
                TrainingAssignment.person_id.in_(ids[start : start + 500])
            )
        ):
            if item.assigned_on > scope.day:
                continue
            done = item.completed_at is not None and item.completed_at.date() <= scope.day
            if not done and item.due_on >= scope.day:
                continue
            possible += 1
            earned += done
            rows.append(
                EvidenceRow(
                    what=f"training {item.course_urn} ({item.period})",
                    person_id=item.person_id,
                    at=item.completed_at.isoformat() if done and item.completed_at else None,
                    version=None,
                    present=done,
                )
            )
    return Count(earned, possible, rows)


SOURCES = [
    EvidenceSource(
        key="training",
        label="training items completed",
        formula="campaign items passed (quiz at the pass mark, or publicity read) ÷ items "
        "passed or past their due date",
        compute=training,
    ),
]
