"""Joiner/mover/leaver steps derived from person versions, and the priority groups
(departing, privileged, top-level access) the analytics use from the day they are known.

A new version whose status becomes ``notice`` or ``left`` makes a leaver task; one whose
department changes makes a mover task; a person's first version after the unit's initial
load makes a joiner task. Leaver and mover tasks list the person's grants in force for
revocation (person grants; group grants end by themselves with the membership) and are done
when each is revoked or deliberately kept.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from keyguard import audit
from keyguard.config import utcnow
from keyguard.errors import NotFound, RuleViolation
from keyguard.identity.models import Account, RoleAssignment
from keyguard.records.org.models import Person, PersonVersion, Position, Unit
from keyguard.records.personnel.models import Clearance, JmlGrantStep, JmlTask
from keyguard.records.register.common import is_top_level, known_segments, level_rank
from keyguard.records.register.grants import grant_table, in_force, revoke_grant
from keyguard.records.register.models import Grant, Item

DEPARTING = ("notice", "left")
PRIVILEGED_LEVELS = ("leadership", "security_office")
PRIVILEGED_ROLES = ("admin", "security_officer")
#: Job titles that mean privileged system access (CERT role names and plain words).
PRIVILEGED_TITLES = ("itadmin", "it admin", "system administrator", "administrator")


def _transitions(
    versions: list[PersonVersion], first_load: dt.date | None
) -> list[tuple[str, PersonVersion, str]]:
    out: list[tuple[str, PersonVersion, str]] = []
    prev: PersonVersion | None = None
    for v in versions:
        if prev is None:
            if first_load is not None and v.valid_from > first_load:
                out.append(("joiner", v, "joined"))
        else:
            if v.status in DEPARTING and prev.status not in DEPARTING:
                out.append(("leaver", v, f"status {prev.status} → {v.status}"))
            elif v.status not in DEPARTING and v.department_id != prev.department_id:
                out.append(("mover", v, "department changed"))
        prev = v
    return out


def person_grants_in_force(session: Session, *, person_id: int, day: dt.date) -> list[Grant]:
    return list(
        session.scalars(
            in_force(
                select(Grant).where(
                    Grant.grantee_person_id == person_id, Grant.status == "approved"
                ),
                day,
            ).order_by(Grant.id)
        )
    )


def create_tasks(session: Session, *, unit: Unit) -> dict[str, int]:
    """Create the JML tasks of person versions that have none yet (idempotent)."""
    versions = list(
        session.scalars(
            select(PersonVersion)
            .where(PersonVersion.unit_id == unit.id)
            .order_by(PersonVersion.person_id, PersonVersion.valid_from, PersonVersion.id)
        )
    )
    first_load = session.scalar(
        select(func.min(PersonVersion.known_from)).where(PersonVersion.unit_id == unit.id)
    )
    done = set(
        session.execute(
            select(JmlTask.trigger_version_id, JmlTask.kind).where(JmlTask.unit_id == unit.id)
        ).all()
    )
    by_person: dict[int, list[PersonVersion]] = {}
    for v in versions:
        by_person.setdefault(v.person_id, []).append(v)
    made = {"joiner": 0, "mover": 0, "leaver": 0}
    for person_versions in by_person.values():
        for kind, v, reason in _transitions(person_versions, first_load):
            if (v.id, kind) in done:
                continue
            task = JmlTask(
                unit_id=unit.id,
                person_id=v.person_id,
                kind=kind,
                trigger_version_id=v.id,
                effective_on=v.valid_from,
                known_on=v.known_from,
                reason=reason,
            )
            if kind != "joiner":
                day = max(v.valid_from, v.known_from)
                for g in person_grants_in_force(session, person_id=v.person_id, day=day):
                    task.steps.append(JmlGrantStep(unit_id=unit.id, grant_id=g.id))
            if kind == "joiner" or not task.steps:
                task.status, task.completed_at = "done", utcnow()
            session.add(task)
            made[kind] += 1
    session.flush()
    return made


def complete_step(session: Session, *, step_id: int, action: str, note: str = "") -> JmlGrantStep:
    """Revoke (or deliberately keep, with a reason) one grant of a JML task."""
    step = session.get(JmlGrantStep, step_id)
    if step is None:
        raise NotFound(f"no JML step {step_id}")
    if step.action is not None:
        raise RuleViolation("this step is already done")
    grant = session.get(Grant, step.grant_id)
    assert grant is not None
    by = audit.current_actor().name
    if action == "revoke":
        if grant.status == "approved":
            revoke_grant(session, grant=grant, reason=note or "joiner/mover/leaver", by=by)
        step.action = "revoked"
    elif action == "keep":
        if not note.strip():
            raise RuleViolation("say why the grant is kept")
        step.action = "kept"
    else:
        raise RuleViolation("action must be revoke or keep")
    step.done_at, step.done_by, step.note = utcnow(), by, note
    task = session.get(JmlTask, step.task_id)
    assert task is not None
    session.flush()
    if all(s.action is not None for s in task.steps):
        task.status, task.completed_at = "done", utcnow()
    session.flush()
    return step


def open_tasks(session: Session, *, unit: Unit) -> list[JmlTask]:
    return list(
        session.scalars(
            select(JmlTask)
            .options(selectinload(JmlTask.steps))
            .where(JmlTask.unit_id == unit.id, JmlTask.status == "open")
            .order_by(JmlTask.effective_on, JmlTask.id)
        )
    )


class PriorityGroups:
    """The priority groups of a unit on any day, from records loaded once (the grant table
    is built once per instance, not once per day): make one per run or range and call
    :meth:`on` for each day. Each day uses only the facts valid then **as known then**
    (:func:`known_segments`), so records learnt later never change an earlier day."""

    def __init__(self, session: Session, unit_id: int) -> None:
        unit = session.get(Unit, unit_id)
        assert unit is not None
        self.unit = unit
        self.staff: dict[int, str] = dict(
            session.execute(
                select(Person.id, Person.staff_id).where(Person.unit_id == unit_id)
            ).all()
        )
        per_person: dict[int, list[PersonVersion]] = {}
        for v in session.scalars(select(PersonVersion).where(PersonVersion.unit_id == unit_id)):
            per_person.setdefault(v.person_id, []).append(v)
        self.segments = {pid: known_segments(vs) for pid, vs in per_person.items()}
        self.levels_of: dict[int, str] = dict(
            session.execute(
                select(Position.id, Position.level).where(Position.unit_id == unit_id)
            ).all()
        )
        self.roles = [
            (holder, role, created.date() if created else None)
            for holder, role, created in session.execute(
                select(Account.person_id, RoleAssignment.role, RoleAssignment.created_at)
                .join(RoleAssignment, RoleAssignment.account_id == Account.id)
                .where(
                    Account.person_id.is_not(None),
                    RoleAssignment.role.in_(PRIVILEGED_ROLES),
                    or_(RoleAssignment.unit_id == unit_id, RoleAssignment.unit_id.is_(None)),
                )
                .order_by(RoleAssignment.id)
            ).all()
        ]
        self.clearances = [
            (c.person_id, c.level, c.valid_from, c.valid_to, c.known_from)
            for c in session.scalars(
                select(Clearance).where(Clearance.unit_id == unit_id).order_by(Clearance.id)
            )
        ]
        item_levels = dict(
            session.execute(select(Item.id, Item.level).where(Item.unit_id == unit_id)).all()
        )
        top_rank = len(unit.classification_levels) - 1
        self.top_grants: list[dict[str, Any]] = []
        for row in grant_table(session, unit_id, expand_items=False).to_pylist():
            level = (
                item_levels.get(row["item_id"]) if row["scope"] == "item" else row["granted_level"]
            )
            if level and level_rank(unit, level) == top_rank:
                self.top_grants.append(row | {"level": level})

    def facts_on(self, day: dt.date) -> dict[int, PersonVersion]:
        """Each person's version in effect on ``day`` as known on ``day``."""
        out: dict[int, PersonVersion] = {}
        for pid, segs in self.segments.items():
            for start, end, v in segs:
                if start <= day and (end is None or day < end):
                    out[pid] = v
                    break
        return out

    def on(self, day: dt.date) -> list[dict[str, Any]]:
        """``{staff_id, person_id, group, reason}`` for everyone in a priority group on
        ``day``: ``departing`` (notice or left, or a known end date), ``privileged``
        (leadership or security-office position, an administrator job title, or an
        admin/security-officer account), ``top_level_access`` (a top-level clearance or a
        grant in force reaching the top level)."""
        out: list[dict[str, Any]] = []

        def add(pid: int, group: str, reason: str) -> None:
            out.append(
                {
                    "staff_id": self.staff.get(pid),
                    "person_id": pid,
                    "group": group,
                    "reason": reason,
                }
            )

        for pid, v in sorted(self.facts_on(day).items()):
            if (
                v.status in DEPARTING
                or (v.end_date is not None)
                or (v.notice_date is not None and v.notice_date <= day)
            ):
                add(
                    pid,
                    "departing",
                    f"status {v.status}" + (f", ends {v.end_date}" if v.end_date else ""),
                )
            level = self.levels_of.get(v.position_id or -1)
            if level in PRIVILEGED_LEVELS:
                add(pid, "privileged", f"{level} position")
            elif (v.job_title or "").casefold() in PRIVILEGED_TITLES:
                add(pid, "privileged", f"job title {v.job_title}")
        privileged = {r["person_id"] for r in out if r["group"] == "privileged"}
        for holder, role, created in self.roles:
            if created is not None and created > day:
                continue
            if holder is not None and holder in self.staff and holder not in privileged:
                add(holder, "privileged", f"{role} account")
                privileged.add(holder)
        top: dict[int, str] = {}
        for pid, level, vf, vt, kf in self.clearances:
            if (
                vf <= day
                and (vt is None or vt > day)
                and kf <= day
                and is_top_level(self.unit, level)
            ):
                top.setdefault(pid, f"{level} clearance")
        for row in self.top_grants:
            if (
                row["known_from"] <= day
                and (row["valid_from"] is None or row["valid_from"] <= day)
                and (row["valid_to"] is None or day < row["valid_to"])
            ):
                top.setdefault(row["person_id"], f"grant {row['grant_id']} at {row['level']}")
        for pid, reason in top.items():
            add(pid, "top_level_access", reason)
        return out


def priority_groups(session: Session, unit_id: int, day: dt.date) -> list[dict[str, Any]]:
    """The priority groups on one day (:meth:`PriorityGroups.on`). For many days, make one
    :class:`PriorityGroups` and call ``on`` for each: the records are then read once."""
    return PriorityGroups(session, unit_id).on(day)
