"""Need-to-know grants: request, approval (two different people at the top level, never
one's own request), refusal, revocation, the ``need_to_know`` answer for one person, item
and day, and ``grant_table`` — every grant resolved to staff ids per day range — for the
analytics.

A grant counts on day ``d`` when it was approved (or later revoked), ``valid_from <= d <
valid_to`` and ``known_from <= d``; group grants resolve through the person's facts valid
and known on ``d`` (``PersonVersion``). Scopes: an item; a compartment (its items); a level
(items at that level or below, by the item's level on ``d``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from keyguard.config import utcnow
from keyguard.errors import NotFound, PermissionDenied, RuleViolation
from keyguard.identity.models import Account
from keyguard.identity.permissions import can
from keyguard.identity.service import may_be_second_person, principal_for
from keyguard.records.org.models import OrgNode, Person, PersonVersion, Position, Unit
from keyguard.records.register.common import (
    ancestors,
    canonical_level,
    facts_on,
    gone_on,
    is_top_level,
    level_rank,
    local_today,
    member_segments,
    position_title,
)
from keyguard.records.register.models import (
    GRANT_SCOPES,
    GRANTED_STATUSES,
    GRANTEE_TYPES,
    Grant,
    GrantApproval,
    Item,
)
from keyguard.records.register.service import level_on, level_periods


@dataclass(frozen=True)
class Grantee:
    """Who a grant is for: a person, an org-tree node (team/department) or a position title."""

    type: str
    person: Person | None = None
    node: OrgNode | None = None
    title: str | None = None


@dataclass(frozen=True)
class Scope:
    """What a grant covers: an item, a compartment or a level (and below)."""

    kind: str
    item: Item | None = None
    compartment: str | None = None
    level: str | None = None


def _check_grantee(g: Grantee) -> None:
    if g.type not in GRANTEE_TYPES:
        raise RuleViolation(f"grantee type must be one of {', '.join(GRANTEE_TYPES)}")
    if g.type == "person" and g.person is None:
        raise RuleViolation("a person grant needs a person")
    if g.type in ("team", "department") and g.node is None:
        raise RuleViolation(f"a {g.type} grant needs an org-tree node")
    if g.type == "position" and not (g.title or "").strip():
        raise RuleViolation("a position grant needs a position title")


def approvals_required(session: Session, unit: Unit, scope: Scope) -> int:
    """Two approvals when the scope reaches the unit's top level, else one."""
    if scope.kind == "item" and scope.item is not None:
        top = is_top_level(unit, scope.item.level)
    elif scope.kind == "level" and scope.level:
        top = is_top_level(unit, scope.level)
    else:
        top_level = unit.classification_levels[-1]
        top = bool(
            session.scalar(
                select(Item.id).where(
                    Item.unit_id == unit.id,
                    Item.level == top_level,
                    func.lower(Item.compartment) == (scope.compartment or "").strip().lower(),
                )
            )
        )
    return 2 if top else 1


def new_grant(
    session: Session,
    *,
    unit: Unit,
    grantee: Grantee,
    scope: Scope,
    purpose: str,
    start: dt.date,
    end: dt.date | None,
    status: str,
    known_from: dt.date,
    source: str,
    requester: Account | None = None,
) -> Grant:
    """Build and add a grant (no permission checks: callers check). ``end`` is the last day."""
    _check_grantee(grantee)
    if scope.kind not in GRANT_SCOPES:
        raise RuleViolation(f"scope must be one of {', '.join(GRANT_SCOPES)}")
    if not purpose.strip():
        raise RuleViolation("a grant needs a purpose")
    if end is not None and end < start:
        raise RuleViolation(f"the end ({end}) is before the start ({start})")
    if scope.kind == "item":
        if scope.item is None:
            raise RuleViolation("an item grant needs an item")
        if scope.item.status == "destroyed":
            raise RuleViolation(f"{scope.item.reference} is destroyed")
    if scope.kind == "compartment" and not (scope.compartment or "").strip():
        raise RuleViolation("a compartment grant needs a compartment")
    g = Grant(
        unit_id=unit.id,
        grantee_type=grantee.type,
        grantee_person_id=grantee.person.id if grantee.person else None,
        grantee_node_id=grantee.node.id if grantee.node else None,
        grantee_title=(grantee.title or "").strip() or None,
        scope=scope.kind,
        item_id=scope.item.id if scope.item else None,
        compartment=(scope.compartment or "").strip() or None,
        level=canonical_level(unit, scope.level) if scope.level else None,
        purpose=purpose.strip(),
        status=status,
        approvals_required=approvals_required(session, unit, scope),
        requested_by_account_id=requester.id if requester else None,
        requested_by_person_id=requester.person_id if requester else None,
        requested_at=utcnow(),
        valid_from=start,
        valid_to=end + dt.timedelta(days=1) if end else None,
        known_from=known_from,
        source=source,
    )
    session.add(g)
    session.flush()
    return g


