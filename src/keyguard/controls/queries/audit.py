"""Queries over keyguard's own audit log: an account promoted (a role given) shortly before
it approved something, and role changes by a person who then benefits from them (roles
given to oneself, or to someone who soon approves the giver's own access)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from keyguard.audit.models import AuditEntry
from keyguard.controls.context import QueryContext
from keyguard.controls.queries import Hit, Param, query
from keyguard.identity.models import Account
from keyguard.identity.permissions import role_book
from keyguard.records.register.models import Grant

_ACTOR = re.compile(r"^account:(\d+)$")
APPROVAL_OBJECTS = ["access_grant_approval", "reident_approval", "reidentification_approval"]
APPROVE_PERMISSIONS = ("grants.approve", "reident.approve")


@dataclass(frozen=True)
class Entry:
    seq: int
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: str | None
    details: dict[str, Any]

    @property
    def actor_account(self) -> int | None:
        m = _ACTOR.match(self.actor)
        return int(m.group(1)) if m else None

    def row(self) -> dict[str, Any]:
        return {
            "source": "audit",
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "object": f"{self.object_type}:{self.object_id}",
            **{k: v for k, v in self.details.items() if k in ("role", "account_id", "decision")},
        }


def _entries(ctx: QueryContext, types: list[str], since: dt.datetime) -> list[Entry]:
    out = []
    for e in ctx.session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.unit_id == ctx.unit.id,
            AuditEntry.object_type.in_(types),
            AuditEntry.action == "create",
            AuditEntry.at >= since,
        )
        .order_by(AuditEntry.seq)
    ):
        try:
            details = json.loads(e.details)
        except ValueError:
            details = {}
        out.append(
            Entry(
                e.seq,
                e.at,
                e.actor,
                e.action,
                e.object_type,
                e.object_id,
                details if isinstance(details, dict) else {},
            )
        )
    return out


def _since(ctx: QueryContext, days: int) -> dt.datetime:
    start = ctx.as_of - dt.timedelta(days=days)
    return dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)


def _approver_roles(p: dict[str, Any]) -> set[str]:
    if p["roles"]:
        return set(p["roles"])
    book = role_book()
    return {
        name
        for name, role in book.roles.items()
        if any(perm in role.permissions for perm in APPROVE_PERMISSIONS)
    }


def _approval_account(e: Entry) -> int | None:
    value = e.details.get("account_id")
    return int(value) if isinstance(value, int) else e.actor_account


def _is_approval(e: Entry) -> bool:
    return bool(e.details.get("decision", "approve") == "approve")


def _account_label(ctx: QueryContext, account_id: int | None) -> tuple[str, str]:
    acc = ctx.session.get(Account, account_id) if account_id is not None else None
    if acc is None:
        return f"account {account_id}", f"account {account_id}"
    if acc.person_id is not None:
        who, masked = ctx.who(acc.person_id)
        return f"account {acc.id} of {who}", f"account {acc.id} of {masked}"
    return f"account {acc.id} ({acc.email})", f"account {acc.id}"


@query(
    "audit.promoted_then_approved",
    title="Accounts given an approving role shortly before they approved something",
    inputs=("audit",),
    params={
        "within_days": Param("int", 14, "Days between the role and the approval", 1),
        "lookback_days": Param("int", 365, "Audit entries of the last N days", 1),
        "roles": Param("list", [], "Roles that count (empty: every role that may approve)"),
        "approval_objects": Param("list", APPROVAL_OBJECTS, "Audited objects that approve"),
    },
)
def promoted_then_approved(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    since = _since(ctx, p["lookback_days"] + p["within_days"])
    roles = _approver_roles(p)
    promoted: dict[int, list[Entry]] = defaultdict(list)
    for e in _entries(ctx, ["role_assignment"], since):
        if e.details.get("role") in roles and isinstance(e.details.get("account_id"), int):
            promoted[e.details["account_id"]].append(e)
    hits = []
    window = dt.timedelta(days=p["within_days"])
    for a in _entries(ctx, list(p["approval_objects"]), _since(ctx, p["lookback_days"])):
        account = _approval_account(a)
        if account is None or not _is_approval(a):
            continue
        before = [r for r in promoted.get(account, []) if r.at <= a.at and a.at - r.at <= window]
        if not before:
            continue
        r = before[-1]
        who, masked = _account_label(ctx, account)
        hours = (a.at - r.at).total_seconds() / 3600
        text = (
            f" was given role {r.details.get('role')} by {r.actor} and approved "
            f"{a.object_type}:{a.object_id} {hours:.0f} hour(s) later"
        )
        hits.append(
            Hit(
                key=f"audit:{a.seq}",
                subject=who.capitalize() + text,
                subject_masked=masked.capitalize() + text,
                evidence=[r.row(), a.row()],
                details={"role_seq": r.seq, "approval_seq": a.seq, "hours": round(hours, 1)},
            )
        )
    return hits


def _people_of(ctx: QueryContext, *account_ids: int | None) -> set[int]:
    ids = [a for a in account_ids if a is not None]
    if not ids:
        return set()
    return {
        pid
        for pid in ctx.session.scalars(select(Account.person_id).where(Account.id.in_(ids)))
        if pid is not None
    }


@query(
    "audit.role_change_self_benefit",
    title="Role changes by a person who then benefits from them",
    inputs=("audit",),
    params={
        "within_days": Param("int", 30, "Days in which the benefit must follow", 1),
        "lookback_days": Param("int", 365, "Audit entries of the last N days", 1),
        "approval_objects": Param("list", APPROVAL_OBJECTS, "Audited objects that approve"),
    },
)
def self_benefit(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    since = _since(ctx, p["lookback_days"])
    changes = _entries(ctx, ["role_assignment"], since)
    approvals = [
        a
        for a in _entries(ctx, list(p["approval_objects"]), since)
        if _is_approval(a) and _approval_account(a) is not None
    ]
    window = dt.timedelta(days=p["within_days"])
    hits = []
    for c in changes:
        target = c.details.get("account_id")
        giver = c.actor_account
        if not isinstance(target, int):
            continue
        giver_people = _people_of(ctx, giver, c.details.get("granted_by_id"))
        target_people = _people_of(ctx, target)
        rows = [c.row()]
        why = ""
        if giver == target or (giver_people & target_people):
            why = "gave a role to their own account"
        else:
            for a in approvals:
                if _approval_account(a) != target or not (c.at <= a.at <= c.at + window):
                    continue
                grant = _approved_grant(ctx, a)
                if grant is None:
                    continue
                beneficiaries = {grant.grantee_person_id, grant.requested_by_person_id}
                if giver_people & beneficiaries:
                    rows += [
                        a.row(),
                        {
                            "source": "record",
                            "table": "access_grant",
                            "id": grant.id,
                            "status": grant.status,
                        },
                    ]
                    why = (
                        f"gave a role to account {target}, which then approved grant "
                        f"#{grant.id} for the giver"
                    )
                    break
        if not why:
            continue
        who, masked = _account_label(ctx, giver)
        role = c.details.get("role")
        text = f" {why} (role {role}, audit entry {c.seq})"
        hits.append(
            Hit(
                key=f"audit:{c.seq}",
                subject=(who if giver is not None else c.actor).capitalize() + text,
                subject_masked=(masked if giver is not None else c.actor).capitalize() + text,
                evidence=rows,
                person_id=next(iter(sorted(giver_people)), None),
                details={"role_seq": c.seq},
            )
        )
    return hits


def _approved_grant(ctx: QueryContext, a: Entry) -> Grant | None:
    gid = a.details.get("grant_id")
    if not isinstance(gid, int):
        return None
    grant = ctx.session.get(Grant, gid)
    return grant if grant is not None and grant.unit_id == ctx.unit.id else None
