"""Queries about people: leavers whose grants, keyguard accounts or log-on accounts are still
live, movers who kept their old department's grants, and people with classified access whose
mandatory training is missing or expired. Facts are used from the day they were known."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy import select

from keyguard.controls.context import (
    USER_KEY,
    QueryContext,
    event_row,
    event_select,
    record_row,
)
from keyguard.controls.queries import Hit, Param, query
from keyguard.controls.queries.grants import (
    grant_evidence,
    grant_rank,
    grant_rows,
    grants_in_force,
    items,
    scope_text,
)
from keyguard.identity.models import Account, RoleAssignment
from keyguard.records.education.models import Campaign, TrainingAssignment
from keyguard.records.org.models import PersonVersion
from keyguard.records.personnel.models import JmlGrantStep
from keyguard.records.register.matching import user_key

DEPARTING = ("notice", "left")
ACTIVE = ("active", "notice")


@dataclass(frozen=True)
class Leaver:
    person_id: int
    left_from: dt.date  # first day gone
    known_from: dt.date


def _versions(ctx: QueryContext) -> dict[int, list[PersonVersion]]:
    """Each person's versions known by the scan day, in order."""
    if "versions" not in ctx.cache:
        out: dict[int, list[PersonVersion]] = defaultdict(list)
        for v in ctx.session.scalars(
            select(PersonVersion)
            .where(PersonVersion.unit_id == ctx.unit.id, PersonVersion.known_from <= ctx.as_of)
            .order_by(PersonVersion.person_id, PersonVersion.valid_from, PersonVersion.id)
        ):
            out[v.person_id].append(v)
        ctx.cache["versions"] = out
    found: dict[int, list[PersonVersion]] = ctx.cache["versions"]
    return found


def leavers(ctx: QueryContext) -> dict[int, Leaver]:
    """People who had left by the scan day, as known then, with their first day gone."""
    if "leavers" in ctx.cache:
        cached: dict[int, Leaver] = ctx.cache["leavers"]
        return cached
    out: dict[int, Leaver] = {}
    versions = _versions(ctx)
    for pid, person in ctx.people().items():
        vs = [v for v in versions.get(pid, []) if v.valid_from <= ctx.as_of]
        if not vs:
            if person.status == "left" and person.end_date and person.end_date < ctx.as_of:
                day = person.end_date + dt.timedelta(days=1)
                out[pid] = Leaver(pid, day, day)
            continue
        current = vs[-1]
        if current.status != "left":
            continue
        first = current
        for v in reversed(vs):
            if v.status != "left":
                break
            first = v
        left_from = first.valid_from
        if first.end_date is not None:
            left_from = min(left_from, first.end_date + dt.timedelta(days=1))
        out[pid] = Leaver(pid, left_from, first.known_from)
    ctx.cache["leavers"] = out
    return out


def _person_dept(ctx: QueryContext, pid: int) -> int | None:
    p = ctx.people().get(pid)
    return p.department_id if p else None