def request_grant(
    session: Session,
    *,
    unit: Unit,
    requester: Account,
    grantee: Grantee,
    scope: Scope,
    purpose: str,
    start: dt.date,
    end: dt.date | None,
) -> Grant:
    """Ask for access; asking for someone else (or a group) needs ``grants.manage``."""
    principal = principal_for(session, requester)
    if not can(principal, "grants.request", unit.id):
        raise PermissionDenied("you may not request access in this unit")
    for_self = (
        grantee.type == "person"
        and grantee.person is not None
        and (grantee.person.id == requester.person_id)
    )
    if not for_self and not can(principal, "grants.manage", unit.id):
        raise PermissionDenied("you may request access for yourself only")
    if end is not None and end < local_today(unit):
        raise RuleViolation("the requested period has already ended")
    return new_grant(
        session,
        unit=unit,
        grantee=grantee,
        scope=scope,
        purpose=purpose,
        start=start,
        end=end,
        status="requested",
        known_from=local_today(unit),
        source="web",
        requester=requester,
    )


def _accounts_of(session: Session, person_id: int | None) -> list[Account]:
    if person_id is None:
        return []
    return list(session.scalars(select(Account).where(Account.person_id == person_id)))


def check_approver(session: Session, *, grant: Grant, approver: Account) -> None:
    """Raise unless ``approver`` may decide on ``grant``: holds ``grants.approve`` in the unit,
    is not the requester or the grantee (people, not accounts: :func:`may_be_second_person`),
    and is another person than every earlier approver."""
    if not can(principal_for(session, approver), "grants.approve", grant.unit_id):
        raise PermissionDenied("you may not approve access in this unit")
    if grant.status != "requested":
        raise RuleViolation(f"this grant is {grant.status}, not awaiting a decision")
    requester = session.get(Account, grant.requested_by_account_id or -1)
    if requester is not None:
        why = may_be_second_person(session, requester=requester, approver=approver)
        if why:
            raise RuleViolation(f"you may not decide on this request: {why}")
    if approver.person_id is not None and approver.person_id in (
        grant.requested_by_person_id,
        grant.grantee_person_id,
    ):
        raise RuleViolation("nobody approves their own request or their own access")
    for earlier in grant.approvals:
        if earlier.person_id is not None and earlier.person_id == approver.person_id:
            raise RuleViolation("you have already approved this request")
        first = session.get(Account, earlier.account_id or -1)
        if first is not None:
            why = may_be_second_person(session, requester=first, approver=approver)
            if why:
                raise RuleViolation(f"the second approval must come from another person: {why}")


def approve_grant(session: Session, *, grant: Grant, approver: Account, note: str = "") -> Grant:
    """Add an approval; the grant is in force (known) from the day the last one is given."""
    check_approver(session, grant=grant, approver=approver)
    unit = session.get(Unit, grant.unit_id)
    assert unit is not None
    today = local_today(unit)
    if grant.valid_to is not None and grant.valid_to <= today:
        raise RuleViolation("the requested period has already ended (an expired grant)")
    grant.approvals.append(
        GrantApproval(
            unit_id=grant.unit_id,
            person_id=approver.person_id,
            account_id=approver.id,
            decision="approve",
            decided_at=utcnow(),
            note=note,
        )
    )
    if sum(a.decision == "approve" for a in grant.approvals) >= grant.approvals_required:
        grant.status = "approved"
        grant.decided_at = utcnow()
        grant.known_from = today
        grant.decision_note = note
    session.flush()
    return grant


