"""Dual-control re-identification: request with a written purpose, approval by a second
person, a time limit, revocation, and an audit entry for every request, decision and every
look at a real identity (``reident_view``), from which :func:`who_saw` lists who saw whom,
when and why.

The caller (the cases domain) checks permissions and passes the two-person rule of the
identity domain as ``separation(requester_account_id, approver_account_id) -> reason|None``;
this module adds the rules that need no other domain: never the requester's own account or
person, never the person concerned.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.audit.models import AuditEntry
from keyguard.config import utcnow
from keyguard.errors import NotFound, RuleViolation
from keyguard.privacy.models import ReidentRequest

#: Hours an approval lasts when the requester asks for nothing else, and at most.
DEFAULT_HOURS = 72
MAX_HOURS = 24 * 30
#: A purpose shorter than this is not a written purpose.
MIN_PURPOSE = 15

Separation = Callable[[int, int], str | None]


@dataclass(frozen=True)
class Who:
    """A person acting through an account (``name`` as in the audit log)."""

    account_id: int
    person_id: int | None
    name: str


def _same(a_account: int | None, a_person: int | None, b: Who) -> bool:
    if a_account is not None and a_account == b.account_id:
        return True
    return a_person is not None and a_person == b.person_id


def _details(req: ReidentRequest, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "request": req.id,
        "scope": f"{req.scope_kind}:{req.scope_id}",
        "person_id": req.person_id,
        "subject": req.subject_label,
        "purpose": req.purpose,
    }
    out.update(extra)
    return out


def request(
    session: Session,
    *,
    unit_id: int,
    scope_kind: str,
    scope_id: str,
    person_id: int | None,
    user_key: str | None,
    subject_label: str,
    purpose: str,
    requester: Who,
    hours: int = DEFAULT_HOURS,
) -> ReidentRequest:
    """Ask to see the identity behind ``subject_label`` for a scope, saying why."""
    purpose = purpose.strip()
    if len(purpose) < MIN_PURPOSE:
        raise RuleViolation(
            f"write the purpose of the re-identification (at least {MIN_PURPOSE} characters)"
        )
    if not 1 <= hours <= MAX_HOURS:
        raise RuleViolation(f"a re-identification lasts 1 to {MAX_HOURS} hours")
    if person_id is None and not user_key:
        raise RuleViolation("there is nobody to re-identify")
    if person_id is not None and person_id == requester.person_id:
        raise RuleViolation("you cannot ask to re-identify yourself")
    now = utcnow()
    for other in open_requests(session, unit_id=unit_id, scope_kind=scope_kind, scope_id=scope_id):
        if other.requested_by_account_id == requester.account_id and other.state(now) in (
            "requested",
            "approved",
        ):
            raise RuleViolation(
                f"you already have request {other.id} for this {scope_kind} ({other.state(now)})"
            )
    req = ReidentRequest(
        unit_id=unit_id,
        scope_kind=scope_kind,
        scope_id=str(scope_id),
        person_id=person_id,
        user_key=user_key,
        subject_label=subject_label,
        purpose=purpose,
        hours=hours,
        status="requested",
        requested_by_account_id=requester.account_id,
        requested_by_person_id=requester.person_id,
        requested_by=requester.name,
        requested_at=now,
    )
    session.add(req)
    session.flush()
    audit.record(
        session,
        "reident_request",
        "reident_request",
        req.id,
        _details(req, hours=hours),
        unit_id=unit_id,
    )
    return req


def get_request(session: Session, *, unit_id: int, request_id: int) -> ReidentRequest:
    req = session.get(ReidentRequest, request_id)
    if req is None or req.unit_id != unit_id:
        raise NotFound(f"no re-identification request {request_id}")
    return req


def why_not_approver(
    session: Session, req: ReidentRequest, approver: Who, separation: Separation
) -> str | None:
    """Why ``approver`` may not decide ``req`` (``None``: they may)."""
    if _same(req.requested_by_account_id, req.requested_by_person_id, approver):
        return "the requester cannot approve their own request: a second person must"
    if req.person_id is not None and req.person_id == approver.person_id:
        return "the person concerned cannot decide on their own re-identification"
    if req.requested_by_account_id is None:
        return "the requester's account no longer exists"
    return separation(req.requested_by_account_id, approver.account_id)


def _decidable(req: ReidentRequest) -> None:
    if req.status != "requested":
        raise RuleViolation(f"request {req.id} was already {req.status}")


def approve(
    session: Session,
    *,
    req: ReidentRequest,
    approver: Who,
    separation: Separation,
    note: str = "",
) -> ReidentRequest:
    """A second person approves: the requester may see the identity for ``req.hours``."""
    _decidable(req)
    reason = why_not_approver(session, req, approver, separation)
    if reason:
        raise RuleViolation(reason)
    now = utcnow()
    req.status = "approved"
    req.decided_by_account_id, req.decided_by, req.decided_at = (
        approver.account_id,
        approver.name,
        now,
    )
    req.decision_note = note.strip()
    req.expires_at = now + dt.timedelta(hours=req.hours)
    session.flush()
    audit.record(
        session,
        "reident_approve",
        "reident_request",
        req.id,
        _details(req, expires_at=req.expires_at.isoformat(), note=req.decision_note),
        unit_id=req.unit_id,
    )
    return req


def refuse(session: Session, *, req: ReidentRequest, approver: Who, note: str) -> ReidentRequest:
    """A second person refuses, saying why."""
    _decidable(req)
    if _same(req.requested_by_account_id, req.requested_by_person_id, approver):
        raise RuleViolation("withdraw your own request instead of refusing it")
    if not note.strip():
        raise RuleViolation("say why the request is refused")
    req.status = "refused"
    req.decided_by_account_id, req.decided_by = approver.account_id, approver.name
    req.decided_at, req.decision_note = utcnow(), note.strip()
    session.flush()
    audit.record(
        session,
        "reident_refuse",
        "reident_request",
        req.id,
        _details(req, note=note.strip()),
        unit_id=req.unit_id,
    )
    return req


def withdraw(session: Session, *, req: ReidentRequest, by: Who) -> ReidentRequest:
    """The requester withdraws a request nobody decided yet."""
    _decidable(req)
    if req.requested_by_account_id != by.account_id:
        raise RuleViolation("only the requester can withdraw a request")
    req.status = "withdrawn"
    req.decided_at = utcnow()
    session.flush()
    audit.record(
        session,
        "reident_withdraw",
        "reident_request",
        req.id,
        _details(req),
        unit_id=req.unit_id,
    )
    return req


def revoke(session: Session, *, req: ReidentRequest, by: Who, reason: str) -> ReidentRequest:
    """End an approval before it expires (the requester or anyone allowed to approve)."""
    now = utcnow()
    if req.state(now) != "approved":
        raise RuleViolation(f"request {req.id} is {req.state(now)}, not an active approval")
    if not reason.strip():
        raise RuleViolation("say why the approval is revoked")
    req.status = "revoked"
    req.revoked_by, req.revoked_at, req.revoke_reason = by.name, now, reason.strip()
    session.flush()
    audit.record(
        session,
        "reident_revoke",
        "reident_request",
        req.id,
        _details(req, reason=reason.strip()),
        unit_id=req.unit_id,
    )
    return req


def open_requests(
    session: Session, *, unit_id: int, scope_kind: str | None = None, scope_id: str | None = None
) -> list[ReidentRequest]:
    """Requests waiting for a decision or approved (expired ones included), newest first."""
    q = select(ReidentRequest).where(
        ReidentRequest.unit_id == unit_id, ReidentRequest.status.in_(("requested", "approved"))
    )
    if scope_kind is not None:
        q = q.where(ReidentRequest.scope_kind == scope_kind)
    if scope_id is not None:
        q = q.where(ReidentRequest.scope_id == str(scope_id))
    return list(session.scalars(q.order_by(ReidentRequest.id.desc())))


def requests(
    session: Session,
    *,
    unit_id: int,
    scope_kind: str | None = None,
    scope_id: str | None = None,
    status: str | None = None,
) -> list[ReidentRequest]:
    """Every request of a unit (of one scope, of one stored status), newest first."""
    q = select(ReidentRequest).where(ReidentRequest.unit_id == unit_id)
    if scope_kind is not None:
        q = q.where(ReidentRequest.scope_kind == scope_kind)
    if scope_id is not None:
        q = q.where(ReidentRequest.scope_id == str(scope_id))
    if status is not None:
        q = q.where(ReidentRequest.status == status)
    return list(session.scalars(q.order_by(ReidentRequest.id.desc())))


def active_grant(
    session: Session, *, unit_id: int, scope_kind: str, scope_id: str, account_id: int
) -> ReidentRequest | None:
    """The approval in force for this account and scope, if any."""
    now = utcnow()
    for req in session.scalars(
        select(ReidentRequest).where(
            ReidentRequest.unit_id == unit_id,
            ReidentRequest.scope_kind == scope_kind,
            ReidentRequest.scope_id == str(scope_id),
            ReidentRequest.requested_by_account_id == account_id,
            ReidentRequest.status == "approved",
        )
    ):
        if req.state(now) == "approved":
            return req
    return None


def record_view(session: Session, *, grant: ReidentRequest, viewer: Who, what: str) -> int:
    """Write the look at a real identity into the audit chain (who, whom, why)."""
    now = utcnow()
    if grant.state(now) != "approved" or grant.requested_by_account_id != viewer.account_id:
        raise RuleViolation("no re-identification in force for this account")
    return audit.record(
        session,
        "reident_view",
        "person",
        grant.person_id,
        _details(
            grant,
            viewer_account_id=viewer.account_id,
            viewer_person_id=viewer.person_id,
            approved_by=grant.decided_by,
            what=what,
        ),
        unit_id=grant.unit_id,
    )


@dataclass(frozen=True)
class View:
    """One look at a real identity, as the audit chain holds it."""

    seq: int
    at: dt.datetime
    actor: str
    viewer_account_id: int | None
    person_id: int | None
    subject: str
    scope: str
    request_id: int | None
    purpose: str
    approved_by: str | None
    what: str


def who_saw(
    session: Session,
    *,
    unit_id: int,
    person_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[View]:
    """Every recorded look at a real identity in the unit (of one person), oldest first."""
    q = select(AuditEntry).where(AuditEntry.unit_id == unit_id, AuditEntry.action == "reident_view")
    if person_id is not None:
        q = q.where(AuditEntry.object_id == str(person_id))
    if since is not None:
        q = q.where(AuditEntry.at >= since)
    if until is not None:
        q = q.where(AuditEntry.at < until)
    out = []
    for e in session.scalars(q.order_by(AuditEntry.seq)):
        d: dict[str, Any] = json.loads(e.details)
        out.append(
            View(
                seq=e.seq,
                at=e.at,
                actor=e.actor,
                viewer_account_id=d.get("viewer_account_id"),
                person_id=d.get("person_id"),
                subject=str(d.get("subject") or ""),
                scope=str(d.get("scope") or ""),
                request_id=d.get("request"),
                purpose=str(d.get("purpose") or ""),
                approved_by=d.get("approved_by"),
                what=str(d.get("what") or ""),
            )
        )
    return out


def purge_scope(session: Session, *, unit_id: int, scope_kind: str, scope_id: str) -> int:
    """Delete the requests of a scope that is purged (the audit chain keeps their story)."""
    result = session.execute(
        delete(ReidentRequest).where(
            ReidentRequest.unit_id == unit_id,
            ReidentRequest.scope_kind == scope_kind,
            ReidentRequest.scope_id == str(scope_id),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
