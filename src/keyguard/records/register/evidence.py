"""The register's term of the compliance score: periodic access reviews done.

A review task (one grant of a review campaign) is owed from the campaign's due date; it is
evidence from the day its owner (or the security office) confirmed or revoked the grant.
For a department, the tasks about the department's own items (items it or a department
below it owns) count, and tasks whose reviewer is one of its people; for the unit, all.
Only what was decided by the scored day counts (no look-ahead)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.records.duties.score import Count, EvidenceRow, EvidenceSource, Scope
from keyguard.records.org.models import OrgNode
from keyguard.records.register.models import Grant, Item, ReviewCampaign, ReviewTask


def _below(session: Session, unit_id: int, node_id: int) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for nid, parent in session.execute(
        select(OrgNode.id, OrgNode.parent_id).where(OrgNode.unit_id == unit_id)
    ):
        children.setdefault(parent, []).append(nid)
    out: set[int] = set()
    todo = [node_id]
    while todo:
        n = todo.pop()
        if n not in out:
            out.add(n)
            todo.extend(children.get(n, []))
    return out


def _local_day(at: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.date:
    if at.tzinfo is None:  # SQLite returns naive UTC
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(tz).date()


def access_reviews(session: Session, scope: Scope) -> Count:
    """Review tasks decided by the day ÷ tasks decided or past their campaign's due date."""
    tz = zoneinfo.ZoneInfo(scope.unit.timezone or "UTC")
    depts: set[int] | None = None
    people: set[int] = set()
    if scope.department_id is not None:
        depts = _below(session, scope.unit.id, scope.department_id)
        people = {p.id for p in scope.people}
    q = (
        select(ReviewTask, ReviewCampaign, Grant, Item)
        .join(ReviewCampaign, ReviewCampaign.id == ReviewTask.campaign_id)
        .join(Grant, Grant.id == ReviewTask.grant_id)
        .outerjoin(Item, Item.id == Grant.item_id)
        .where(ReviewTask.unit_id == scope.unit.id, ReviewCampaign.started_on <= scope.day)
        .order_by(ReviewCampaign.id, ReviewTask.id)
    )
    earned = possible = 0
    rows: list[EvidenceRow] = []
    for task, camp, grant, item in session.execute(q):
        if depts is not None and not (
            (item is not None and item.owner_department_id in depts)
            or (task.reviewer_id is not None and task.reviewer_id in people)
        ):
            continue
        done = task.decided_at is not None and _local_day(task.decided_at, tz) <= scope.day
        if not done and camp.due_on >= scope.day:
            continue  # not yet owed
        possible += 1
        earned += done
        what = item.reference if item is not None else f"{grant.scope} grant"
        rows.append(
            EvidenceRow(
                what=f"access review {camp.name}: grant {grant.id} on {what}"
                + (f" ({task.decision})" if done and task.decision else ""),
                person_id=task.reviewer_id,
                at=task.decided_at.isoformat() if done and task.decided_at else None,
                version=None,
                present=done,
            )
        )
    return Count(earned, possible, rows)


SOURCES = [
    EvidenceSource(
        key="access_reviews",
        label="access reviews done",
        formula="grants of an access-review campaign confirmed or revoked by their owner (or "
        "the security office) ÷ those decided or past the campaign's due date",
        compute=access_reviews,
    ),
]