def refuse_grant(session: Session, *, grant: Grant, approver: Account, note: str) -> Grant:
    """Refuse a request (one refusal ends it)."""
    check_approver(session, grant=grant, approver=approver)
    if not note.strip():
        raise RuleViolation("say why the request is refused")
    grant.approvals.append(
        GrantApproval(
            unit_id=grant.unit_id,
            person_id=approver.person_id,
            account_id=approver.id,
            decision="refuse",
            decided_at=utcnow(),
            note=note,
        )
    )
    grant.status, grant.decided_at, grant.decision_note = "refused", utcnow(), note
    session.flush()
    return grant


def revoke_grant(
    session: Session,
    *,
    grant: Grant,
    reason: str,
    by: str,
    on_day: dt.date | None = None,
) -> Grant:
    """End a grant from ``on_day`` (default today; never earlier than today)."""
    if grant.status != "approved":
        raise RuleViolation(f"this grant is {grant.status}; only approved grants are revoked")
    if not reason.strip():
        raise RuleViolation("say why the grant is revoked")
    unit = session.get(Unit, grant.unit_id)
    assert unit is not None
    day = max(on_day or local_today(unit), local_today(unit), grant.valid_from)
    if grant.valid_to is None or day < grant.valid_to:
        grant.valid_to = day
    grant.status, grant.revoked_at, grant.revoked_by = "revoked", utcnow(), by
    grant.revoke_reason = reason.strip()
    session.flush()
    return grant


def get_grant(session: Session, *, unit_id: int, grant_id: int) -> Grant:
    g = session.scalar(
        select(Grant)
        .options(selectinload(Grant.approvals))
        .where(Grant.id == grant_id, Grant.unit_id == unit_id)
    )
    if g is None:
        raise NotFound(f"no grant {grant_id}")
    return g


def in_force(q: Any, day: dt.date) -> Any:
    """Restrict a grant query to grants counting on ``day`` (approved, valid and known)."""
    return q.where(
        Grant.status.in_(GRANTED_STATUSES),
        Grant.valid_from <= day,
        or_(Grant.valid_to.is_(None), Grant.valid_to > day),
        Grant.known_from <= day,
    )


def _grantee_matches(
    session: Session, g: Grant, person: Person, facts: PersonVersion | None, day: dt.date
) -> bool:
    if g.grantee_type == "person":
        return g.grantee_person_id == person.id
    if facts is None or gone_on(facts, day):
        return False  # a person who has left is a member of nothing
    if g.grantee_type in ("team", "department"):
        above = set(ancestors(session, facts.team_id)) | set(
            ancestors(session, facts.department_id)
        )
        return g.grantee_node_id in above
    title = (g.grantee_title or "").casefold()
    return title in {
        (position_title(session, facts) or "").casefold(),
        (facts.job_title or "").casefold(),
    }


def _scope_covers(unit: Unit, g: Grant, item: Item, level: str) -> bool:
    if g.scope == "item":
        return g.item_id == item.id
    if g.scope == "compartment":
        return (
            bool(item.compartment)
            and (g.compartment or "").casefold() == (item.compartment or "").casefold()
        )
    return g.level is not None and level_rank(unit, level) <= level_rank(unit, g.level)


@dataclass(frozen=True)
class NeedToKnow:
    """The answer for one person, item and day, with the grants that give the access."""

    allowed: bool
    grant_ids: list[int] = field(default_factory=list)
    level: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def need_to_know(session: Session, person: Person, item: Item, day: dt.date) -> NeedToKnow:
    """Whether ``person`` had a need-to-know grant for ``item`` on ``day``, using only grants
    and person facts valid on that day and known by then (no look-ahead)."""
    unit = session.get(Unit, item.unit_id)
    assert unit is not None
    level = level_on(session, item=item, day=day)
    facts = facts_on(session, person.id, day)
    q = in_force(select(Grant).where(Grant.unit_id == item.unit_id), day)
    ids = [
        g.id
        for g in session.scalars(q.order_by(Grant.id))
        if _scope_covers(unit, g, item, level) and _grantee_matches(session, g, person, facts, day)
    ]
    return NeedToKnow(bool(ids), ids, level)


