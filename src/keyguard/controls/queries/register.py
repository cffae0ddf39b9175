"""Queries over the register itself: items nobody answers for, items whose classification
review is overdue, and physical check-outs not returned by their due day."""

from __future__ import annotations

from typing import Any

from keyguard.controls.context import QueryContext, record_row
from keyguard.controls.queries import Hit, Param, query
from keyguard.controls.queries.grants import items, rank
from keyguard.controls.queries.people import leavers
from keyguard.records.register.service import overdue


@query(
    "items.no_owner",
    title="Register items with no owner or custodian, or one who has left",
    inputs=("register",),
    params={
        "require_custodian": Param("bool", True, "A custodian is needed as well as an owner"),
        "left_counts_as_none": Param("bool", True, "An owner or custodian who left is none"),
    },
)
def no_owner(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    gone = leavers(ctx) if p["left_counts_as_none"] else {}
    staff = {pid: person.staff_id for pid, person in ctx.people().items()}
    hits = []
    for item in sorted(items(ctx).values(), key=lambda i: i.reference):
        if item.status == "destroyed":
            continue
        problems: list[tuple[str, str]] = []
        for role, pid in (("owner", item.owner_id), ("custodian", item.custodian_id)):
            if role == "custodian" and not p["require_custodian"]:
                continue
            if pid is None:
                problems.append((f"no {role}", f"no {role}"))
            elif pid in gone and gone[pid].left_from <= ctx.as_of:
                who, masked = ctx.who(pid)
                since = f" left on {gone[pid].left_from}"
                problems.append((f"its {role} {who}{since}", f"its {role} {masked}{since}"))
        if not problems:
            continue
        text = f"Item {item.reference} ({item.level}, {ctx.node_path(item.owner_department_id)}): "
        hits.append(
            Hit(
                key=f"item:{item.id}",
                subject=text + "; ".join(x for x, _ in problems),
                subject_masked=text + "; ".join(y for _, y in problems),
                evidence=[
                    record_row(
                        "register_item",
                        item.id,
                        reference=item.reference,
                        level=item.level,
                        status=item.status,
                        owner=staff.get(item.owner_id or -1),
                        custodian=staff.get(item.custodian_id or -1),
                        owner_department=ctx.node_path(item.owner_department_id),
                        source=item.source,
                    )
                ],
                item_id=item.id,
                department_id=item.owner_department_id,
                owner={"department_id": item.owner_department_id},
            )
        )
    return hits


@query(
    "items.review_overdue",
    title="Register items past their classification review date",
    inputs=("register",),
    params={
        "grace_days": Param("int", 0, "Days past the review date before it counts", 0),
        "min_rank": Param("int", 0, "Only items at this level rank or above (0 = lowest)", 0),
    },
)
def review_overdue(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    hits = []
    for item in sorted(items(ctx).values(), key=lambda i: i.reference):
        if item.status == "destroyed" or item.review_date is None:
            continue
        late = (ctx.as_of - item.review_date).days
        if late <= p["grace_days"] or rank(ctx, item.level) < p["min_rank"]:
            continue
        text = (
            f"Item {item.reference} ({item.level}, {ctx.node_path(item.owner_department_id)}): "
            f"classification review was due on {item.review_date}, {late} day(s) ago"
        )
        hits.append(
            Hit(
                key=f"item:{item.id}",
                subject=text,
                subject_masked=text,
                evidence=[
                    record_row(
                        "register_item",
                        item.id,
                        reference=item.reference,
                        level=item.level,
                        review_date=item.review_date,
                        retention_until=item.retention_until,
                        source=item.source,
                    )
                ],
                item_id=item.id,
                department_id=item.owner_department_id,
                owner={"item_id": item.id, "department_id": item.owner_department_id},
                details={"days_late": late},
            )
        )
    return hits


@query(
    "checkouts.overdue",
    title="Physical items checked out and not returned by their due day",
    inputs=("register",),
    params={"grace_days": Param("int", 0, "Days late before it counts", 0)},
)
def checkouts_overdue(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    hits = []
    for o in overdue(ctx.session, unit=ctx.unit, day=ctx.as_of):
        if o.days_late <= p["grace_days"]:
            continue
        who, masked = ctx.who(o.person.id)
        text = f"{o.item.reference} ({o.item.level}) checked out by "
        late = f", due {o.checkout.due_on}, {o.days_late} day(s) late"
        hits.append(
            Hit(
                key=f"checkout:{o.checkout.id}",
                subject=text + who + late,
                subject_masked=text + masked + late,
                evidence=[
                    record_row(
                        "register_checkout",
                        o.checkout.id,
                        item=o.item.reference,
                        holder=o.person.staff_id,
                        checked_out_at=o.checkout.checked_out_at,
                        due_on=o.checkout.due_on,
                        issued_by=o.checkout.issued_by,
                        purpose=o.checkout.purpose,
                    )
                ],
                person_id=o.person.id,
                item_id=o.item.id,
                department_id=o.item.owner_department_id,
                owner={"item_id": o.item.id, "department_id": o.item.owner_department_id},
                details={"days_late": o.days_late, "due_on": o.checkout.due_on.isoformat()},
            )
        )
    return hits
