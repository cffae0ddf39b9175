"""Retention in force: the unit's policy checked against what detection needs, the ingest
cut-off, the purges (event days and the rejected rows of old runs, alerts, dismissed
alerts, closed cases not on legal hold, the audit log by sealing) and the daily job that
runs them. Every purge is audited with its counts.

The minimum for raw events is the longest detector window (the policies' look-back) plus
the baseline period (the longest history window of the analytics settings); see
docs/privacy.md.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.analytics.history import min_history
from keyguard.analytics.models import Alert, AlertTriage
from keyguard.audit.models import AuditEntry
from keyguard.audit.service import seal
from keyguard.cases.models import Case, CaseEvidence, CaseSubject, RectificationAction
from keyguard.cases.service import files_dir, local_day
from keyguard.config import get_settings, utcnow
from keyguard.errors import KeyguardError
from keyguard.events.store import EventStore
from keyguard.privacy import reid
from keyguard.privacy.retention import KINDS, RetentionPolicy, cutoff, load_retention
from keyguard.records.org.models import Unit
from keyguard.scheduler.lock import job_lock

#: Used only when the policies or the analytics settings cannot be read (documented).
FALLBACK_MIN_RAW_EVENT_DAYS = 400


@dataclass(frozen=True)
class Minimum:
    """How long raw events must be kept, and where the figure comes from."""

    days: int
    detector_days: int
    baseline_days: int
    source: str  # "policies" | "fallback"
    note: str = ""


def minimum_raw_event_days(unit: Unit, home: Path | None = None) -> Minimum:
    """The longest detector window plus the baseline period, for this unit's settings."""
    try:
        need = min_history(home or get_settings().home, unit.settings)  # analytics' figure
        detector, baseline = need.detector_days, need.baseline_days
    except (KeyguardError, KeyError, ValueError) as exc:
        return Minimum(
            FALLBACK_MIN_RAW_EVENT_DAYS,
            0,
            0,
            "fallback",
            f"policies or analytics settings unreadable ({exc})",
        )
    return Minimum(detector + baseline, detector, baseline, "policies")


def policy_for(unit: Unit, home: Path | None = None) -> RetentionPolicy:
    """The unit's retention policy, refused when raw events would be kept too briefly."""
    minimum = minimum_raw_event_days(unit, home)
    return load_retention(
        unit.settings, min_raw_event_days=minimum.days, source=f"unit {unit.code}"
    )


def set_retention(
    session: Session, *, unit: Unit, values: dict[str, Any], home: Path | None = None
) -> RetentionPolicy:
    """Change the unit's retention (checked before it is saved; the change is audited)."""
    settings = dict(unit.settings or {})
    old = settings.get("retention")
    settings["retention"] = {k: values.get(k) for k in KINDS if k in values}
    minimum = minimum_raw_event_days(unit, home)
    policy = load_retention(settings, min_raw_event_days=minimum.days, source=f"unit {unit.code}")
    settings["retention"] = policy.model_dump()
    unit.settings = settings
    audit.record(
        session,
        "retention_set",
        "unit",
        unit.id,
        {"old": old, "new": settings["retention"], "minimum_raw_event_days": minimum.days},
        unit_id=unit.id,
    )
    session.flush()
    return policy


def _event_days(store: EventStore, unit: Unit, before: dt.date) -> tuple[list[dt.date], int]:
    """The unit's event days older than ``before`` and how many events they hold."""
    days = [d for d in store.days(unit.code) if d < before]
    events = sum(
        pq.ParquetFile(f).metadata.num_rows for d in days for f in store.files(unit.code, d)
    )
    return days, events


def _drop_event_days(store: EventStore, unit: Unit, days: list[dt.date]) -> None:
    """Remove whole day partitions (the event store's atomic, re-runnable drop)."""
    store.drop_days(unit.code, days)