def grantee_label(session: Session, g: Grant) -> str:
    """A readable grantee: staff id, node path or position title."""
    if g.grantee_type == "person":
        return (
            session.scalar(select(Person.staff_id).where(Person.id == g.grantee_person_id)) or "?"
        )
    if g.grantee_type in ("team", "department"):
        return session.scalar(select(OrgNode.path).where(OrgNode.id == g.grantee_node_id)) or "?"
    return g.grantee_title or "?"


def _subtrees(session: Session, unit_id: int) -> dict[int, set[int]]:
    """For every node, itself and every node below it."""
    parents = dict(
        session.execute(
            select(OrgNode.id, OrgNode.parent_id).where(OrgNode.unit_id == unit_id)
        ).all()
    )
    out: dict[int, set[int]] = {n: {n} for n in parents}
    for node in parents:
        seen, up = {node}, parents.get(node)
        while up is not None and up not in seen:
            out.setdefault(up, {up}).add(node)
            seen.add(up)
            up = parents.get(up)
    return out


def _overlap(a: dt.date | None, b: dt.date | None, *, later: bool) -> dt.date | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b) if later else min(a, b)


GRANT_TABLE_SCHEMA = pa.schema(
    [
        ("grant_id", pa.int64()),
        ("grantee_type", pa.string()),
        ("person_id", pa.int64()),
        ("staff_id", pa.string()),
        ("scope", pa.string()),
        ("item_id", pa.int64()),
        ("reference", pa.string()),
        ("compartment", pa.string()),
        ("granted_level", pa.string()),
        ("valid_from", pa.date32()),
        ("valid_to", pa.date32()),
        ("known_from", pa.date32()),
        ("status", pa.string()),
        ("approvals", pa.int32()),
        ("approvals_required", pa.int32()),
    ]
)


def grant_table(session: Session, unit_id: int, *, expand_items: bool = True) -> pa.Table:
    """Every approved (or since revoked) grant resolved to person staff ids per day range:
    ``[valid_from, valid_to)`` is where the grant, the person's membership and (with
    ``expand_items``) the item's level all hold; ``known_from`` the day all were known.
    A row counts for an access on day ``d`` when ``valid_from <= d < valid_to`` (null
    ``valid_to``: open) and ``known_from <= d``. Without ``expand_items`` compartment and
    level grants keep a null ``item_id``."""
    unit = session.get(Unit, unit_id)
    assert unit is not None
    grants = list(
        session.scalars(
            select(Grant)
            .options(selectinload(Grant.approvals))
            .where(Grant.unit_id == unit_id, Grant.status.in_(GRANTED_STATUSES))
        )
    )
    staff = dict(
        session.execute(select(Person.id, Person.staff_id).where(Person.unit_id == unit_id)).all()
    )
    titles = dict(
        session.execute(
            select(Position.id, Position.title).where(Position.unit_id == unit_id)
        ).all()
    )
    versions = list(session.scalars(select(PersonVersion).where(PersonVersion.unit_id == unit_id)))
    subtree = _subtrees(session, unit_id)
    index = _VersionIndex(versions, titles)
    items = {i.id: i for i in session.scalars(select(Item).where(Item.unit_id == unit_id))}
    periods: dict[int, list[Any]] = {}
    for p in level_periods(session, unit_id=unit_id):
        periods.setdefault(p.item_id, []).append(p)
    rows: list[dict[str, Any]] = []
    for g in grants:
        if g.valid_to is not None and g.valid_to <= g.valid_from:
            continue
        for pid, vf, vt, kf in _members(g, index, subtree):
            lo, hi = _overlap(g.valid_from, vf, later=True), _overlap(g.valid_to, vt, later=False)
            if lo is not None and hi is not None and hi <= lo:
                continue
            base = {
                "grant_id": g.id,
                "grantee_type": g.grantee_type,
                "person_id": pid,
                "staff_id": staff.get(pid),
                "scope": g.scope,
                "compartment": g.compartment,
                "granted_level": g.level,
                "known_from": max(g.known_from, kf),
                "status": g.status,
                "approvals": sum(a.decision == "approve" for a in g.approvals),
                "approvals_required": g.approvals_required,
            }
            if not expand_items:
                rows.append(
                    {
                        **base,
                        "item_id": g.item_id,
                        "reference": None,
                        "valid_from": lo,
                        "valid_to": hi,
                    }
                )
                continue
            for item_id, plo, phi in _covered(unit, g, items, periods):
                a, b = _overlap(lo, plo, later=True), _overlap(hi, phi, later=False)
                if a is not None and b is not None and b <= a:
                    continue
                rows.append(
                    {
                        **base,
                        "item_id": item_id,
                        "reference": items[item_id].reference,
                        "valid_from": a,
                        "valid_to": b,
                    }
                )
    return pa.Table.from_pylist(rows, schema=GRANT_TABLE_SCHEMA)


