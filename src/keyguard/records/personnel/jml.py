"""Joiner/mover/leaver steps derived from person versions, and the priority groups
(departing, privileged, top-level access) the analytics use from the day they are known.

A person's first version after the unit's initial load makes a **joiner** task: enrol in
the training for new staff, sign the responsibility statement of the position, and request
the access the position needs (the person grants that others in the same position hold).
A version whose department changes makes a **mover** task: the person's own grants on the
old department's items (and their compartment or level grants) are listed for revocation;
group grants of the old department end by themselves with the membership. A version whose
status becomes ``notice`` or ``left`` makes a **leaver** task: every person grant in force
and every active keyguard account of the person are listed for revocation.

Each step is tracked to completion: a grant step is revoked or deliberately kept (with a
reason); training, statement and access steps are found done from the records
(:func:`refresh_tasks`: an assignment exists, a statement is signed, a grant for that scope
is requested) or marked not needed with a reason; an account step is done when the account
is disabled. A task is done when every step is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from keyguard import audit
from keyguard.config import utcnow
from keyguard.errors import NotFound, PermissionDenied, RuleViolation
from keyguard.identity.models import Account, RoleAssignment
from keyguard.records.org.models import OrgNode, Person, PersonVersion, Position, Unit
from keyguard.records.personnel.models import (
    JML_STEP_KINDS,
    Clearance,
    JmlGrantStep,
    JmlStep,
    JmlTask,
)
from keyguard.records.register.common import (
    is_top_level,
    known_segments,
    level_rank,
    local_today,
)
from keyguard.records.register.grants import grant_table, in_force, revoke_grant
from keyguard.records.register.models import Grant, Item

DEPARTING = ("notice", "left")
PRIVILEGED_LEVELS = ("leadership", "security_office")
PRIVILEGED_ROLES = ("admin", "security_officer")
#: Job titles that mean privileged system access (CERT role names and plain words).
PRIVILEGED_TITLES = ("itadmin", "it admin", "system administrator", "administrator")
#: Grant statuses that count as "access requested" for a joiner's access step.
REQUESTED = ("requested", "approved")


def _transitions(
    versions: list[PersonVersion], first_load: dt.date | None
) -> list[tuple[str, PersonVersion, PersonVersion | None, str]]:
    out: list[tuple[str, PersonVersion, PersonVersion | None, str]] = []
    prev: PersonVersion | None = None
    for v in versions:
        if prev is None:
            if first_load is not None and v.valid_from > first_load:
                out.append(("joiner", v, None, "joined"))
        else:
            if v.status in DEPARTING and prev.status not in DEPARTING:
                out.append(("leaver", v, prev, f"status {prev.status} → {v.status}"))
            elif v.status not in DEPARTING and v.department_id != prev.department_id:
                out.append(("mover", v, prev, "department changed"))
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


def _subtree(session: Session, unit_id: int, node_id: int | None) -> set[int]:
    if node_id is None:
        return set()
    children: dict[int | None, list[int]] = {}
    for nid, parent in session.execute(
        select(OrgNode.id, OrgNode.parent_id).where(OrgNode.unit_id == unit_id)
    ):
        children.setdefault(parent, []).append(nid)
    out, todo = set(), [node_id]
    while todo:
        n = todo.pop()
        if n not in out:
            out.add(n)
            todo.extend(children.get(n, []))
    return out


def _mover_grants(
    session: Session, v: PersonVersion, prev: PersonVersion, day: dt.date
) -> list[Grant]:
    """The mover's own grants tied to the old department: item grants on items the old
    department owns (or no department does), and compartment or level grants (they came
    with the old work). Grants on another department's items stay off the list."""
    old = _subtree(session, v.unit_id, prev.department_id)
    out = []
    for g in person_grants_in_force(session, person_id=v.person_id, day=day):
        if g.scope != "item":
            out.append(g)
            continue
        item = session.get(Item, g.item_id) if g.item_id else None
        if item is not None and (
            item.owner_department_id is None or item.owner_department_id in old
        ):
            out.append(g)
    return out


