"""Clearances (with the check "access above the person's clearance"), and reportable events
that employees file about themselves and the security officer reviews.

Filing a report never raises the filer's risk score: nothing here is an input of the
analytics, which must not read ``reportable_event`` (docs/register.md).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.config import utcnow
from keyguard.errors import NotFound, PermissionDenied, RuleViolation
from keyguard.identity.models import Account
from keyguard.identity.permissions import can
from keyguard.identity.service import principal_for
from keyguard.records.org.models import Person, Unit
from keyguard.records.personnel.models import (
    REPORT_KINDS,
    REPORT_OUTCOMES,
    Clearance,
    ReportableEvent,
)
from keyguard.records.register.common import canonical_level, level_rank, local_today
from keyguard.records.register.matching import _name, event_items, user_key_sql


def record_clearance(
    session: Session,
    *,
    person: Person,
    level: str,
    granted_on: dt.date,
    expires_on: dt.date | None = None,
    vetting_started_on: dt.date | None = None,
    vetting_completed_on: dt.date | None = None,
    next_vetting_due: dt.date | None = None,
    known_from: dt.date | None = None,
    note: str = "",
) -> Clearance:
    """Record a clearance, valid from ``granted_on`` until ``expires_on`` (exclusive) and
    known from ``known_from`` (default today). An open clearance of the person that overlaps
    ends where the new one starts."""
    unit = session.get(Unit, person.unit_id)
    assert unit is not None
    if expires_on is not None and expires_on <= granted_on:
        raise RuleViolation("a clearance must expire after it is granted")
    if vetting_completed_on and vetting_started_on and vetting_completed_on < vetting_started_on:
        raise RuleViolation("vetting cannot complete before it started")
    if vetting_completed_on and vetting_completed_on > granted_on:
        raise RuleViolation("the clearance is granted after vetting completes")
    today = local_today(unit)
    for prev in session.scalars(
        select(Clearance).where(
            Clearance.person_id == person.id,
            Clearance.status == "active",
            or_(Clearance.valid_to.is_(None), Clearance.valid_to > granted_on),
            Clearance.valid_from < granted_on,
        )
    ):
        prev.valid_to = max(granted_on, today)
    c = Clearance(
        unit_id=person.unit_id,
        person_id=person.id,
        level=canonical_level(unit, level),
        granted_on=granted_on,
        expires_on=expires_on,
        vetting_started_on=vetting_started_on,
        vetting_completed_on=vetting_completed_on,
        next_vetting_due=next_vetting_due,
        valid_from=granted_on,
        valid_to=expires_on,
        known_from=known_from or today,
        note=note,
        recorded_by=audit.current_actor().name,
    )
    session.add(c)
    session.flush()
    return c


def withdraw_clearance(session: Session, *, clearance: Clearance, reason: str) -> Clearance:
    """Withdraw a clearance from today on."""
    unit = session.get(Unit, clearance.unit_id)
    assert unit is not None
    today = local_today(unit)
    if clearance.valid_to is None or clearance.valid_to > today:
        clearance.valid_to = max(today, clearance.valid_from)
    clearance.status, clearance.note = (
        "withdrawn",
        (clearance.note + f"\nwithdrawn: {reason}").strip(),
    )
    session.flush()
    return clearance


def clearance_on(session: Session, *, person: Person, day: dt.date) -> Clearance | None:
    """The person's highest clearance valid on ``day`` and known by then."""
    unit = session.get(Unit, person.unit_id)
    assert unit is not None
    found = list(
        session.scalars(
            select(Clearance).where(
                Clearance.person_id == person.id,
                Clearance.valid_from <= day,
                or_(Clearance.valid_to.is_(None), Clearance.valid_to > day),
                Clearance.known_from <= day,
            )
        )
    )
    return max(found, key=lambda c: level_rank(unit, c.level), default=None)


def above_clearance(session: Session, *, person: Person, level: str, day: dt.date) -> bool:
    """Whether access at ``level`` on ``day`` is above the person's clearance then (no
    clearance known on that day counts as none)."""
    unit = session.get(Unit, person.unit_id)
    assert unit is not None
    c = clearance_on(session, person=person, day=day)
    return c is None or level_rank(unit, level) > level_rank(unit, c.level)


CLEARANCE_SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("staff_id", pa.string()),
        ("level", pa.string()),
        ("level_rank", pa.int32()),
        ("valid_from", pa.date32()),
        ("valid_to", pa.date32()),
        ("known_from", pa.date32()),
    ]
)


def clearance_table(session: Session, unit_id: int) -> pa.Table:
    """Every clearance with its level rank, validity and ``known_from`` (for SQL joins)."""
    unit = session.get(Unit, unit_id)
    assert unit is not None
    rows = session.execute(
        select(Clearance, Person.staff_id)
        .join(Person, Person.id == Clearance.person_id)
        .where(Clearance.unit_id == unit_id)
    ).all()
    return pa.Table.from_pylist(
        [
            {
                "person_id": c.person_id,
                "staff_id": sid,
                "level": c.level,
                "level_rank": level_rank(unit, c.level),
                "valid_from": c.valid_from,
                "valid_to": c.valid_to,
                "known_from": c.known_from,
            }
            for c, sid in rows
        ],
        schema=CLEARANCE_SCHEMA,
    )