class _VersionIndex:
    """Membership pieces by org-tree node (team or department) and by position/job title,
    from each person's facts as known on each day (:func:`member_segments`: nothing from
    the leaving day on). A piece is ``(person, valid_from, end, known_from)``: it counts on
    the days ``known_from <= d < end``; ``valid_from`` is where its facts start."""

    def __init__(self, versions: list[PersonVersion], titles: dict[int, str]) -> None:
        self.by_node: dict[int, list[_Piece]] = {}
        self.by_title: dict[str, list[_Piece]] = {}
        per_person: dict[int, list[PersonVersion]] = {}
        for v in versions:
            per_person.setdefault(v.person_id, []).append(v)
        for pid, vs in per_person.items():
            seen: set[int] = set()
            for start, end, v in member_segments(vs):
                # the first piece of a version states when its facts start
                piece = (pid, start if v.id in seen else v.valid_from, end, start)
                seen.add(v.id)
                for node in {v.team_id, v.department_id} - {None}:
                    self.by_node.setdefault(node, []).append(piece)  # type: ignore[arg-type]
                for title in {titles.get(v.position_id or -1, ""), v.job_title or ""} - {""}:
                    self.by_title.setdefault(title.casefold(), []).append(piece)


_Piece = tuple[int, dt.date, dt.date | None, dt.date]


def _merged(pieces: Iterable[_Piece]) -> Iterable[_Piece]:
    """Per person, pieces that overlap or touch (on the days they count) joined into one."""
    by_person: dict[int, list[tuple[dt.date, dt.date | None, dt.date]]] = {}
    for pid, valid_from, end, known in pieces:
        by_person.setdefault(pid, []).append((known, end, valid_from))
    for pid in sorted(by_person):
        spans = sorted(set(by_person[pid]), key=lambda s: (s[0], s[2]))
        cur_known, cur_end, cur_from = spans[0]
        for known, end, valid_from in spans[1:]:
            if cur_end is None or known <= cur_end:
                if cur_end is not None and (end is None or end > cur_end):
                    cur_end = end
                continue
            yield pid, cur_from, cur_end, cur_known
            cur_known, cur_end, cur_from = known, end, valid_from
        yield pid, cur_from, cur_end, cur_known


def _members(
    g: Grant,
    index: _VersionIndex,
    subtree: dict[int, set[int]],
) -> Iterable[tuple[int, dt.date | None, dt.date | None, dt.date]]:
    if g.grantee_type == "person":
        if g.grantee_person_id is not None:
            yield g.grantee_person_id, None, None, g.known_from
        return
    if g.grantee_type in ("team", "department"):
        pieces = [
            p for n in subtree.get(g.grantee_node_id or -1, set()) for p in index.by_node.get(n, [])
        ]
    else:
        pieces = index.by_title.get((g.grantee_title or "").casefold(), [])
    yield from _merged(pieces)


def _covered(
    unit: Unit,
    g: Grant,
    items: dict[int, Item],
    periods: dict[int, list[Any]],
) -> Iterable[tuple[int, dt.date | None, dt.date | None]]:
    if g.scope == "item":
        if g.item_id in items:
            yield g.item_id, None, None
        return
    for item in items.values():
        if g.scope == "compartment":
            if item.compartment and item.compartment.casefold() == (g.compartment or "").casefold():
                yield item.id, None, None
            continue
        top = level_rank(unit, g.level or "")
        for p in periods.get(item.id, []):
            if level_rank(unit, p.level) <= top:
                yield item.id, p.valid_from, p.valid_to
