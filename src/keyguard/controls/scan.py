"""A scan: run every check of a unit, turn hits into findings, close what is gone.

A finding's id is a hash of (unit, check id, subject key), so a re-run updates the same
finding. Per check that ran: a new subject opens a finding (owner and due date from the
records, see ``owners``); a subject seen again updates its evidence and severity; an open
finding whose subject is no longer found is closed as ``resolved`` by the run; a closed one
found again is reopened (an ``accepted`` one only after its acceptance ends). A check that
is disabled, not applicable (its inputs are absent) or failed leaves its findings alone.
Every change is written to the audit chain (one summary entry per flush, and one entry per
run) and to the finding's history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import traceback
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.config import utcnow
from keyguard.controls.checks import Check, load_checks
from keyguard.controls.context import QueryContext
from keyguard.controls.inputs import available_inputs, not_applicable_reason
from keyguard.controls.models import ControlRun, Finding, FindingEvent
from keyguard.controls.owners import OwnerResolver, due_on
from keyguard.controls.queries import Hit, registry
from keyguard.errors import NotFound
from keyguard.events.store import EventStore
from keyguard.records.org.models import Unit


def finding_id(unit_code: str, check_id: str, subject_key: str) -> str:
    """The stable id of a finding: SHA-256 of unit, check and subject (32 hex digits)."""
    text = f"{unit_code}\x1f{check_id}\x1f{subject_key}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def local_day(unit: Unit, at: dt.datetime) -> dt.date:
    return at.astimezone(zoneinfo.ZoneInfo(unit.timezone)).date()


@dataclass
class CheckOutcome:
    """What one check did in a run."""

    check: Check
    state: str  # ran | not_applicable | disabled | failed
    reason: str | None = None
    hits: int = 0
    new: int = 0
    reopened: int = 0
    closed: int = 0
    open: int = 0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "reason": self.reason,
            "hits": self.hits,
            "new": self.new,
            "reopened": self.reopened,
            "closed": self.closed,
            "open": self.open,
            "error": self.error,
        }


@dataclass
class ScanResult:
    run: ControlRun
    outcomes: list[CheckOutcome] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        keys = ("hits", "new", "reopened", "closed", "open")
        out = {k: sum(getattr(o, k) for o in self.outcomes) for k in keys}
        for state in ("ran", "not_applicable", "disabled", "failed"):
            out[state] = sum(o.state == state for o in self.outcomes)
        return out


@contextmanager
def _summarised(session: Session, unit_id: int, source: str) -> Iterator[None]:
    """Log the scan's changes as one audit entry per flush (not one per finding)."""
    before = session.info.get("audit_summary")
    session.info["audit_summary"] = {
        "action": "loophole_scan",
        "source": source,
        "unit_id": unit_id,
    }
    try:
        yield
        session.flush()
    finally:
        if before is None:
            session.info.pop("audit_summary", None)
        else:
            session.info["audit_summary"] = before


class _Writer:
    """Applies one check's hits to the findings of the unit."""

    def __init__(self, ctx: QueryContext, run: ControlRun, now: dt.datetime) -> None:
        self.ctx, self.run, self.now = ctx, run, now
        self.owners = OwnerResolver(ctx)
        self.actor = audit.current_actor().name

    def _event(self, f: Finding, kind: str, note: str = "", **details: Any) -> None:
        self.ctx.session.add(
            FindingEvent(
                unit_id=f.unit_id,
                finding_id=f.id,
                at=self.now,
                run_id=self.run.id,
                actor=self.actor,
                kind=kind,
                note=note,
                details=details,
            )
        )

    def _assign_defaults(self, f: Finding, check: Check, hit: Hit) -> None:
        if not f.owner_assigned:
            owner = self.owners.resolve(check.owner, hit)
            f.owner_person_id, f.owner_label = owner.person_id, owner.label[:300]
        if not f.due_assigned:
            f.due_on = due_on(self.ctx.unit, check.severity, f.opened_on, check.due_days)

    def _fill(self, f: Finding, check: Check, hit: Hit) -> None:
        f.check_title, f.severity, f.supports = check.title, check.severity, check.supports
        f.subject, f.subject_masked = hit.subject, hit.subject_masked
        f.person_id, f.item_id, f.department_id = hit.person_id, hit.item_id, hit.department_id
        f.evidence = hit.evidence
        f.evidence_total = (
            hit.evidence_total if hit.evidence_total is not None else len(hit.evidence)
        )
        f.details = hit.details
        f.last_seen_at, f.last_run_id = self.now, self.run.id

    def apply(self, check: Check, hits: list[Hit], outcome: CheckOutcome) -> None:
        session, unit = self.ctx.session, self.ctx.unit
        existing = {
            f.id: f
            for f in session.scalars(
                select(Finding).where(Finding.unit_id == unit.id, Finding.check_id == check.id)
            )
        }
        seen: set[str] = set()
        for hit in hits:
            fid = finding_id(unit.code, check.id, hit.key)
            if fid in seen:
                continue
            seen.add(fid)
            f = existing.get(fid)
            if f is None:
                f = Finding(
                    id=fid,
                    unit_id=unit.id,
                    check_id=check.id,
                    subject_key=hit.key,
                    status="open",
                    opened_on=self.ctx.as_of,
                    first_seen_at=self.now,
                    first_run_id=self.run.id,
                    reopen_count=0,
                    owner_assigned=False,
                    due_assigned=False,
                    close_note="",
                )
                self._fill(f, check, hit)
                self._assign_defaults(f, check, hit)
                session.add(f)
                session.flush()
                self._event(f, "opened", f.subject_masked, severity=f.severity)
                outcome.new += 1
            else:
                old_severity = f.severity
                self._fill(f, check, hit)
                if f.status == "closed" and self._returns(f):
                    self._event(f, "reopened", f"found again after {f.resolution}")
                    f.status, f.resolution, f.reopen_count = "open", None, f.reopen_count + 1
                    f.opened_on, f.closed_at, f.closed_on = self.ctx.as_of, None, None
                    f.closed_by, f.accepted_until, f.due_assigned = None, None, False
                    outcome.reopened += 1
                if old_severity != f.severity:
                    self._event(f, "severity", f"{old_severity} → {f.severity}")
                if f.status == "open":
                    self._assign_defaults(f, check, hit)
            outcome.open += f.status == "open"
        for f in existing.values():
            if f.id in seen or f.status != "open":
                continue
            f.status, f.resolution = "closed", "resolved"
            f.closed_at, f.closed_on = self.now, self.ctx.as_of
            f.closed_by = f"control_run:{self.run.id}"
            self._event(f, "resolved", "the condition is no longer found")
            outcome.closed += 1

    def _returns(self, f: Finding) -> bool:
        if f.resolution == "accepted":
            return f.accepted_until is None or f.accepted_until < self.ctx.as_of
        return True


