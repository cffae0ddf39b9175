"""Re-identification of a case's person: the permissions and the two-person rule around
:mod:`keyguard.privacy.reid` (which keeps the requests and writes the audit entries).

Identities in a case are shown only to the account whose request a second person approved,
while the approval lasts; every showing is recorded (``reident_view``). Holding
``people.identify`` does not bypass this on cases.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from keyguard.cases.models import Case
from keyguard.cases.service import log
from keyguard.errors import PermissionDenied, RuleViolation
from keyguard.identity.models import Account
from keyguard.identity.permissions import can
from keyguard.identity.service import may_be_second_person, principal_for
from keyguard.privacy import reid
from keyguard.privacy.models import ReidentRequest
from keyguard.records.org.models import Person

SCOPE = "case"


def who(account: Account) -> reid.Who:
    return reid.Who(
        account_id=account.id, person_id=account.person_id, name=f"account:{account.id}"
    )


def _need(session: Session, account: Account, permission: str, unit_id: int) -> None:
    if not can(principal_for(session, account), permission, unit_id):
        raise PermissionDenied(f"you need {permission} in this unit")


def separation(session: Session) -> reid.Separation:
    """The identity domain's two-person rule, by account ids."""

    def rule(requester_id: int, approver_id: int) -> str | None:
        requester = session.get(Account, requester_id)
        approver = session.get(Account, approver_id)
        if requester is None or approver is None:
            return "the requester's or the approver's account no longer exists"
        return may_be_second_person(session, requester=requester, approver=approver)

    return rule


def request(
    session: Session,
    *,
    case: Case,
    account: Account,
    purpose: str,
    hours: int = reid.DEFAULT_HOURS,
) -> ReidentRequest:
    """Ask to see who the case is about, with a written purpose."""
    _need(session, account, "reident.request", case.unit_id)
    if case.status == "closed":
        raise RuleViolation(f"case {case.number} is closed")
    req = reid.request(
        session,
        unit_id=case.unit_id,
        scope_kind=SCOPE,
        scope_id=str(case.id),
        person_id=case.person_id,
        user_key=case.user_key,
        subject_label=case.subject_pseudonym,
        purpose=purpose,
        requester=who(account),
        hours=hours,
    )
    log(
        session,
        case,
        "reident_requested",
        f"re-identification requested (#{req.id})",
        request=req.id,
        hours=hours,
    )
    return req


def why_not(session: Session, *, req: ReidentRequest, account: Account) -> str | None:
    """Why ``account`` may not approve ``req`` (permission and the two-person rule)."""
    if not can(principal_for(session, account), "reident.approve", req.unit_id):
        return "you need reident.approve in this unit"
    return reid.why_not_approver(session, req, who(account), separation(session))


def _case_of(session: Session, req: ReidentRequest) -> Case | None:
    return session.get(Case, int(req.scope_id)) if req.scope_kind == SCOPE else None


def approve(
    session: Session, *, req: ReidentRequest, account: Account, note: str = ""
) -> ReidentRequest:
    """A second person approves (refused, with the reason, for anyone else)."""
    _need(session, account, "reident.approve", req.unit_id)
    reid.approve(session, req=req, approver=who(account), separation=separation(session), note=note)
    case = _case_of(session, req)
    if case is not None:
        log(
            session,
            case,
            "reident_approved",
            f"re-identification #{req.id} approved",
            request=req.id,
            expires_at=req.expires_at.isoformat() if req.expires_at else None,
        )
    return req


def refuse(session: Session, *, req: ReidentRequest, account: Account, note: str) -> ReidentRequest:
    """A second person refuses, saying why."""
    _need(session, account, "reident.approve", req.unit_id)
    reid.refuse(session, req=req, approver=who(account), note=note)
    case = _case_of(session, req)
    if case is not None:
        log(
            session, case, "reident_refused", f"re-identification #{req.id} refused", request=req.id
        )
    return req


def revoke(
    session: Session, *, req: ReidentRequest, account: Account, reason: str
) -> ReidentRequest:
    """End an approval early: the requester, or anyone who may approve."""
    if req.requested_by_account_id != account.id:
        _need(session, account, "reident.approve", req.unit_id)
    reid.revoke(session, req=req, by=who(account), reason=reason)
    case = _case_of(session, req)
    if case is not None:
        log(
            session, case, "reident_revoked", f"re-identification #{req.id} revoked", request=req.id
        )
    return req


def withdraw(session: Session, *, req: ReidentRequest, account: Account) -> ReidentRequest:
    """The requester withdraws an undecided request."""
    return reid.withdraw(session, req=req, by=who(account))


@dataclass(frozen=True)
class Identity:
    """Who a case is about, as shown under an approval."""

    name: str | None
    staff_id: str | None
    email: str | None
    user: str | None
    request_id: int
    purpose: str
    expires_at: str | None


def reveal(
    session: Session, *, case: Case, account: Account | None, what: str = "case page"
) -> Identity | None:
    """The identity behind the case for this account, if an approval is in force — and the
    look recorded in the audit chain. ``None`` otherwise (nothing recorded)."""
    if account is None:
        return None
    grant = reid.active_grant(
        session,
        unit_id=case.unit_id,
        scope_kind=SCOPE,
        scope_id=str(case.id),
        account_id=account.id,
    )
    if grant is None:
        return None
    reid.record_view(session, grant=grant, viewer=who(account), what=what)
    person = session.get(Person, case.person_id) if case.person_id else None
    return Identity(
        name=person.full_name if person else None,
        staff_id=person.staff_id if person else None,
        email=person.email if person else None,
        user=case.user_key,
        request_id=grant.id,
        purpose=grant.purpose,
        expires_at=grant.expires_at.isoformat() if grant.expires_at else None,
    )
