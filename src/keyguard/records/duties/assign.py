"""The assignment engine: each current duty goes to the positions of its level.

Levels come from the data: ``Position.level`` (leadership, department, team, individual);
the security office is every position whose org node (or an ancestor) has a name matching
the unit's ``security_office_match`` (default "security"), every position of level
``security_office`` and every position listed in ``security_office_positions``. Individual
duties go to every position. People carry the duties of the position they hold, so duties
follow a person who moves.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.records.duties.models import DutyAssignment, Framework, FrameworkObject
from keyguard.records.duties.settings import DutySettings, duty_settings, local_today
from keyguard.records.org.models import OrgNode, Person, PersonVersion, Position, Unit


@dataclass
class AssignResult:
    """Counts of one run of the engine, and the positions found per level."""

    created: int = 0
    ended: int = 0
    kept: int = 0
    positions: dict[str, int] = field(default_factory=dict)
    people_without_position: int = 0


def _node_paths(session: Session, unit_id: int) -> dict[int, OrgNode]:
    return {n.id: n for n in session.scalars(select(OrgNode).where(OrgNode.unit_id == unit_id))}


def in_security_office(
    position: Position, nodes: dict[int, OrgNode], settings: DutySettings
) -> bool:
    """Whether ``position`` belongs to the security office (see module docstring)."""
    if position.level == "security_office" or position.id in settings.security_office_positions:
        return True
    node = nodes.get(position.org_node_id) if position.org_node_id else None
    seen: set[int] = set()
    while node is not None and node.id not in seen:
        seen.add(node.id)
        name = node.name.lower()
        if any(word in name for word in settings.security_office_match):
            return True
        node = nodes.get(node.parent_id) if node.parent_id else None
    return False


def position_levels(
    session: Session, unit: Unit, day: dt.date | None = None
) -> dict[int, set[str]]:
    """Duty levels each live position of the unit carries."""
    settings = duty_settings(unit)
    nodes = _node_paths(session, unit.id)
    out: dict[int, set[str]] = {}
    for pos in session.scalars(select(Position).where(Position.unit_id == unit.id)):
        node = nodes.get(pos.org_node_id) if pos.org_node_id else None
        if node is not None and node.retired_from is not None and day and node.retired_from <= day:
            continue
        levels = {"individual"}
        if pos.level in ("leadership", "department", "team", "security_office"):
            levels.add(pos.level)
        if in_security_office(pos, nodes, settings):
            levels.add("security_office")
        out[pos.id] = levels
    return out


def current_duties(session: Session, *, unit_id: int) -> list[FrameworkObject]:
    """Active duties of the unit's current framework versions."""
    return list(
        session.scalars(
            select(FrameworkObject)
            .join(Framework, Framework.id == FrameworkObject.framework_id)
            .where(
                Framework.unit_id == unit_id,
                Framework.status == "current",
                FrameworkObject.assessable.is_(True),
                FrameworkObject.status == "active",
            )
            .order_by(Framework.urn, FrameworkObject.position)
        )
    )


def assign_duties(session: Session, *, unit: Unit, day: dt.date | None = None) -> AssignResult:
    """Bring the unit's assignments in line with its duties and positions (idempotent)."""
    day = day or local_today(unit)
    result = AssignResult()
    levels = position_levels(session, unit, day)
    for pos_levels in levels.values():
        for level in pos_levels:
            result.positions[level] = result.positions.get(level, 0) + 1
    wanted: dict[tuple[str, int], FrameworkObject] = {}
    for duty in current_duties(session, unit_id=unit.id):
        for pos_id, pos_levels in levels.items():
            if duty.level in pos_levels:
                wanted[(duty.urn, pos_id)] = duty
    active = session.scalars(
        select(DutyAssignment).where(
            DutyAssignment.unit_id == unit.id, DutyAssignment.valid_to.is_(None)
        )
    )
    have: dict[tuple[str, int], DutyAssignment] = {}
    for a in active:
        key = (a.duty_urn, a.position_id)
        duty = wanted.get(key)
        if duty is None or duty.id != a.duty_id or key in have:
            a.valid_to = day
            result.ended += 1
        else:
            have[key] = a
            result.kept += 1
    summary = session.info.get("audit_summary")
    # one audit entry listing every assignment made or ended, not one per row
    session.info["audit_summary"] = {
        "action": "duties_assigned",
        "source": "assignment engine",
        "unit_id": unit.id,
    }
    for key, duty in wanted.items():
        if key not in have:
            session.add(
                DutyAssignment(
                    unit_id=unit.id,
                    duty_id=duty.id,
                    duty_urn=duty.urn,
                    position_id=key[1],
                    valid_from=day,
                    reason="level",
                )
            )
            result.created += 1
    try:
        session.flush()
    finally:
        if summary is None:
            session.info.pop("audit_summary", None)
        else:
            session.info["audit_summary"] = summary
    result.people_without_position = len(
        list(
            session.scalars(
                select(Person.id).where(
                    Person.unit_id == unit.id,
                    Person.status.in_(("active", "notice")),
                    Person.position_id.is_(None),
                )
            )
        )
    )
    return result


def position_on(
    session: Session, person: Person, day: dt.date
) -> tuple[int | None, dt.date | None]:
    """The position ``person`` held on ``day`` as known that day, and since when they held it."""
    versions = [v for v in person.versions if v.known_from <= day and v.valid_from <= day]
    if not versions:
        return person.position_id, person.start_date
    versions.sort(key=lambda v: (v.valid_from, v.known_from))
    current: PersonVersion | None = None
    for v in versions:
        if v.valid_to is None or v.valid_to > day:
            current = v
    if current is None:
        return None, None
    since = current.valid_from
    for v in reversed(versions):
        if v.valid_from >= since:
            continue
        if v.position_id != current.position_id:
            break
        since = v.valid_from
    return current.position_id, since


def assignments_by_position(
    session: Session, *, unit_id: int, day: dt.date, positions: set[int] | None = None
) -> dict[int, list[DutyAssignment]]:
    """Assignments in force on ``day``, per position (only ``positions`` when given)."""
    out: dict[int, list[DutyAssignment]] = defaultdict(list)
    query = select(DutyAssignment).where(
        DutyAssignment.unit_id == unit_id,
        DutyAssignment.valid_from <= day,
        (DutyAssignment.valid_to.is_(None)) | (DutyAssignment.valid_to > day),
    )
    if positions is None:
        batches: list[list[int] | None] = [None]
    else:
        ids = sorted(positions)
        batches = [ids[i : i + 500] for i in range(0, len(ids), 500)]
    for batch in batches:
        q = query if batch is None else query.where(DutyAssignment.position_id.in_(batch))
        for a in session.scalars(q):
            out[a.position_id].append(a)
    return out