def _held_alert_ids(session: Session, unit: Unit) -> set[str]:
    """Alerts of open cases or of cases on legal hold: never purged."""
    return set(
        session.scalars(
            select(CaseSubject.ref)
            .join(Case, Case.id == CaseSubject.case_id)
            .where(
                Case.unit_id == unit.id,
                CaseSubject.kind == "alert",
                (Case.status != "closed") | Case.legal_hold.is_(True),
            )
        )
    )


def _purge_alerts(
    session: Session, unit: Unit, policy: RetentionPolicy, today: dt.date
) -> dict[str, int]:
    keep = _held_alert_ids(session, unit)
    out = {"alerts": 0, "dismissed_alerts": 0}
    for kind, dismissed in (("alerts", False), ("dismissed_alerts", True)):
        before = cutoff(policy, kind, today)
        if before is None:
            continue
        q = select(Alert.id).where(Alert.unit_id == unit.id, Alert.last_day < before)
        q = (
            q.where(Alert.status == "dismissed")
            if dismissed
            else q.where(Alert.status != "dismissed")
        )
        ids = [i for i in session.scalars(q) if i not in keep]
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            session.execute(delete(AlertTriage).where(AlertTriage.alert_id.in_(chunk)))
            session.execute(delete(Alert).where(Alert.id.in_(chunk)))
        out[kind] = len(ids)
    return out


def _purge_cases(
    session: Session, unit: Unit, policy: RetentionPolicy, today: dt.date, home: Path | None
) -> tuple[dict[str, int], list[Path]]:
    """Delete closed cases past retention (never those on legal hold); returns the counts
    and the case files no remaining case uses (deleted by the caller after the records)."""
    before = cutoff(policy, "cases", today)
    if before is None:
        return {"cases": 0, "cases_on_hold_kept": 0}, []
    held = 0
    gone: list[Case] = []
    for case in session.scalars(
        select(Case).where(
            Case.unit_id == unit.id, Case.status == "closed", Case.closed_at.is_not(None)
        )
    ):
        assert case.closed_at is not None
        if local_day(unit, case.closed_at) >= before:
            continue
        if case.legal_hold:
            held += 1
            continue
        gone.append(case)
    hashes: set[str] = set()
    for case in gone:
        hashes |= {
            h
            for h in session.scalars(
                select(CaseEvidence.sha256).where(CaseEvidence.case_id == case.id)
            )
            if h
        }
        session.execute(
            update(RectificationAction)
            .where(RectificationAction.case_id == case.id)
            .values(case_id=None)
        )
        reid.purge_scope(session, unit_id=unit.id, scope_kind="case", scope_id=str(case.id))
        session.delete(case)
    session.flush()
    still = set(
        session.scalars(
            select(CaseEvidence.sha256).where(
                CaseEvidence.unit_id == unit.id, CaseEvidence.sha256.in_(hashes or {""})
            )
        )
    )
    folder = files_dir(unit, home)
    return {"cases": len(gone), "cases_on_hold_kept": held}, [folder / h for h in hashes - still]


def purge_unit(
    session: Session, *, unit: Unit, now: dt.datetime | None = None, home: Path | None = None
) -> dict[str, Any]:
    """Apply the unit's retention: event days, alerts, dismissed alerts and closed cases
    older than their cut-offs go (cases on legal hold never); audited with the counts."""
    now = now or utcnow()
    today = local_day(unit, now)
    policy = policy_for(unit, home)
    store = EventStore(home)
    counts: dict[str, Any] = {"unit": unit.code, "today": today.isoformat()}
    raw_before = cutoff(policy, "raw_events", today)
    days, events = _event_days(store, unit, raw_before) if raw_before else ([], 0)
    old_rejects = store.reject_files_before(unit.code, raw_before) if raw_before else []
    counts.update(event_days=len(days), events=events, reject_files=len(old_rejects))
    session.info["audit_summary"] = {
        "action": "retention_purge_rows",
        "source": f"retention {unit.code}",
        "unit_id": unit.id,
    }
    try:
        counts.update(_purge_alerts(session, unit, policy, today))
        case_counts, stale_files = _purge_cases(session, unit, policy, today, home)
        counts.update(case_counts)
        session.flush()
    finally:
        session.info.pop("audit_summary", None)
    counts["cutoffs"] = {
        k: (c.isoformat() if (c := cutoff(policy, k, today)) else None) for k in KINDS
    }
    audit.record(session, "retention_purge", "unit", unit.id, counts, unit_id=unit.id)
    # Files last: a failure above rolls the records back before anything is deleted.
    _drop_event_days(store, unit, days)
    if raw_before is not None:  # rejected rows go with the raw events of their time
        store.drop_rejects_before(unit.code, raw_before)
    for path in stale_files:
        path.unlink(missing_ok=True)
    return counts


