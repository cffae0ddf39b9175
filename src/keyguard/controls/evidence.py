"""The loophole scanner's term of the compliance score: findings closed on time.

A finding counts once it was closed by the scope's day, or was open past its due date on
that day; it is earned when it was closed (by a scan that no longer found it, or by a
person as fixed or as an accepted risk) on or before its due date. Each row names the duties
and controls its check supports, so a closed finding is evidence for them.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from keyguard.controls.models import Finding
from keyguard.records.duties.score import Count, EvidenceRow, EvidenceSource, Scope
from keyguard.records.duties.service import department_ids


def findings_closed(session: Session, scope: Scope) -> Count:
    """Findings closed by their due date ÷ findings closed or overdue on the day."""
    q = select(Finding).where(
        Finding.unit_id == scope.unit.id,
        or_(Finding.status == "closed", Finding.due_on < scope.day),
    )
    if scope.department_id is not None:
        nodes = department_ids(session, unit_id=scope.unit.id, department_id=scope.department_id)
        people = [p.id for p in scope.people]
        q = q.where(
            or_(Finding.department_id.in_(nodes), Finding.owner_person_id.in_(people or [-1]))
        )
    earned = possible = 0
    rows: list[EvidenceRow] = []
    for f in session.scalars(q.order_by(Finding.due_on, Finding.id)):
        if f.opened_on > scope.day:
            continue
        closed = f.closed_on is not None and f.closed_on <= scope.day
        if not closed and f.due_on >= scope.day:
            continue
        on_time = closed and f.closed_on is not None and f.closed_on <= f.due_on
        possible += 1
        earned += on_time
        rows.append(
            EvidenceRow(
                what=f"finding {f.check_id}: {f.subject_masked} (due {f.due_on})",
                person_id=f.owner_person_id,
                at=f.closed_at.isoformat() if closed and f.closed_at else None,
                version=", ".join(f.supports or []) or None,
                present=on_time,
            )
        )
    return Count(earned, possible, rows)


SOURCES = [
    EvidenceSource(
        key="findings",
        label="loophole findings closed on time",
        formula="findings closed by their due date (the loophole no longer found by a scan, "
        "or closed by a person with a note) ÷ findings closed or past their due date; each "
        "counts for the duties and controls its check supports",
        compute=findings_closed,
    ),
]
