"""How cases are shown (web page, JSON twin, report, CLI): plain dicts, pseudonymous unless
the viewer holds an approved re-identification for the case — then the identity is shown
and the look is recorded in the audit chain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.analytics.evidence import Pseudonymiser, pseudonymiser
from keyguard.cases import reident
from keyguard.cases.models import (
    Case,
    CaseAction,
    CaseEvent,
    CaseEvidence,
    CaseSubject,
    RectificationAction,
)
from keyguard.cases.service import local_day
from keyguard.config import utcnow
from keyguard.identity.models import Account
from keyguard.privacy import reid
from keyguard.privacy.models import ReidentRequest
from keyguard.privacy.pseudonyms import pseudonym
from keyguard.records.org.models import Person, Unit
from keyguard.records.register.matching import user_key


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def mask_user(unit_code: str, value: str | None) -> str | None:
    """A user name or e-mail address as its pseudonym."""
    if not value:
        return value
    return pseudonym(unit_code, user_key(value))


def event_view(unit: Unit, e: CaseEvent, pz: Pseudonymiser | None) -> dict[str, Any]:
    """A copied event; without identification (``pz`` given) the user is a pseudonym and
    names, staff ids and addresses in paths, hosts and mail are replaced."""

    def who(v: str | None) -> str | None:
        return v if pz is None else mask_user(unit.code, v)

    def addr(v: str | None) -> str | None:
        return v if pz is None or not v else pz.email(v)

    def text(v: str | None) -> str | None:
        return v if pz is None else pz.text(v)

    attachments = [dict(a) for a in (e.attachments or [])]
    if pz is not None:
        for a in attachments:
            a["name"] = pz.text(a.get("name"))
    return {
        "event_id": e.event_id,
        "time_utc": _iso(e.time_utc),
        "local_date": _iso(e.local_date),
        "local_hour": e.local_hour,
        "user": who(e.source_user),
        "user_known": e.user_known,
        "host": text(e.host),
        "category": e.category,
        "activity": e.activity,
        "class_uid": e.class_uid,
        "object": text(e.object),
        "url_host": e.url_host,
        "site_category": e.site_category,
        "size": e.size,
        "to_removable": e.to_removable,
        "from_removable": e.from_removable,
        "sender": addr(e.sender),
        "recipients": [addr(r) for r in (e.recipients or [])],
        "recipients_outside": e.recipients_outside,
        "attachments": attachments,
        "attachment_count": e.attachment_count,
        "source_file": e.source_file,
        "source_line": e.source_line,
        "adapter": e.adapter,
        "ingest_run": e.ingest_run,
        "store_file": e.store_file,
        "attached_at": _iso(e.attached_at),
        "attached_by": e.attached_by,
        "note": e.note,
    }


def _account_label(session: Session, account_id: int | None) -> str | None:
    if account_id is None:
        return None
    account = session.get(Account, account_id)
    return account.display_name if account else f"account {account_id}"


def actor_label(session: Session, actor: str | None) -> str | None:
    """``account:<id>`` as the account's display name; other actors as written."""
    if actor and actor.startswith("account:") and actor[8:].isdigit():
        return _account_label(session, int(actor[8:]))
    return actor


def case_row(session: Session, case: Case) -> dict[str, Any]:
    """A case as a list shows it (pseudonymous)."""
    return {
        "id": case.id,
        "number": case.number,
        "title": case.title,
        "status": case.status,
        "outcome": case.outcome,
        "subject": case.subject_pseudonym,
        "assigned_to": _account_label(session, case.assigned_account_id),
        "opened_at": _iso(case.opened_at),
        "closed_at": _iso(case.closed_at),
        "legal_hold": case.legal_hold,
    }


def action_row(
    a: RectificationAction, today: dt.date, owner: Person | None, identified: bool
) -> dict[str, Any]:
    """A rectification action (its owner by pseudonym unless ``identified``)."""
    return {
        "id": a.id,
        "case_id": a.case_id,
        "finding_id": a.finding_id,
        "title": a.title,
        "description": a.description,
        "owner": (
            None
            if owner is None
            else f"{owner.full_name} ({owner.staff_id})"
            if identified
            else owner.pseudonym
        ),
        "owner_person_id": a.owner_person_id,
        "due_on": _iso(a.due_on),
        "status": a.status,
        "overdue": a.status == "open" and a.due_on < today,
        "completed_at": _iso(a.completed_at),
        "completed_by": a.completed_by,
        "completion_evidence": a.completion_evidence,
        "created_by": a.created_by,
    }


def request_row(
    session: Session, req: ReidentRequest, now: dt.datetime, account: Account | None = None
) -> dict[str, Any]:
    """A re-identification request (who asked, why, the decision); ``may_decide`` and
    ``why_not`` say what ``account`` may do with it."""
    row: dict[str, Any] = {
        "id": req.id,
        "scope": f"{req.scope_kind}:{req.scope_id}",
        "case_id": int(req.scope_id) if req.scope_kind == reident.SCOPE else None,
        "subject": req.subject_label,
        "purpose": req.purpose,
        "hours": req.hours,
        "state": req.state(now),
        "requested_by": _account_label(session, req.requested_by_account_id),
        "requested_by_account_id": req.requested_by_account_id,
        "requested_at": _iso(req.requested_at),
        "decided_by": _account_label(session, req.decided_by_account_id),
        "decided_at": _iso(req.decided_at),
        "decision_note": req.decision_note,
        "expires_at": _iso(req.expires_at),
        "revoked_by": actor_label(session, req.revoked_by),
        "revoked_at": _iso(req.revoked_at),
        "revoke_reason": req.revoke_reason,
    }
    if account is not None:
        reason = (
            reident.why_not(session, req=req, account=account)
            if req.status == "requested"
            else f"this request is {req.state(now)}"
        )
        row["may_decide"] = reason is None
        row["why_not"] = reason
        row["mine"] = req.requested_by_account_id == account.id
    return row


