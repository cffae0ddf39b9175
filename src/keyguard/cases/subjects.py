"""The small adapter between cases and what they are about: alerts (analytics) and loophole
findings (controls). Everything else in this domain sees a :class:`Subject` — who it is
about (person or user key, pseudonym), a pseudonymous snapshot, and the events behind it
(``event_id`` and local day) that can be copied into a case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.analytics.evidence import evidence_filter
from keyguard.analytics.models import Alert
from keyguard.controls.models import Finding
from keyguard.errors import NotFound, RuleViolation
from keyguard.events.schema import EVENT_SCHEMA
from keyguard.events.store import EventStore
from keyguard.privacy.pseudonyms import pseudonym
from keyguard.records.org.models import Person, Unit
from keyguard.records.register.matching import user_key

#: Most events an alert brings into a case by itself (more can be attached by id).
MAX_ALERT_EVENTS = 300


@dataclass(frozen=True)
class Subject:
    """An alert or a finding as a case sees it (no identities in ``summary``)."""

    kind: str
    ref: str
    unit_id: int
    title: str
    person_id: int | None
    user_key: str | None
    pseudonym: str
    status: str
    summary: dict[str, Any]
    events: list[tuple[str, dt.date]] = field(default_factory=list)

    @property
    def link(self) -> str:
        area = "alerts" if self.kind == "alert" else "loopholes"
        return f"/units/{self.unit_id}/{area}/{self.ref}"


def _pseudonym(session: Session, unit: Unit, person_id: int | None, key: str | None) -> str:
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is not None:
            return person.pseudonym
    return pseudonym(unit.code, key or "unknown")


def _alert(session: Session, unit: Unit, ref: str) -> Alert:
    alert = session.get(Alert, ref)
    if alert is None or alert.unit_id != unit.id:
        raise NotFound(f"no alert {ref}")
    return alert


def alert_subject(
    session: Session, unit: Unit, ref: str, *, with_events: bool = False, home: Any = None
) -> Subject:
    """An alert as a case subject; ``with_events`` finds its evidence in the event store."""
    a = _alert(session, unit, ref)
    summary = {
        "policy_id": a.policy_id,
        "policy": a.policy_title,
        "policy_version": a.policy_version,
        "level": a.level,
        "score": round(float(a.score), 1),
        "first_day": a.first_day.isoformat(),
        "fired_day": a.fired_day.isoformat(),
        "last_day": a.last_day.isoformat(),
        "fired_days": list(a.fired_days or []),
        "indicators": list(a.indicators or []),
        "triage": a.status,
    }
    events = alert_events(unit, a, home=home) if with_events else []
    return Subject(
        kind="alert",
        ref=a.id,
        unit_id=unit.id,
        title=f"{a.policy_title} ({a.fired_day.isoformat()})",
        person_id=a.person_id,
        user_key=a.user_key,
        pseudonym=_pseudonym(session, unit, a.person_id, a.user_key),
        status=a.status,
        summary=summary,
        events=events,
    )


#: Event kinds an alert's evidence is drawn from when its indicators name none.
_EVIDENCE_WHERE = (
    "(category IN ('file', 'device') "
    "OR (category = 'http' AND activity IN ('upload', 'download')) "
    "OR (category = 'email' AND (coalesce(attachment_count, 0) > 0 "
    "OR coalesce(recipients_outside, 0) > 0)))"
)


def alert_events(unit: Unit, alert: Alert, *, home: Any = None) -> list[tuple[str, dt.date]]:
    """The person's events on the days the alert fired that its indicators' evidence
    filters select (the analytics catalog), at most :data:`MAX_ALERT_EVENTS`, earliest
    first. Every spelling of the user in the logs counts (compared as user keys)."""
    days = sorted({dt.date.fromisoformat(d) for d in (alert.fired_days or [])})
    if not days:
        days = [alert.fired_day]
    store = EventStore(home)
    files = [f for d in days for f in store.files(unit.code, d)]
    if not files:
        return []
    where = evidence_filter(list(alert.indicators or []))
    if where == "FALSE":
        where = _EVIDENCE_WHERE
    con = duckdb.connect()
    try:
        con.register("_schema", EVENT_SCHEMA.empty_table())
        listing = "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"
        rows = con.sql(
            "SELECT event_id, local_date FROM (SELECT * FROM _schema UNION ALL BY NAME "
            f"SELECT * FROM read_parquet({listing}, hive_partitioning = false, "
            "union_by_name = true)) "
            "WHERE lower(regexp_replace(trim(source_user), '^.*[\\\\/]', '')) = $key "
            f"AND ({where}) ORDER BY time_utc, event_id LIMIT {MAX_ALERT_EVENTS}",
            params={"key": alert.user_key.casefold()},
        ).fetchall()
    finally:
        con.close()
    return [(str(r[0]), r[1]) for r in rows]


def _finding(session: Session, unit: Unit, ref: str) -> Finding:
    f = session.get(Finding, ref)
    if f is None or f.unit_id != unit.id:
        raise NotFound(f"no finding {ref}")
    return f


def finding_subject(session: Session, unit: Unit, ref: str) -> Subject:
    """A loophole finding as a case subject; its event evidence rows can be copied."""
    f = _finding(session, unit, ref)
    events = []
    for row in f.evidence or []:
        if row.get("source") == "event" and row.get("event_id") and row.get("day"):
            events.append((str(row["event_id"]), dt.date.fromisoformat(str(row["day"]))))
    summary = {
        "check": f.check_id,
        "title": f.check_title,
        "severity": f.severity,
        "subject": f.subject_masked,
        "opened_on": f.opened_on.isoformat(),
        "due_on": f.due_on.isoformat(),
        "status": f.status,
        "item_id": f.item_id,
    }
    return Subject(
        kind="finding",
        ref=f.id,
        unit_id=unit.id,
        title=f"{f.check_title}: {f.subject_masked}",
        person_id=f.person_id,
        user_key=None,
        pseudonym=_pseudonym(session, unit, f.person_id, f.subject_key),
        status=f.status,
        summary=summary,
        events=events,
    )


def subject(
    session: Session, unit: Unit, kind: str, ref: str, *, with_events: bool = False
) -> Subject:
    """The alert or finding ``ref`` of the unit."""
    if kind == "alert":
        return alert_subject(session, unit, ref, with_events=with_events)
    if kind == "finding":
        return finding_subject(session, unit, ref)
    raise RuleViolation(f"a case can be about an alert or a finding, not {kind!r}")


def related_findings(
    session: Session, unit: Unit, person_id: int | None, user: str | None
) -> list[Finding]:
    """Open findings about the person (or naming the user in their evidence), most severe
    first: the loopholes that let an alert's behaviour happen."""
    from keyguard.controls.service import SEVERITY_ORDER

    found: dict[str, Finding] = {}
    q = select(Finding).where(Finding.unit_id == unit.id, Finding.status == "open")
    key = user_key(user) if user else ""
    for f in session.scalars(q):
        if person_id is not None and f.person_id == person_id:
            found[f.id] = f
            continue
        if key and any(
            user_key(str(row.get(k) or "")) == key
            for row in (f.evidence or [])
            for k in ("user", "staff_id", "grantee", "holder", "person")
        ):
            found[f.id] = f
    return sorted(found.values(), key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.id))
