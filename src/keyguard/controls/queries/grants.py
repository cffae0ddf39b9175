"""Queries over need-to-know grants: never or no longer reviewed, too few approvers at the
top levels, approvers who benefit from what they approved, grants above the grantee's
clearance. A grant counts when it is in force on the scan day (approved, valid and known)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from keyguard.controls.context import QueryContext, record_row
from keyguard.controls.queries import Hit, Param, query
from keyguard.records.personnel.service import clearance_table
from keyguard.records.register.grants import grant_table, grantee_label, in_force
from keyguard.records.register.models import Grant, Item, ReviewCampaign, ReviewTask
from keyguard.records.register.service import level_periods


def rank(ctx: QueryContext, level: str | None) -> int:
    """Rank of ``level`` among the unit's levels (0 = lowest); -1 when unknown."""
    names = [x.casefold() for x in ctx.unit.classification_levels or []]
    try:
        return names.index((level or "").strip().casefold())
    except ValueError:
        return -1


def top_rank(ctx: QueryContext, top_levels: int) -> int:
    """The lowest rank counted among the ``top_levels`` highest levels."""
    return max(0, len(ctx.unit.classification_levels or []) - max(top_levels, 1))


def items(ctx: QueryContext) -> dict[int, Item]:
    if "items" not in ctx.cache:
        ctx.cache["items"] = {
            i.id: i for i in ctx.session.scalars(select(Item).where(Item.unit_id == ctx.unit.id))
        }
    found: dict[int, Item] = ctx.cache["items"]
    return found


def item_level_on(ctx: QueryContext, item_id: int, day: dt.date) -> str:
    """The item's level on ``day`` (downgrades split its history)."""
    if "level_periods" not in ctx.cache:
        periods: dict[int, list[Any]] = defaultdict(list)
        for p in level_periods(ctx.session, unit_id=ctx.unit.id):
            periods[p.item_id].append(p)
        ctx.cache["level_periods"] = periods
    for p in ctx.cache["level_periods"].get(item_id, []):
        if (p.valid_from is None or p.valid_from <= day) and (
            p.valid_to is None or day < p.valid_to
        ):
            return str(p.level)
    return items(ctx)[item_id].level


def grant_rank(ctx: QueryContext, g: Grant) -> int:
    """The highest level a grant reaches on the scan day."""
    if g.scope == "item" and g.item_id in items(ctx):
        return rank(ctx, item_level_on(ctx, g.item_id, ctx.as_of))
    if g.scope == "level":
        return rank(ctx, g.level)
    comp = (g.compartment or "").casefold()
    ranks = [
        rank(ctx, item_level_on(ctx, i.id, ctx.as_of))
        for i in items(ctx).values()
        if (i.compartment or "").casefold() == comp and i.status != "destroyed"
    ]
    return max(ranks, default=-1)


def grant_rows(ctx: QueryContext, *, expand_items: bool) -> list[dict[str, Any]]:
    """The register's grant table (grants resolved to people per day range), once per scan."""
    key = f"grant_table:{expand_items}"
    if key not in ctx.cache:
        table = grant_table(ctx.session, ctx.unit.id, expand_items=expand_items)
        ctx.cache[key] = table.to_pylist()
    rows: list[dict[str, Any]] = ctx.cache[key]
    return rows


def grants_in_force(ctx: QueryContext) -> list[Grant]:
    """Grants of the unit in force on the scan day, with their approvals."""
    if "grants_in_force" not in ctx.cache:
        q = select(Grant).options(selectinload(Grant.approvals)).where(Grant.unit_id == ctx.unit.id)
        ctx.cache["grants_in_force"] = list(ctx.session.scalars(in_force(q, ctx.as_of)))
    found: list[Grant] = ctx.cache["grants_in_force"]
    return found


def scope_text(ctx: QueryContext, g: Grant) -> str:
    if g.scope == "item":
        item = items(ctx).get(g.item_id or -1)
        return item.reference if item else f"item {g.item_id}"
    if g.scope == "compartment":
        return f"compartment {g.compartment}"
    return f"level {g.level} and below"


def grantee_text(ctx: QueryContext, g: Grant) -> tuple[str, str]:
    """The grantee with identities and masked."""
    if g.grantee_type == "person":
        return ctx.who(g.grantee_person_id)
    label = f"{g.grantee_type} {grantee_label(ctx.session, g)}"
    return label, label