def _scope_key(g: Grant) -> str:
    if g.scope == "item":
        return f"item:{g.item_id}"
    if g.scope == "compartment":
        return f"compartment:{(g.compartment or '').casefold()}"
    return f"level:{g.level}"


def _scope_label(session: Session, key: str) -> str:
    kind, _, value = key.partition(":")
    if kind == "item":
        item = session.get(Item, int(value))
        return f"{item.reference} — {item.title}" if item else key
    return f"{kind} {value}"


def _position_access(session: Session, v: PersonVersion, day: dt.date) -> list[str]:
    """Scopes of the person grants in force that others in the joiner's position hold."""
    if v.position_id is None:
        return []
    peers = {
        pv.person_id
        for pv in session.scalars(
            select(PersonVersion).where(
                PersonVersion.position_id == v.position_id,
                PersonVersion.person_id != v.person_id,
                PersonVersion.status.not_in(DEPARTING),
                PersonVersion.valid_from <= day,
                PersonVersion.known_from <= day,
                or_(PersonVersion.valid_to.is_(None), PersonVersion.valid_to > day),
            )
        )
    }
    if not peers:
        return []
    grants = session.scalars(
        in_force(
            select(Grant).where(Grant.grantee_person_id.in_(peers), Grant.status == "approved"),
            day,
        )
    )
    return sorted({_scope_key(g) for g in grants})


def _joiner_steps(session: Session, unit: Unit, v: PersonVersion) -> list[JmlStep]:
    day = max(v.valid_from, v.known_from)
    steps = [
        JmlStep(unit_id=unit.id, kind="training", subject="person", label=""),
        JmlStep(unit_id=unit.id, kind="statement", subject="person", label=""),
    ]
    for key in _position_access(session, v, day):
        steps.append(
            JmlStep(
                unit_id=unit.id,
                kind="request_grant",
                subject=key,
                label=_scope_label(session, key),
            )
        )
    return steps


def _leaver_accounts(session: Session, unit: Unit, person_id: int) -> list[JmlStep]:
    return [
        JmlStep(unit_id=unit.id, kind="account", subject=f"account:{a.id}", label=a.email)
        for a in session.scalars(
            select(Account)
            .where(Account.person_id == person_id, Account.is_active.is_(True))
            .order_by(Account.id)
        )
    ]


def create_tasks(session: Session, *, unit: Unit) -> dict[str, int]:
    """Create the JML tasks of person versions that have none yet (idempotent), then
    :func:`refresh_tasks`."""
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
        for kind, v, prev, reason in _transitions(person_versions, first_load):
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
            day = max(v.valid_from, v.known_from)
            if kind == "joiner":
                task.actions.extend(_joiner_steps(session, unit, v))
            elif kind == "mover":
                assert prev is not None
                for g in _mover_grants(session, v, prev, day):
                    task.steps.append(JmlGrantStep(unit_id=unit.id, grant_id=g.id))
            else:
                for g in person_grants_in_force(session, person_id=v.person_id, day=day):
                    task.steps.append(JmlGrantStep(unit_id=unit.id, grant_id=g.id))
                task.actions.extend(_leaver_accounts(session, unit, v.person_id))
            if not task.steps and not task.actions:
                task.status, task.completed_at = "done", utcnow()
            session.add(task)
            made[kind] += 1
    session.flush()
    refresh_tasks(session, unit=unit)
    return made


def _step_done_by_records(session: Session, task: JmlTask, step: JmlStep) -> bool:
    from keyguard.records.duties.models import ResponsibilityStatement
    from keyguard.records.education.models import TrainingAssignment

    pid = task.person_id
    if step.kind == "training":
        return (
            session.scalar(
                select(func.count())
                .select_from(TrainingAssignment)
                .where(TrainingAssignment.person_id == pid)
            )
            or 0
        ) > 0
    if step.kind == "statement":
        return (
            session.scalar(
                select(func.count())
                .select_from(ResponsibilityStatement)
                .where(ResponsibilityStatement.person_id == pid)
            )
            or 0
        ) > 0
    if step.kind == "request_grant":
        mine = session.scalars(
            select(Grant).where(Grant.grantee_person_id == pid, Grant.status.in_(REQUESTED))
        )
        return any(_scope_key(g) == step.subject for g in mine)
    if step.kind == "account":
        account = session.get(Account, int(step.subject.partition(":")[2]))
        return account is None or not account.is_active
    return False


