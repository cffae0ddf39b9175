"""Who answers for a finding and by when.

The owner comes from the records, by the check's ``owner`` rules in order (the first that
names an active person wins): ``item_owner`` / ``item_custodian`` of the item concerned,
``department_head`` (an active holder of a department-level position at the department
concerned or the nearest one above it), ``manager`` (the position above the subject person,
else their recorded manager), ``position_above`` (holders of the position a vacant position
reports to), ``subject`` (the person concerned) and ``security_office``. When none resolves,
the finding belongs to the security office without a named person.

Due dates: the day a finding opens plus the check's ``due_days``, else the unit's days for
the severity (``Unit.settings["controls"]["due_days"]``), else the defaults below.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.controls.context import QueryContext
from keyguard.controls.queries import Hit
from keyguard.records.duties.assign import position_levels
from keyguard.records.org.models import Person, Position, Unit
from keyguard.records.register.models import Item

DEFAULT_DUE_DAYS = {"critical": 7, "high": 14, "medium": 30, "low": 60}
DEFAULT_ESCALATE_AFTER_DAYS = 30
ACTIVE = ("active", "notice")


@dataclass(frozen=True)
class ControlSettings:
    due_days: dict[str, int]
    escalate_after_days: int


def control_settings(unit: Unit) -> ControlSettings:
    """The unit's settings for findings (``settings["controls"]``) over the defaults."""
    raw: dict[str, Any] = dict((unit.settings or {}).get("controls") or {})
    due = dict(DEFAULT_DUE_DAYS)
    for k, v in dict(raw.get("due_days") or {}).items():
        if k in due and isinstance(v, int) and v > 0:
            due[k] = v
    esc = raw.get("escalate_after_days")
    return ControlSettings(
        due, esc if isinstance(esc, int) and esc > 0 else DEFAULT_ESCALATE_AFTER_DAYS
    )


def due_on(unit: Unit, severity: str, opened: dt.date, check_days: int | None) -> dt.date:
    """When a finding opened on ``opened`` is due."""
    days = check_days or control_settings(unit).due_days.get(severity, 30)
    return opened + dt.timedelta(days=days)


@dataclass(frozen=True)
class Owner:
    person_id: int | None
    label: str
    rule: str


class OwnerResolver:
    """Resolves owners for one scan (caches the org lookups)."""

    def __init__(self, ctx: QueryContext) -> None:
        self.ctx = ctx
        self._heads: dict[int, list[int]] | None = None
        self._office: list[int] | None = None

    def _active(self, pid: int | None) -> Person | None:
        p = self.ctx.people().get(pid) if pid is not None else None
        return p if p is not None and p.status in ACTIVE else None

    def _heads_by_node(self) -> dict[int, list[int]]:
        if self._heads is None:
            heads: dict[int, list[int]] = {}
            positions = {
                pos.id: pos
                for pos in self.ctx.session.scalars(
                    select(Position).where(
                        Position.unit_id == self.ctx.unit.id, Position.level == "department"
                    )
                )
            }
            for p in self.ctx.people().values():
                pos = positions.get(p.position_id or -1)
                if pos is not None and pos.org_node_id is not None and p.status in ACTIVE:
                    heads.setdefault(pos.org_node_id, []).append(p.id)
            self._heads = heads
        return self._heads

    def department_head(self, node_id: int | None, exclude: int | None = None) -> int | None:
        """An active head of ``node_id`` or of the nearest node above it."""
        seen: set[int] = set()
        while node_id is not None and node_id not in seen:
            seen.add(node_id)
            for pid in sorted(self._heads_by_node().get(node_id, [])):
                if pid != exclude:
                    return pid
            node = self.ctx.nodes().get(node_id)
            node_id = node.parent_id if node else None
        return None

    def security_office(self) -> list[int]:
        """Active people in security-office positions (by the duties' definition)."""
        if self._office is None:
            levels = position_levels(self.ctx.session, self.ctx.unit, self.ctx.as_of)
            office = {pid for pid, lv in levels.items() if "security_office" in lv}
            self._office = sorted(
                p.id
                for p in self.ctx.people().values()
                if p.position_id in office and p.status in ACTIVE
            )
        return self._office

    def _manager(self, pid: int | None) -> int | None:
        p = self._active(pid) or (self.ctx.people().get(pid) if pid is not None else None)
        if p is None:
            return None
        if p.position_id is not None:
            pos = self.ctx.session.get(Position, p.position_id)
            if pos is not None and pos.reports_to_id is not None:
                above = self._holders(pos.reports_to_id)
                if above:
                    return above[0]
        m = self._active(p.manager_id)
        return m.id if m else None

    def _holders(self, position_id: int) -> list[int]:
        return sorted(
            p.id
            for p in self.ctx.people().values()
            if p.position_id == position_id and p.status in ACTIVE
        )

    def resolve(self, rules: tuple[str, ...], hit: Hit) -> Owner:
        """The owner of ``hit`` by ``rules`` (see module docstring)."""
        hint = hit.owner
        item = (
            self.ctx.session.get(Item, hint["item_id"]) if hint.get("item_id") is not None else None
        )
        subject = hint.get("person_id", hit.person_id)
        for rule in rules:
            pid: int | None = None
            label = ""
            if rule == "item_owner" and item is not None:
                pid, label = item.owner_id, f"owner of {item.reference}"
            elif rule == "item_custodian" and item is not None:
                pid, label = item.custodian_id, f"custodian of {item.reference}"
            elif rule == "department_head":
                node = hint.get("department_id", hit.department_id)
                if node is None and item is not None:
                    node = item.owner_department_id
                if node is None and subject is not None:
                    person = self.ctx.people().get(subject)
                    node = person.team_id or person.department_id if person else None
                pid = self.department_head(node, exclude=subject)
                label = f"head of {self.ctx.node_path(node)}"
            elif rule == "manager":
                pid, label = self._manager(subject), "manager of the person concerned"
            elif rule == "position_above" and hint.get("position_id") is not None:
                pos = self.ctx.session.get(Position, hint["position_id"])
                if pos is not None and pos.reports_to_id is not None:
                    found = self._holders(pos.reports_to_id)
                    pid, label = (found[0] if found else None), "holder of the position above"
            elif rule == "subject":
                pid, label = subject, "the person concerned"
            elif rule == "security_office":
                office = self.security_office()
                if office:
                    return Owner(office[0], "security office", rule)
            if self._active(pid) is not None:
                return Owner(pid, label, rule)
        return Owner(None, "security office", "fallback")


def security_office_people(session: Session, unit: Unit, as_of: dt.date) -> list[int]:
    """Active people in security-office positions of the unit."""
    levels = position_levels(session, unit, as_of)
    office = [pid for pid, lv in levels.items() if "security_office" in lv]
    if not office:
        return []
    return list(
        session.scalars(
            select(Person.id)
            .where(
                Person.unit_id == unit.id,
                Person.position_id.in_(office),
                Person.status.in_(ACTIVE),
            )
            .order_by(Person.id)
        )
    )