def seal_audit_log(
    session: Session, now: dt.datetime | None = None, home: Path | None = None
) -> dict[str, Any]:
    """Seal the one audit chain past the *longest* ``audit_log`` retention of all units
    (a unit keeping it for ever means nothing is sealed)."""
    now = now or utcnow()
    longest: int | None = 0
    for unit in session.scalars(select(Unit)):
        days = policy_for(unit, home).audit_log
        if days is None:
            longest = None
            break
        longest = max(longest or 0, days)
    if longest is None or longest == 0:
        return {"sealed": None}
    before = now - dt.timedelta(days=longest)
    sealed = seal(
        session,
        before=before,
        reason=f"retention: audit log kept {longest} days (longest of the units)",
    )
    return {"sealed": sealed.seq if sealed else None, "before": before.isoformat()}


def purge_all(session: Session, now: dt.datetime, home: Path | None = None) -> dict[str, Any]:
    """The job: purge every unit under the home's job lock, then seal the audit log."""
    home = home or get_settings().home
    out: dict[str, Any] = {}
    with job_lock("retention purge", home):
        for unit in session.scalars(select(Unit).order_by(Unit.id)):
            counts = purge_unit(session, unit=unit, now=now, home=home)
            out[unit.code] = {k: v for k, v in counts.items() if isinstance(v, int) and v}
        out["audit_log"] = seal_audit_log(session, now, home)
    return out


def settings_view(session: Session, *, unit: Unit) -> dict[str, Any]:
    """What the retention page and its JSON twin show: days kept, the raw-event minimum,
    today's cut-offs (or why the saved policy is refused), legal holds, the last purges."""
    minimum = minimum_raw_event_days(unit)
    today = local_day(unit)
    problem = None
    try:
        policy = policy_for(unit)
        values = policy.model_dump()
        cutoffs = {k: (c.isoformat() if (c := cutoff(policy, k, today)) else None) for k in KINDS}
    except KeyguardError as exc:
        problem = str(exc)
        values = dict((unit.settings or {}).get("retention") or {})
        cutoffs = dict.fromkeys(KINDS)
    held = [
        {
            "id": c.id,
            "number": c.number,
            "reason": c.legal_hold_reason,
            "by": c.legal_hold_by,
            "at": c.legal_hold_at.isoformat() if c.legal_hold_at else None,
        }
        for c in session.scalars(
            select(Case).where(Case.unit_id == unit.id, Case.legal_hold.is_(True)).order_by(Case.id)
        )
    ]
    purges = [
        {"at": e.at.isoformat(), "actor": e.actor, "counts": json.loads(e.details)}
        for e in session.scalars(
            select(AuditEntry)
            .where(AuditEntry.unit_id == unit.id, AuditEntry.action == "retention_purge")
            .order_by(AuditEntry.seq.desc())
            .limit(10)
        )
    ]
    return {
        "values": values,
        "cutoffs": cutoffs,
        "problem": problem,
        "minimum": minimum.__dict__,
        "held": held,
        "purges": purges,
        "today": today.isoformat(),
    }