def _close_if_complete(task: JmlTask) -> None:
    if all(s.action is not None for s in task.steps) and all(
        a.outcome is not None for a in task.actions
    ):
        task.status, task.completed_at = "done", task.completed_at or utcnow()


def refresh_tasks(session: Session, *, unit: Unit) -> int:
    """Mark the open steps the records show done (training assigned, statement signed,
    access requested, account disabled) and close complete tasks; returns steps marked."""
    marked = 0
    for task in open_tasks(session, unit=unit):
        for step in task.actions:
            if step.outcome is None and _step_done_by_records(session, task, step):
                step.outcome = "disabled" if step.kind == "account" else "done"
                step.done_at, step.done_by = utcnow(), "keyguard (from the records)"
                marked += 1
        _close_if_complete(task)
    session.flush()
    return marked


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
    _close_if_complete(task)
    session.flush()
    return step


#: What may be done by hand with each kind of step.
STEP_ACTIONS = {
    "training": ("enrol", "not_needed"),
    "statement": ("not_needed",),
    "request_grant": ("not_needed",),
    "account": ("disable", "keep"),
}


def complete_action(
    session: Session, *, step_id: int, action: str, note: str = "", by: Account | None = None
) -> JmlStep:
    """Act on a joiner or leaver step: ``enrol`` (training: enrol in the active campaigns
    aimed at the person), ``disable`` (account), ``not_needed`` / ``keep`` (with a reason).
    Statement and access steps are otherwise done by the person signing or requesting."""
    from keyguard.identity.service import set_active
    from keyguard.records.education.campaigns import enrol, list_campaigns

    step = session.get(JmlStep, step_id)
    if step is None:
        raise NotFound(f"no JML step {step_id}")
    if step.outcome is not None:
        raise RuleViolation("this step is already done")
    if action not in STEP_ACTIONS.get(step.kind, ()):
        allowed = " or ".join(STEP_ACTIONS.get(step.kind, ()))
        raise RuleViolation(f"a {step.kind} step is done by: {allowed or 'the records'}")
    task = session.get(JmlTask, step.task_id)
    assert task is not None
    unit = session.get(Unit, task.unit_id)
    assert unit is not None
    actor = audit.current_actor().name
    if action in ("not_needed", "keep"):
        if not note.strip():
            raise RuleViolation("say why")
        step.outcome = "not_needed" if action == "not_needed" else "kept"
    elif action == "enrol":
        today = local_today(unit)
        for campaign in list_campaigns(session, unit_id=unit.id):
            enrol(session, campaign, today)
        if not _step_done_by_records(session, task, step):
            raise RuleViolation(
                "no active campaign is aimed at this person: start a campaign for new staff "
                "or assign a course"
            )
        step.outcome = "done"
    else:  # disable
        account = session.get(Account, int(step.subject.partition(":")[2]))
        if account is not None and account.is_active:
            if by is None:
                raise PermissionDenied("disabling an account needs the acting account")
            set_active(session, account=account, by=by, active=False)
        step.outcome = "disabled"
    step.done_at, step.done_by, step.note = utcnow(), actor, note.strip()
    session.flush()
    _close_if_complete(task)
    session.flush()
    return step


def step_label(kind: str) -> str:
    return JML_STEP_KINDS.get(kind, kind)


def open_tasks(session: Session, *, unit: Unit) -> list[JmlTask]:
    return list(
        session.scalars(
            select(JmlTask)
            .options(selectinload(JmlTask.steps), selectinload(JmlTask.actions))
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