def grant_evidence(ctx: QueryContext, g: Grant) -> dict[str, Any]:
    staff = {p.id: p.staff_id for p in ctx.people().values()}
    who = (
        {"grantee": staff.get(g.grantee_person_id or -1)}
        if g.grantee_type == "person"
        else {"grantee_group": grantee_label(ctx.session, g)}
    )
    return record_row(
        "access_grant",
        g.id,
        grantee_type=g.grantee_type,
        **who,
        scope=scope_text(ctx, g),
        purpose=g.purpose,
        status=g.status,
        valid_from=g.valid_from,
        valid_to=g.valid_to,
        known_from=g.known_from,
        approvals_required=g.approvals_required,
        approvers=[
            staff.get(a.person_id or -1, "?") for a in g.approvals if a.decision == "approve"
        ],
        last_reviewed_at=g.last_reviewed_at,
        source=g.source,
    )


def _owner_of(ctx: QueryContext, g: Grant) -> dict[str, Any]:
    item = items(ctx).get(g.item_id or -1)
    return {
        "item_id": item.id if item else None,
        "department_id": item.owner_department_id if item else None,
    }


def _local_day(ctx: QueryContext, at: dt.datetime) -> dt.date:
    return at.astimezone(zoneinfo.ZoneInfo(ctx.unit.timezone)).date()


