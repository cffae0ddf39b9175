"""Alert triage from the cases side: state changes (each with its history row), bulk
dismissal with a reason, the queue of alerts to look at, and the triage metrics — time to
triage, time to close, alerts per policy and how many were confirmed — so a noisy policy
shows."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.analytics.models import Alert, AlertTriage
from keyguard.errors import NotFound, RuleViolation


def set_status(
    session: Session,
    *,
    unit_id: int,
    alert_id: str,
    status: str,
    reason: str = "",
    missing_ok: bool = False,
) -> Alert | None:
    """Move an alert to a triage state through the analytics' triage service (who, when
    and why recorded; nobody triages an alert about themselves)."""
    from keyguard.analytics import service as alerts
    from keyguard.records.org.models import Unit

    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("no such unit")
    viewer = alerts.Viewer(person_id=audit.current_actor().person_id)
    try:
        return alerts.set_status(
            session, alert_id, unit=unit, viewer=viewer, status=status, reason=reason
        )
    except NotFound:
        if missing_ok:
            return None
        raise


def dismiss_alerts(session: Session, *, unit_id: int, alert_ids: list[str], reason: str) -> int:
    """Dismiss several alerts at once with one reason; alerts in an open case are refused."""
    from keyguard.cases.models import Case, CaseSubject

    if not reason.strip():
        raise RuleViolation("say why the alerts are dismissed")
    ids = sorted(set(alert_ids))
    if not ids:
        raise RuleViolation("choose the alerts to dismiss")
    in_case = session.execute(
        select(CaseSubject.ref, Case.number)
        .join(Case, Case.id == CaseSubject.case_id)
        .where(
            Case.unit_id == unit_id,
            Case.status != "closed",
            CaseSubject.kind == "alert",
            CaseSubject.ref.in_(ids),
        )
    ).first()
    if in_case is not None:
        raise RuleViolation(f"alert {in_case.ref} is in open case {in_case.number}")
    done = 0
    for alert_id in ids:
        alert = session.get(Alert, alert_id)
        if alert is None or alert.unit_id != unit_id:
            raise NotFound(f"no alert {alert_id}")
        if alert.status != "dismissed":
            set_status(
                session, unit_id=unit_id, alert_id=alert_id, status="dismissed", reason=reason
            )
            done += 1
    audit.record(
        session,
        "alerts_dismissed",
        "alert",
        None,
        {"alerts": ids, "dismissed": done, "reason": reason.strip()},
        unit_id=unit_id,
    )
    return done


def queue(
    session: Session,
    *,
    unit_id: int,
    states: tuple[str, ...] = ("new", "under_review"),
    policy_id: str | None = None,
    limit: int = 500,
) -> list[Alert]:
    """Active alerts waiting for triage, highest score first."""
    q = select(Alert).where(
        Alert.unit_id == unit_id, Alert.active.is_(True), Alert.status.in_(states)
    )
    if policy_id:
        q = q.where(Alert.policy_id == policy_id)
    return list(session.scalars(q.order_by(Alert.score.desc(), Alert.id).limit(limit)))


@dataclass(frozen=True)
class PolicyFigures:
    """Triage outcome of one policy's alerts."""

    policy_id: str
    title: str
    alerts: int
    open: int
    dismissed: int
    confirmed: int

    @property
    def decided(self) -> int:
        return self.dismissed + self.confirmed

    @property
    def confirmation_rate(self) -> float | None:
        """Confirmed ÷ decided (``None`` while none is decided)."""
        return round(self.confirmed / self.decided, 3) if self.decided else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "policy_id": self.policy_id,
            "title": self.title,
            "alerts": self.alerts,
            "open": self.open,
            "dismissed": self.dismissed,
            "confirmed": self.confirmed,
            "confirmation_rate": self.confirmation_rate,
        }


def _hours(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0, "median_hours": None, "mean_hours": None, "max_hours": None}
    return {
        "count": len(values),
        "median_hours": round(statistics.median(values), 1),
        "mean_hours": round(statistics.fmean(values), 1),
        "max_hours": round(max(values), 1),
    }