def _horizon(store: EventStore, unit: Unit, as_of: dt.date) -> dt.date | None:
    days = [d for d in store.days(unit.code) if d <= as_of]
    return days[-1] if days else None


def scan_unit(
    session: Session,
    *,
    unit: Unit,
    as_of: dt.date | None = None,
    checks: list[Check] | None = None,
    only: list[str] | None = None,
    store: EventStore | None = None,
    now: dt.datetime | None = None,
) -> ScanResult:
    """Run the checks (all loaded ones, or ``only`` these ids) over ``unit`` as of ``as_of``
    (default: the unit's today) and update its findings."""
    now = now or utcnow()
    as_of = as_of or local_day(unit, now)
    store = store or EventStore()
    checks = load_checks() if checks is None else checks
    if only:
        unknown = sorted(set(only) - {c.id for c in checks})
        if unknown:
            raise NotFound(f"no check {', '.join(unknown)}")
        checks = [c for c in checks if c.id in only]
    available = available_inputs(session, unit, store)
    run = ControlRun(
        unit_id=unit.id,
        started_at=now,
        as_of=as_of,
        horizon=_horizon(store, unit, as_of),
        actor=audit.current_actor().name,
        status="running",
        checks={},
        counts={},
    )
    result = ScanResult(run)
    ctx = QueryContext(session, unit, as_of, store, run.horizon)
    try:
        with _summarised(session, unit.id, "control_run:new"):
            session.add(run)
        writer = _Writer(ctx, run, now)
        queries = registry()
        source = f"control_run:{run.id}"
        for check in checks:
            outcome = CheckOutcome(check, "ran")
            result.outcomes.append(outcome)
            if not check.enabled:
                outcome.state, outcome.reason = "disabled", "disabled in its check file"
                continue
            reason = not_applicable_reason(check.inputs, available)
            if reason:
                outcome.state, outcome.reason = "not_applicable", reason
                continue
            ctx.max_evidence = check.max_evidence
            try:
                with session.begin_nested(), _summarised(session, unit.id, source):
                    hits = queries[check.query].run(ctx, dict(check.params))
                    outcome.hits = len(hits)
                    writer.apply(check, hits, outcome)
            except Exception as exc:  # a broken check must not stop the others
                outcome.state = "failed"
                outcome.error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
                outcome.new = outcome.reopened = outcome.closed = outcome.open = 0
        run.checks = {o.check.id: o.as_dict() for o in result.outcomes}
        run.counts = result.counts
        run.status, run.finished_at = "ok", utcnow()
        with _summarised(session, unit.id, source):
            session.add(run)  # already there: the context flushes the run's results
        audit.record(
            session,
            "loophole_scan",
            "control_run",
            run.id,
            {"as_of": as_of.isoformat(), "counts": run.counts},
            unit_id=unit.id,
        )
    finally:
        ctx.close()
    return result


def scan_all(session: Session, now: dt.datetime) -> dict[str, int]:
    """The daily job: scan every unit."""
    totals: dict[str, int] = {"units": 0}
    for unit in session.scalars(select(Unit).order_by(Unit.id)):
        result = scan_unit(session, unit=unit, now=now)
        totals["units"] += 1
        for k, v in result.counts.items():
            totals[k] = totals.get(k, 0) + v
    return totals