@query(
    "grants.unreviewed",
    title="Grants in force never reviewed, or not reviewed for too long",
    inputs=("register",),
    params={
        "grace_days": Param("int", 90, "Days a new grant may run before its first review", 0),
        "review_every_days": Param("int", 365, "Longest time between two reviews", 1),
        "min_rank": Param("int", 0, "Only grants reaching this level rank (0 = lowest)", 0),
        "top_levels": Param("int", 0, "Only grants reaching the N highest levels (0 = any)", 0),
    },
)
def unreviewed(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    open_tasks: dict[int, list[tuple[ReviewTask, ReviewCampaign]]] = defaultdict(list)
    for task, campaign in ctx.session.execute(
        select(ReviewTask, ReviewCampaign)
        .join(ReviewCampaign, ReviewCampaign.id == ReviewTask.campaign_id)
        .where(
            ReviewTask.unit_id == ctx.unit.id,
            ReviewTask.decision.is_(None),
            ReviewCampaign.due_on < ctx.as_of,
        )
    ):
        open_tasks[task.grant_id].append((task, campaign))
    floor = max(p["min_rank"], top_rank(ctx, p["top_levels"]) if p["top_levels"] else 0)
    hits = []
    for g in grants_in_force(ctx):
        if grant_rank(ctx, g) < floor:
            continue
        reasons = []
        if g.last_reviewed_at is None:
            age = (ctx.as_of - g.known_from).days
            if age > p["grace_days"]:
                reasons.append(f"never reviewed in {age} days")
        else:
            last = _local_day(ctx, g.last_reviewed_at)
            if (ctx.as_of - last).days > p["review_every_days"]:
                reasons.append(f"last reviewed on {last}")
        for _task, campaign in open_tasks.get(g.id, []):
            reasons.append(f"review {campaign.name!r} due {campaign.due_on} not done")
        if not reasons:
            continue
        who, masked = grantee_text(ctx, g)
        rows = [grant_evidence(ctx, g)]
        rows += [
            record_row("access_review_task", t.id, campaign=c.name, due_on=c.due_on, decision=None)
            for t, c in open_tasks.get(g.id, [])
        ]
        what = f"Grant #{g.id} ({scope_text(ctx, g)}) for "
        why = "; ".join(reasons)
        hits.append(
            Hit(
                key=f"grant:{g.id}",
                subject=f"{what}{who}: {why}",
                subject_masked=f"{what}{masked}: {why}",
                evidence=rows,
                person_id=g.grantee_person_id,
                item_id=g.item_id,
                department_id=_owner_of(ctx, g)["department_id"],
                owner=_owner_of(ctx, g),
            )
        )
    return hits


@query(
    "grants.too_few_approvers",
    title="Grants at the top levels with fewer distinct approvers than required",
    inputs=("register",),
    params={
        "min_approvers": Param("int", 2, "Distinct people who must approve", 1, 5),
        "top_levels": Param("int", 1, "How many of the highest levels need them", 1),
    },
)
def too_few_approvers(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    floor = top_rank(ctx, p["top_levels"])
    hits = []
    for g in grants_in_force(ctx):
        if grant_rank(ctx, g) < floor:
            continue
        excluded = {g.grantee_person_id, g.requested_by_person_id} - {None}
        approvers = {
            a.person_id
            for a in g.approvals
            if a.decision == "approve" and a.person_id is not None and a.person_id not in excluded
        }
        if len(approvers) >= p["min_approvers"]:
            continue
        who, masked = grantee_text(ctx, g)
        what = f"Grant #{g.id} ({scope_text(ctx, g)}) for "
        why = f"{len(approvers)} distinct approver(s) where {p['min_approvers']} are required"
        hits.append(
            Hit(
                key=f"grant:{g.id}",
                subject=f"{what}{who}: {why}",
                subject_masked=f"{what}{masked}: {why}",
                evidence=[grant_evidence(ctx, g)],
                person_id=g.grantee_person_id,
                item_id=g.item_id,
                department_id=_owner_of(ctx, g)["department_id"],
                owner=_owner_of(ctx, g),
                details={"approvers": len(approvers)},
            )
        )
    return hits


def _beneficiaries(ctx: QueryContext) -> dict[int, set[int]]:
    """Grant id -> people it covers on the scan day (group grants through membership)."""
    out: dict[int, set[int]] = defaultdict(set)
    for row in grant_rows(ctx, expand_items=False):
        if row["person_id"] is None or row["known_from"] > ctx.as_of:
            continue
        if row["valid_from"] is not None and row["valid_from"] > ctx.as_of:
            continue
        if row["valid_to"] is not None and row["valid_to"] <= ctx.as_of:
            continue
        out[row["grant_id"]].add(row["person_id"])
    return out


@query(
    "grants.approver_benefits",
    title="Top-level grants approved (or requested and approved) by someone they cover",
    inputs=("register",),
    params={"top_levels": Param("int", 1, "How many of the highest levels count", 1)},
)
def approver_benefits(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    floor = top_rank(ctx, p["top_levels"])
    covered = _beneficiaries(ctx)
    hits = []
    for g in grants_in_force(ctx):
        if grant_rank(ctx, g) < floor:
            continue
        approvers = {
            a.person_id for a in g.approvals if a.decision == "approve" and a.person_id is not None
        }
        users = covered.get(g.id, set())
        involved = users | ({g.requested_by_person_id} if g.requested_by_person_id else set())
        for pid in sorted(approvers & involved):
            who, masked = ctx.who(pid)
            role = "covered by it" if pid in users else "its requester"
            text = f"Grant #{g.id} ({scope_text(ctx, g)}) was approved by "
            hits.append(
                Hit(
                    key=f"grant:{g.id}:person:{pid}",
                    subject=f"{text}{who}, who is {role}",
                    subject_masked=f"{text}{masked}, who is {role}",
                    evidence=[grant_evidence(ctx, g)],
                    person_id=pid,
                    item_id=g.item_id,
                    department_id=_owner_of(ctx, g)["department_id"],
                    owner=_owner_of(ctx, g),
                )
            )
    return hits


@query(
    "grants.above_clearance",
    title="Grants in force that reach above the grantee's clearance",
    inputs=("register", "clearances", "people"),
    params={"min_rank": Param("int", 1, "Only items at this level rank or above", 0)},
)
def above_clearance(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    cleared: dict[int, tuple[int, str]] = {}
    for c in clearance_table(ctx.session, ctx.unit.id).to_pylist():
        if c["known_from"] > ctx.as_of or c["valid_from"] > ctx.as_of:
            continue
        if c["valid_to"] is not None and c["valid_to"] <= ctx.as_of:
            continue
        if c["level_rank"] > cleared.get(c["person_id"], (-1, ""))[0]:
            cleared[c["person_id"]] = (c["level_rank"], c["level"])
    over: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for row in grant_rows(ctx, expand_items=True):
        pid, item_id = row["person_id"], row["item_id"]
        if pid is None or item_id is None or row["known_from"] > ctx.as_of:
            continue
        if row["valid_from"] is not None and row["valid_from"] > ctx.as_of:
            continue
        if row["valid_to"] is not None and row["valid_to"] <= ctx.as_of:
            continue
        level = item_level_on(ctx, item_id, ctx.as_of)
        r = rank(ctx, level)
        if r < p["min_rank"] or r <= cleared.get(pid, (-1, ""))[0]:
            continue
        over[(row["grant_id"], pid)].append(
            record_row("register_item", item_id, reference=row["reference"], level=level)
        )
    hits = []
    for (grant_id, pid), rows in sorted(over.items()):
        g = ctx.session.get(Grant, grant_id)
        assert g is not None
        level = cleared.get(pid, (-1, "none"))[1]
        who, masked = ctx.who(pid)
        staff = ctx.people()[pid].staff_id if pid in ctx.people() else None
        clearance = record_row("clearance", None, person=staff, level=level, on=ctx.as_of)
        capped, total = ctx.cap(rows)
        text = f"Grant #{grant_id} ({scope_text(ctx, g)}) reaches {len(rows)} item(s) above the "
        hits.append(
            Hit(
                key=f"grant:{grant_id}:person:{pid}",
                subject=f"{text}clearance ({level}) of {who}",
                subject_masked=f"{text}clearance ({level}) of {masked}",
                evidence=[grant_evidence(ctx, g), clearance, *capped],
                evidence_total=total + 2,
                person_id=pid,
                item_id=g.item_id,
                department_id=_owner_of(ctx, g)["department_id"],
                owner=_owner_of(ctx, g),
            )
        )
    return hits