@query(
    "people.leaver_grants_live",
    title="Leavers whose personal grants are still in force",
    inputs=("people", "register"),
    params={"grace_days": Param("int", 0, "Days after leaving before it counts", 0)},
)
def leaver_grants(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    gone = {
        pid: lv
        for pid, lv in leavers(ctx).items()
        if lv.left_from + dt.timedelta(days=p["grace_days"]) <= ctx.as_of
    }
    live: dict[int, list[Any]] = defaultdict(list)
    for g in grants_in_force(ctx):
        if g.grantee_type == "person" and g.grantee_person_id in gone:
            live[g.grantee_person_id].append(g)
    hits = []
    for pid, grants in sorted(live.items()):
        lv = gone[pid]
        who, masked = ctx.who(pid)
        text = f" left on {lv.left_from} but {len(grants)} personal grant(s) are still in force"
        rows = [grant_evidence(ctx, g) for g in grants]
        capped, total = ctx.cap(rows)
        hits.append(
            Hit(
                key=f"person:{pid}",
                subject=who + text,
                subject_masked=masked + text,
                evidence=capped,
                evidence_total=total,
                person_id=pid,
                department_id=_person_dept(ctx, pid),
                owner={"person_id": pid, "department_id": _person_dept(ctx, pid)},
                details={"left_from": lv.left_from.isoformat()},
            )
        )
    return hits


@query(
    "people.leaver_keyguard_account",
    title="Leavers whose keyguard account is still active",
    inputs=("people",),
    params={"grace_days": Param("int", 0, "Days after leaving before it counts", 0)},
)
def leaver_accounts(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    gone = leavers(ctx)
    if not gone:
        return []
    hits = []
    for acc in ctx.session.scalars(
        select(Account)
        .where(Account.person_id.in_(list(gone)), Account.is_active.is_(True))
        .order_by(Account.id)
    ):
        assert acc.person_id is not None
        lv = gone[acc.person_id]
        if lv.left_from + dt.timedelta(days=p["grace_days"]) > ctx.as_of:
            continue
        roles = sorted(
            r.role
            for r in ctx.session.scalars(
                select(RoleAssignment).where(RoleAssignment.account_id == acc.id)
            )
        )
        who, masked = ctx.who(acc.person_id)
        text = f" left on {lv.left_from}; keyguard account {acc.id} is still active"
        hits.append(
            Hit(
                key=f"account:{acc.id}",
                subject=who + text,
                subject_masked=masked + text,
                evidence=[
                    record_row(
                        "account",
                        acc.id,
                        person=ctx.people()[acc.person_id].staff_id,
                        is_active=True,
                        roles=roles,
                        last_login_at=acc.last_login_at,
                    )
                ],
                person_id=acc.person_id,
                department_id=_person_dept(ctx, acc.person_id),
                owner={"person_id": acc.person_id},
            )
        )
    return hits


LEAVER_SCHEMA = pa.schema(
    [("k", pa.string()), ("person_id", pa.int64()), ("left_from", pa.date32())]
)


@query(
    "people.leaver_logons",
    title="Accounts of leavers that still log on or act in the logs after leaving",
    inputs=("people", "events"),
    params={
        "grace_days": Param("int", 1, "Days after leaving before activity counts", 0),
        "days": Param("int", 60, "Look at the last N days of events", 1, 3650),
        "logons_only": Param("bool", False, "Count log-ons only (else any activity)"),
    },
)
def leaver_logons(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    gone = leavers(ctx)
    if not gone:
        return []
    staff = {pid: ctx.people()[pid].staff_id for pid in gone}
    table = pa.Table.from_pylist(
        [
            {
                "k": user_key(staff[pid]),
                "person_id": pid,
                "left_from": lv.left_from + dt.timedelta(days=p["grace_days"]),
            }
            for pid, lv in gone.items()
        ],
        schema=LEAVER_SCHEMA,
    )
    ctx.con().register("kg_leavers", table)
    d0, d1 = ctx.window(p["days"])
    only = "AND category = 'logon' AND activity = 'logon'" if p["logons_only"] else ""
    rows = ctx.rows(
        f"""
        SELECT l.person_id, {event_select("e")}
        FROM events e JOIN kg_leavers l ON {USER_KEY} = l.k
        WHERE e.local_date BETWEEN $d0 AND $d1 AND e.local_date >= l.left_from {only}
        ORDER BY l.person_id, (e.category = 'logon') DESC, e.time_utc
        """,
        d0=d0,
        d1=d1,
    )
    by_person: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_person[r["person_id"]].append(r)
    hits = []
    for pid, evs in sorted(by_person.items()):
        lv = gone[pid]
        logons = sum(1 for e in evs if e["category"] == "logon" and e["activity"] == "logon")
        days = len({e["local_date"] for e in evs})
        who, masked = ctx.who(pid)
        text = (
            f" left on {lv.left_from}; their account was used afterwards: {len(evs)} event(s) "
            f"({logons} log-on(s)) on {days} day(s)"
        )
        capped, total = ctx.cap([event_row(e) for e in evs])
        hits.append(
            Hit(
                key=f"person:{pid}",
                subject=who + text,
                subject_masked=masked + text,
                evidence=capped,
                evidence_total=total,
                person_id=pid,
                department_id=_person_dept(ctx, pid),
                owner={"person_id": pid},
                details={"events": len(evs), "logons": logons, "days": days},
            )
        )
    return hits


def _subtree(ctx: QueryContext, node_id: int | None) -> set[int]:
    if node_id is None:
        return set()
    if "children" not in ctx.cache:
        kids: dict[int | None, list[int]] = defaultdict(list)
        for n in ctx.nodes().values():
            kids[n.parent_id].append(n.id)
        ctx.cache["children"] = kids
    children: dict[int | None, list[int]] = ctx.cache["children"]
    out, todo = set(), [node_id]
    while todo:
        nid = todo.pop()
        if nid not in out:
            out.add(nid)
            todo.extend(children.get(nid, []))
    return out


@query(
    "people.mover_kept_grants",
    title="Movers who kept personal grants to their old department's items",
    inputs=("people", "register"),
    params={"grace_days": Param("int", 30, "Days after the move to give the grants back", 0)},
)
def mover_kept(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    kept_on_purpose = set(
        ctx.session.scalars(
            select(JmlGrantStep.grant_id).where(
                JmlGrantStep.unit_id == ctx.unit.id, JmlGrantStep.action == "kept"
            )
        )
    )
    moves: dict[int, list[tuple[dt.date, int | None, int | None]]] = defaultdict(list)
    for pid, vs in _versions(ctx).items():
        for prev, cur in itertools.pairwise(vs):
            if cur.status in DEPARTING or prev.status in DEPARTING:
                continue
            moved = cur.department_id != prev.department_id and prev.department_id is not None
            if moved and cur.valid_from + dt.timedelta(days=p["grace_days"]) <= ctx.as_of:
                moves[pid].append((cur.valid_from, prev.department_id, cur.department_id))
    if not moves:
        return []
    gone = leavers(ctx)
    found: dict[tuple[int, dt.date], list[Any]] = defaultdict(list)
    for g in grants_in_force(ctx):
        grantee = g.grantee_person_id
        if g.grantee_type != "person" or grantee is None or grantee not in moves:
            continue
        if grantee in gone or g.scope != "item" or g.id in kept_on_purpose:
            continue
        item = items(ctx).get(g.item_id or -1)
        if item is None or item.owner_department_id is None:
            continue
        for day, old, new in reversed(moves[grantee]):
            if g.valid_from >= day:
                continue
            if item.owner_department_id in _subtree(ctx, old) and item.owner_department_id not in (
                _subtree(ctx, new)
            ):
                found[(grantee, day)].append(g)
                break
    hits = []
    for (pid, day), grants in sorted(found.items()):
        move = next(m for m in moves[pid] if m[0] == day)
        who, masked = ctx.who(pid)
        text = (
            f" moved from {ctx.node_path(move[1])} to {ctx.node_path(move[2])} on {day} and "
            f"kept {len(grants)} grant(s) to the old department's items: "
            + ", ".join(scope_text(ctx, g) for g in grants[:5])
        )
        capped, total = ctx.cap([grant_evidence(ctx, g) for g in grants])
        hits.append(
            Hit(
                key=f"person:{pid}:move:{day.isoformat()}",
                subject=who + text,
                subject_masked=masked + text,
                evidence=capped,
                evidence_total=total,
                person_id=pid,
                department_id=move[1],
                owner={"department_id": move[1], "person_id": pid},
            )
        )
    return hits


def _required_courses(ctx: QueryContext, p: dict[str, Any]) -> list[str]:
    courses = list(p["courses"])
    if p["include_campaign_courses"]:
        for urn in ctx.session.scalars(
            select(Campaign.course_urn).where(
                Campaign.unit_id == ctx.unit.id,
                Campaign.active.is_(True),
                Campaign.audience.in_(list(p["campaign_audiences"])),
            )
        ):
            if urn not in courses:
                courses.append(urn)
    return courses


@query(
    "people.classified_without_training",
    title="People with classified access whose mandatory training is missing or expired",
    inputs=("people", "register", "training"),
    params={
        "courses": Param(
            "list", ["urn:keyguard:course:classified-handling"], "Course URNs everyone needs"
        ),
        "include_campaign_courses": Param(
            "bool", True, "Also the courses of active campaigns aimed at the audiences below"
        ),
        "campaign_audiences": Param("list", ["classified-access"], "Campaign audiences"),
        "valid_days": Param("int", 365, "A completion counts this many days", 1),
        "min_rank": Param("int", 1, "Access to this level rank or above counts", 0),
        "grace_days": Param("int", 0, "Days of access allowed before training", 0),
    },
)
def without_training(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    courses = _required_courses(ctx, p)
    if not courses:
        return []
    ranks = {g.id: grant_rank(ctx, g) for g in grants_in_force(ctx)}
    access: dict[int, list[Any]] = defaultdict(list)
    started: dict[int, dt.date] = {}
    by_id = {g.id: g for g in grants_in_force(ctx)}
    for row in grant_rows(ctx, expand_items=False):
        gid, pid = row["grant_id"], row["person_id"]
        if gid not in by_id or pid is None or ranks.get(gid, -1) < p["min_rank"]:
            continue
        if row["known_from"] > ctx.as_of or (row["valid_from"] or ctx.as_of) > ctx.as_of:
            continue
        if row["valid_to"] is not None and row["valid_to"] <= ctx.as_of:
            continue
        person = ctx.people().get(pid)
        if person is None or person.status not in ACTIVE:
            continue
        access[pid].append(by_id[gid])
        began = max(row["valid_from"] or row["known_from"], row["known_from"])
        started[pid] = min(started.get(pid, began), began)
    tz = zoneinfo.ZoneInfo(ctx.unit.timezone)
    done: dict[tuple[int, str], dt.date] = {}
    ids = list(access)
    for start in range(0, len(ids), 500):
        for t in ctx.session.scalars(
            select(TrainingAssignment).where(
                TrainingAssignment.person_id.in_(ids[start : start + 500]),
                TrainingAssignment.completed_at.is_not(None),
                TrainingAssignment.course_urn.in_(courses),
            )
        ):
            assert t.completed_at is not None
            day = t.completed_at.astimezone(tz).date()
            if day > ctx.as_of:
                continue
            key = (t.person_id, t.course_urn)
            done[key] = max(done.get(key, day), day)
    hits = []
    for pid, grants in sorted(access.items()):
        if started[pid] + dt.timedelta(days=p["grace_days"]) > ctx.as_of:
            continue
        problems = []
        rows = []
        for urn in courses:
            last = done.get((pid, urn))
            if last is None:
                problems.append(f"{urn.rsplit(':', 1)[-1]} missing")
            elif (ctx.as_of - last).days > p["valid_days"]:
                problems.append(f"{urn.rsplit(':', 1)[-1]} expired (passed {last})")
            else:
                continue
            rows.append(
                record_row(
                    "training_assignment",
                    None,
                    person=ctx.people()[pid].staff_id,
                    course=urn,
                    last_passed=last,
                    valid_days=p["valid_days"],
                )
            )
        if not problems:
            continue
        who, masked = ctx.who(pid)
        text = (
            f" has classified access through {len(grants)} grant(s) but training is "
            + "; ".join(problems)
        )
        capped, total = ctx.cap(rows + [grant_evidence(ctx, g) for g in grants])
        hits.append(
            Hit(
                key=f"person:{pid}",
                subject=who + text,
                subject_masked=masked + text,
                evidence=capped,
                evidence_total=total,
                person_id=pid,
                department_id=_person_dept(ctx, pid),
                owner={"person_id": pid, "department_id": _person_dept(ctx, pid)},
            )
        )
    return hits