def metrics(session: Session, *, unit_id: int, since: dt.date | None = None) -> dict[str, Any]:
    """Time to triage (an alert's creation to its first change of state), time to close
    (a case opened to closed), and per policy: alerts, open, dismissed, confirmed and the
    confirmation rate. ``since`` limits them to alerts fired (cases opened) from that day."""
    from keyguard.cases.models import Case

    aq = select(Alert).where(Alert.unit_id == unit_id)
    if since is not None:
        aq = aq.where(Alert.fired_day >= since)
    alerts = list(session.scalars(aq))
    first_change: dict[str, dt.datetime] = {}
    for alert_id, at in session.execute(
        select(AlertTriage.alert_id, AlertTriage.at)
        .where(AlertTriage.unit_id == unit_id)
        .order_by(AlertTriage.at)
    ):
        first_change.setdefault(alert_id, at)
    to_triage = [
        (first_change[a.id] - a.created_at).total_seconds() / 3600
        for a in alerts
        if a.id in first_change
    ]
    per: dict[str, dict[str, Any]] = {}
    for a in alerts:
        p = per.setdefault(
            a.policy_id,
            {"title": a.policy_title, "n": 0, "open": 0, "dismissed": 0, "confirmed": 0},
        )
        p["n"] += 1
        if a.status in ("dismissed", "confirmed"):
            p[a.status] += 1
        else:
            p["open"] += 1
    policies = sorted(
        (
            PolicyFigures(pid, v["title"], v["n"], v["open"], v["dismissed"], v["confirmed"])
            for pid, v in per.items()
        ),
        key=lambda f: (-f.alerts, f.title),
    )
    cq = select(Case).where(Case.unit_id == unit_id, Case.closed_at.is_not(None))
    if since is not None:
        cq = cq.where(Case.opened_at >= dt.datetime.combine(since, dt.time(), dt.UTC))
    to_close = [
        (c.closed_at - c.opened_at).total_seconds() / 3600
        for c in session.scalars(cq)
        if c.closed_at is not None
    ]
    untriaged = sum(1 for a in alerts if a.status == "new")
    return {
        "alerts": len(alerts),
        "untriaged": untriaged,
        "time_to_triage": _hours(to_triage),
        "time_to_close": _hours(to_close),
        "policies": [p.as_dict() for p in policies],
        "noisy": [
            p.as_dict() for p in policies if p.decided >= 5 and (p.confirmation_rate or 0.0) < 0.1
        ],
    }


def queue_rows(
    session: Session, *, unit_id: int, policy_id: str | None = None
) -> list[dict[str, Any]]:
    """The triage queue as pages show it: pseudonym, policy, level, score, first day fired,
    state and the cases the alert is in."""
    from keyguard.cases.models import Case, CaseSubject
    from keyguard.cases.subjects import alert_subject
    from keyguard.records.org.models import Unit

    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("no such unit")
    rows = []
    for a in queue(session, unit_id=unit_id, policy_id=policy_id):
        s = alert_subject(session, unit, a.id)
        cases = session.scalars(
            select(Case.number)
            .join(CaseSubject, CaseSubject.case_id == Case.id)
            .where(CaseSubject.kind == "alert", CaseSubject.ref == a.id)
            .order_by(Case.id)
        )
        rows.append(
            {
                "id": a.id,
                "subject": s.pseudonym,
                "policy": a.policy_title,
                "policy_id": a.policy_id,
                "level": a.level,
                "score": round(a.score, 1),
                "day": a.fired_day.isoformat(),
                "status": a.status,
                "indicators": list(a.indicators or []),
                "cases": list(cases),
            }
        )
    return rows


def dashboard(session: Session, *, unit_id: int, viewer_person_id: int | None) -> dict[str, int]:
    """Open cases, alerts waiting for triage and overdue rectification actions."""
    from keyguard.cases import rectification, service
    from keyguard.records.org.models import Unit

    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("no such unit")
    return {
        "open": len(
            service.list_cases(
                session, unit=unit, status="active", viewer_person_id=viewer_person_id
            )
        ),
        "untriaged": len(queue(session, unit_id=unit_id, states=("new",))),
        "overdue_actions": len(rectification.list_actions(session, unit=unit, overdue=True)),
    }