def accesses_above_clearance(
    con: duckdb.DuckDBPyConnection,
    unit_code: str,
    events_view: str = "events",
    *,
    session: Session,
) -> duckdb.DuckDBPyRelation:
    """Rows of ``register.matching.event_items`` whose item level on that day is above every
    clearance the user held on that day and that was known by then."""
    from keyguard.records.org.service import get_unit

    unit = get_unit(session, unit_code)
    items = event_items(con, unit_code, events_view, session=session)
    iv, cv = _name("items_for_clearance", unit_code), _name("clearances", unit_code)
    items.create_view(iv, replace=True)
    con.register(cv, clearance_table(session, unit.id))
    return con.sql(f"""
        SELECT e.* FROM {iv} e
        ANTI JOIN {cv} c
          ON lower(c.staff_id) = {user_key_sql("e.source_user")}
         AND c.valid_from <= e.local_date
         AND (c.valid_to IS NULL OR e.local_date < c.valid_to)
         AND c.known_from <= e.local_date
         AND c.level_rank >= e.item_level_rank
    """)


def clearances_of(session: Session, *, person: Person) -> list[Clearance]:
    return list(
        session.scalars(
            select(Clearance)
            .where(Clearance.person_id == person.id)
            .order_by(Clearance.valid_from.desc())
        )
    )


def expiring_clearances(session: Session, *, unit: Unit, within_days: int = 60) -> list[Clearance]:
    """Active clearances expiring (or due for vetting) within ``within_days``."""
    today = local_today(unit)
    until = today + dt.timedelta(days=within_days)
    return list(
        session.scalars(
            select(Clearance)
            .where(
                Clearance.unit_id == unit.id,
                Clearance.status == "active",
                or_(
                    Clearance.expires_on.between(today, until),
                    Clearance.next_vetting_due.between(today, until),
                ),
            )
            .order_by(Clearance.expires_on)
        )
    )


def file_report(
    session: Session,
    *,
    account: Account,
    kind: str,
    occurred_on: dt.date,
    details: str,
    until_on: dt.date | None = None,
    country: str | None = None,
    counterpart: str | None = None,
) -> ReportableEvent:
    """An employee files a reportable event about themselves."""
    if account.person_id is None or account.unit_id is None:
        raise RuleViolation("only a member of staff (an account linked to a person) files reports")
    if not can(principal_for(session, account), "reportable.file", account.unit_id):
        raise PermissionDenied("you may not file reportable events")
    if kind not in REPORT_KINDS:
        raise RuleViolation(f"kind must be one of {', '.join(REPORT_KINDS)}")
    if until_on is not None and until_on < occurred_on:
        raise RuleViolation("the end is before the start")
    if kind == "foreign_travel" and not (country or "").strip():
        raise RuleViolation("say which country")
    if not details.strip():
        raise RuleViolation("describe what happened")
    ev = ReportableEvent(
        unit_id=account.unit_id,
        person_id=account.person_id,
        kind=kind,
        occurred_on=occurred_on,
        until_on=until_on,
        country=(country or "").strip() or None,
        counterpart=(counterpart or "").strip() or None,
        details=details.strip(),
        filed_at=utcnow(),
        filed_by_account_id=account.id,
        status="filed",
    )
    session.add(ev)
    session.flush()
    return ev


def review_report(
    session: Session,
    *,
    report: ReportableEvent,
    reviewer: Account,
    outcome: str,
    note: str,
) -> ReportableEvent:
    """The security officer records the review and its outcome (not of their own report)."""
    if not can(principal_for(session, reviewer), "reportable.review", report.unit_id):
        raise PermissionDenied("you may not review reportable events")
    if reviewer.person_id is not None and reviewer.person_id == report.person_id:
        raise RuleViolation("nobody reviews their own report")
    if outcome not in REPORT_OUTCOMES:
        raise RuleViolation(f"outcome must be one of {', '.join(REPORT_OUTCOMES)}")
    report.status, report.outcome, report.review_note = "reviewed", outcome, note.strip()
    report.reviewed_at, report.reviewed_by_account_id = utcnow(), reviewer.id
    session.flush()
    return report


def reports_visible_to(
    session: Session, *, account: Account, unit_id: int
) -> list[ReportableEvent]:
    """Reviewers see the unit's reports except their own person's; everyone sees their own.
    Every list is recorded in the audit chain."""
    principal = principal_for(session, account)
    q = select(ReportableEvent).where(ReportableEvent.unit_id == unit_id)
    if can(principal, "reportable.review", unit_id):
        q = q.where(
            or_(
                ReportableEvent.person_id != (account.person_id or -1),
                ReportableEvent.filed_by_account_id == account.id,
            )
        )
    else:
        q = q.where(ReportableEvent.person_id == (account.person_id or -1))
    found = list(session.scalars(q.order_by(ReportableEvent.filed_at.desc())))
    audit.record(session, "view", "reportable_event", None, {"shown": len(found)}, unit_id=unit_id)
    return found


def get_report(session: Session, *, account: Account, report_id: int) -> ReportableEvent:
    """One report, if the account may see it (its filer, or a reviewer of another person's)."""
    report = session.get(ReportableEvent, report_id)
    if report is None:
        raise NotFound(f"no report {report_id}")
    own = account.person_id is not None and account.person_id == report.person_id
    if not own and not can(principal_for(session, account), "reportable.review", report.unit_id):
        raise NotFound(f"no report {report_id}")
    audit.record(session, "view", "reportable_event", report.id, {}, unit_id=report.unit_id)
    return report