def timeline(actions: list[dict[str, Any]], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Case actions and evidence events in one list, by time."""
    items = [{"at": a["at"], "type": "action", "action": a} for a in actions]
    items += [{"at": e["time_utc"], "type": "event", "event": e} for e in events]
    return sorted(items, key=lambda i: (i["at"] or "", i["type"]))


def case_view(
    session: Session,
    *,
    unit: Unit,
    case: Case,
    account: Account | None,
    names: bool = False,
    what: str = "case page",
) -> dict[str, Any]:
    """Everything about a case as ``account`` may see it; a shown identity is audited, and
    so is every look at the case. ``names``: show rectification owners by name (the viewer
    holds ``people.identify``)."""
    identity = reident.reveal(session, case=case, account=account, what=what)
    identified = identity is not None
    audit.record(
        session,
        "view",
        "case_file",
        case.id,
        {"identified": identified, "person_id": case.person_id},
        unit_id=unit.id,
    )
    now = utcnow()
    today = local_day(unit, now)
    pz = None if identified else pseudonymiser(session, unit)
    events = [
        event_view(unit, e, pz)
        for e in session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id)
            .order_by(CaseEvent.time_utc, CaseEvent.event_id)
        )
    ]
    actions = [
        {
            "at": _iso(a.at),
            "actor": a.actor,
            "kind": a.kind,
            "summary": a.summary,
            "details": a.details,
        }
        for a in session.scalars(
            select(CaseAction)
            .where(CaseAction.case_id == case.id)
            .order_by(CaseAction.at, CaseAction.id)
        )
    ]
    evidence = [
        {
            "id": ev.id,
            "kind": ev.kind,
            "text": ev.text,
            "file_name": ev.file_name,
            "content_type": ev.content_type,
            "size": ev.size,
            "sha256": ev.sha256,
            "created_at": _iso(ev.created_at),
            "created_by": ev.created_by,
        }
        for ev in session.scalars(
            select(CaseEvidence).where(CaseEvidence.case_id == case.id).order_by(CaseEvidence.id)
        )
    ]
    subjects = [
        {
            "kind": s.kind,
            "ref": s.ref,
            "title": s.title,
            "summary": s.summary,
            "linked_at": _iso(s.linked_at),
            "linked_by": s.linked_by,
            "link": f"/units/{unit.id}/{'alerts' if s.kind == 'alert' else 'loopholes'}/{s.ref}",
        }
        for s in session.scalars(
            select(CaseSubject).where(CaseSubject.case_id == case.id).order_by(CaseSubject.id)
        )
    ]
    owners = {}
    rect = list(
        session.scalars(
            select(RectificationAction)
            .where(RectificationAction.case_id == case.id)
            .order_by(RectificationAction.id)
        )
    )
    for a in rect:
        if a.owner_person_id and a.owner_person_id not in owners:
            owners[a.owner_person_id] = session.get(Person, a.owner_person_id)
    requests = [
        request_row(session, r, now, account)
        for r in reid.requests(
            session, unit_id=unit.id, scope_kind=reident.SCOPE, scope_id=str(case.id)
        )
    ]
    return {
        **case_row(session, case),
        "unit": {"id": unit.id, "code": unit.code, "name": unit.name},
        "outcome_note": case.outcome_note,
        "opened_by": case.opened_by,
        "closed_by": case.closed_by,
        "decided_on": _iso(case.decided_on),
        "legal_hold_reason": case.legal_hold_reason,
        "assigned_account_id": case.assigned_account_id,
        "identified": identified,
        "identity": identity.__dict__ if identity else None,
        "subjects": subjects,
        "events": events,
        "actions": actions,
        "timeline": timeline(actions, events),
        "evidence": evidence,
        "rectification": [
            action_row(
                a, today, owners.get(a.owner_person_id) if a.owner_person_id else None, names
            )
            for a in rect
        ],
        "reident_requests": requests,
    }


def who_saw(
    session: Session,
    *,
    unit: Unit,
    subject: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    names: bool = False,
) -> dict[str, Any]:
    """Who saw whom, when and why (every recorded look at a real identity) and every
    re-identification request with its decision. ``subject`` filters by pseudonym; whom is
    named only for a reader who may identify people (``names``). The reading is audited."""
    start = dt.datetime.combine(since, dt.time(), dt.UTC) if since else None
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC) if until else None
    views_ = reid.who_saw(session, unit_id=unit.id, since=start, until=end)
    people: dict[int, Person | None] = {}
    rows = []
    for v in views_:
        if subject and v.subject != subject.strip():
            continue
        if v.person_id is not None and v.person_id not in people:
            people[v.person_id] = session.get(Person, v.person_id)
        person = people.get(v.person_id) if v.person_id is not None else None
        rows.append(
            {
                "seq": v.seq,
                "at": _iso(v.at),
                "who": _account_label(session, v.viewer_account_id) or v.actor,
                "actor": v.actor,
                "whom": v.subject,
                "whom_name": f"{person.full_name} ({person.staff_id})"
                if names and person
                else None,
                "why": v.purpose,
                "request": v.request_id,
                "approved_by": actor_label(session, v.approved_by),
                "scope": v.scope,
                "what": v.what,
            }
        )
    now = utcnow()
    requests = [
        request_row(session, r, now)
        for r in reid.requests(session, unit_id=unit.id)
        if not subject or r.subject_label == subject.strip()
    ]
    audit.record(
        session,
        "view",
        "reident_log",
        None,
        {"subject": subject, "views": len(rows), "identified": names},
        unit_id=unit.id,
    )
    return {"views": rows, "requests": requests}
