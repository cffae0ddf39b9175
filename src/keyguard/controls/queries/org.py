"""Queries over responsibility: duties assigned to positions nobody holds, and levels of the
org tree (a department, the leadership, the security office) with nobody to carry their
duties."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from keyguard.controls.context import QueryContext, record_row
from keyguard.controls.queries import Hit, Param, query
from keyguard.records.duties.assign import assignments_by_position, position_levels
from keyguard.records.duties.models import FrameworkObject
from keyguard.records.org.models import Position

ACTIVE = ("active", "notice")


def _holders(ctx: QueryContext) -> dict[int, list[int]]:
    """Position id -> active people holding it on the scan day."""
    out: dict[int, list[int]] = defaultdict(list)
    for p in ctx.people().values():
        if p.position_id is None or p.status not in ACTIVE:
            continue
        if p.start_date is not None and p.start_date > ctx.as_of:
            continue
        out[p.position_id].append(p.id)
    return out


def _positions(ctx: QueryContext) -> dict[int, Position]:
    return {
        p.id: p
        for p in ctx.session.scalars(select(Position).where(Position.unit_id == ctx.unit.id))
    }


@query(
    "duties.unstaffed_positions",
    title="Positions that carry duties but that nobody holds",
    inputs=("duties", "people"),
    params={"levels": Param("list", [], "Only positions of these levels (empty: all)")},
)
def unstaffed(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    holders = _holders(ctx)
    positions = _positions(ctx)
    hits = []
    for pos_id, assigned in sorted(
        assignments_by_position(ctx.session, unit_id=ctx.unit.id, day=ctx.as_of).items()
    ):
        pos = positions.get(pos_id)
        if pos is None or holders.get(pos_id) or not assigned:
            continue
        if p["levels"] and pos.level not in p["levels"]:
            continue
        node = ctx.nodes().get(pos.org_node_id or -1)
        if node is not None and node.retired_from is not None and node.retired_from <= ctx.as_of:
            continue
        duties = {
            d.id: d
            for d in ctx.session.scalars(
                select(FrameworkObject).where(FrameworkObject.id.in_([a.duty_id for a in assigned]))
            )
        }
        text = (
            f"Position {pos.title!r} ({ctx.node_path(pos.org_node_id)}, level {pos.level}) "
            f"carries {len(assigned)} duties and nobody holds it"
        )
        rows = [
            record_row(
                "duty_assignment",
                a.id,
                duty=a.duty_urn,
                name=duties[a.duty_id].name if a.duty_id in duties else "",
                since=a.valid_from,
            )
            for a in assigned
        ]
        capped, total = ctx.cap(rows)
        hits.append(
            Hit(
                key=f"position:{pos_id}",
                subject=text,
                subject_masked=text,
                evidence=[
                    record_row("position", pos.id, title=pos.title, level=pos.level),
                    *capped,
                ],
                evidence_total=total + 1,
                department_id=pos.org_node_id,
                owner={"position_id": pos_id, "department_id": pos.org_node_id},
            )
        )
    return hits


@query(
    "org.level_without_holder",
    title="Parts of the org tree with nobody at the level that carries their duties",
    inputs=("duties", "people"),
    params={
        "node_kinds": Param("list", ["department"], "Kinds of node that need a head"),
        "head_levels": Param(
            "list",
            ["department", "security_office", "leadership"],
            "Position levels at the node that count as its head",
        ),
        "min_people": Param("int", 1, "Only nodes with at least this many active people", 1),
        "unit_levels": Param(
            "list", ["leadership", "security_office"], "Levels the unit needs someone at"
        ),
    },
)
def level_without_holder(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    holders = _holders(ctx)
    positions = _positions(ctx)
    levels = position_levels(ctx.session, ctx.unit, ctx.as_of)
    staffed = {pid for pid, people in holders.items() if people}
    hits = []
    for level in p["unit_levels"]:
        carriers = [pid for pid, lv in levels.items() if level in lv]
        if any(pid in staffed for pid in carriers):
            continue
        text = f"Nobody in the unit holds a {level.replace('_', ' ')} position"
        hits.append(
            Hit(
                key=f"level:{level}",
                subject=text,
                subject_masked=text,
                evidence=[
                    record_row("position", pid, title=positions[pid].title, holders=0)
                    for pid in carriers
                    if pid in positions
                ]
                or [record_row("position", None, level=level, positions=0)],
            )
        )
    people_in: dict[int, int] = defaultdict(int)
    for person in ctx.people().values():
        if person.status not in ACTIVE:
            continue
        node_id = person.team_id or person.department_id
        seen: set[int] = set()
        while node_id is not None and node_id not in seen:
            seen.add(node_id)
            people_in[node_id] += 1
            node = ctx.nodes().get(node_id)
            node_id = node.parent_id if node else None
    for node in sorted(ctx.nodes().values(), key=lambda n: n.path):
        if node.kind not in p["node_kinds"] or people_in.get(node.id, 0) < p["min_people"]:
            continue
        if node.retired_from is not None and node.retired_from <= ctx.as_of:
            continue
        heads = [
            pos
            for pos in positions.values()
            if pos.org_node_id == node.id and pos.level in p["head_levels"]
        ]
        if any(pos.id in staffed for pos in heads):
            continue
        text = (
            f"{node.kind.replace('_', ' ').capitalize()} {node.path} has "
            f"{people_in[node.id]} active people and nobody holds a "
            f"{' or '.join(x.replace('_', ' ') for x in p['head_levels'])} position there to "
            "carry its duties"
        )
        hits.append(
            Hit(
                key=f"node:{node.id}",
                subject=text,
                subject_masked=text,
                evidence=[
                    record_row("org_node", node.id, path=node.path, people=people_in[node.id])
                ]
                + [record_row("position", pos.id, title=pos.title, holders=0) for pos in heads],
                department_id=node.id,
                owner={"department_id": node.parent_id},
            )
        )
    return hits
