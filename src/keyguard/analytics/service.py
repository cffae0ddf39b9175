"""The analytics service: the alert queue, one alert, triage, and the risk list — the only
entry point for the web, API and CLI layers. Every read of an alert or the risk list is
audited; nobody sees alerts about themselves; department heads see no alerts or risk."""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.analytics.config import load_config
from keyguard.analytics.days import day_no
from keyguard.analytics.models import TRIAGE_STATES, Alert, AlertTriage, RiskDay
from keyguard.analytics.scoring import decayed, risk_score
from keyguard.audit.context import current_actor
from keyguard.config import get_settings, utcnow
from keyguard.errors import NotFound, PermissionDenied, RuleViolation
from keyguard.privacy.pseudonyms import pseudonym
from keyguard.records.org.models import Person, Unit


@dataclass(frozen=True)
class Viewer:
    """Who is looking: their own person (never shown their own alerts) and whether they may
    see the real user names (CLI exports without ``--pseudonymised``)."""

    person_id: int | None = None
    identify: bool = False
    department_head: bool = False


def check_viewer(viewer: Viewer) -> None:
    """Department heads never see alerts or risk."""
    if viewer.department_head:
        raise PermissionDenied("department heads do not see alerts or risk scores")


def display_user(
    unit_code: str,
    user_key: str,
    source_user: str,
    person_pseudonym: str | None,
    identify: bool,
    home: Path | None = None,
) -> str:
    """The user as written in the logs, or their pseudonym."""
    if identify:
        return source_user
    return person_pseudonym or pseudonym(unit_code, user_key, home)


def _pseudonyms(session: Session, unit: Unit) -> dict[int, str]:
    return dict(
        session.execute(select(Person.id, Person.pseudonym).where(Person.unit_id == unit.id)).all()
    )


def list_alerts(
    session: Session,
    *,
    unit: Unit,
    viewer: Viewer,
    status: str | None = None,
    policy_id: str | None = None,
    include_inactive: bool = False,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """The alert queue, highest score first (the viewer's own alerts left out)."""
    check_viewer(viewer)
    q = select(Alert).where(Alert.unit_id == unit.id)
    if not include_inactive:
        q = q.where(Alert.active)
    if status:
        if status not in TRIAGE_STATES:
            raise RuleViolation(f"unknown status {status!r}")
        q = q.where(Alert.status == status)
    if policy_id:
        q = q.where(Alert.policy_id == policy_id)
    if viewer.person_id is not None:
        q = q.where((Alert.person_id.is_(None)) | (Alert.person_id != viewer.person_id))
    q = q.order_by(Alert.score.desc(), Alert.fired_day, Alert.id).limit(limit)
    names = _pseudonyms(session, unit)
    rows = [
        alert_summary(a, unit, names.get(a.person_id or -1), viewer) for a in session.scalars(q)
    ]
    audit.record(
        session,
        "view",
        "alert_queue",
        None,
        {"count": len(rows), "status": status, "identified": viewer.identify},
        unit_id=unit.id,
    )
    return rows


def alert_summary(
    a: Alert, unit: Unit, person_pseudonym: str | None, viewer: Viewer
) -> dict[str, Any]:
    return {
        "id": a.id,
        "user": display_user(
            unit.code, a.user_key, a.source_user, person_pseudonym, viewer.identify
        ),
        "policy_id": a.policy_id,
        "policy": a.policy_title,
        "policy_version": a.policy_version,
        "level": a.level,
        "score": a.score,
        "first_day": a.first_day.isoformat(),
        "fired_day": a.fired_day.isoformat(),
        "last_day": a.last_day.isoformat(),
        "indicators": list(a.indicators),
        "status": a.status,
        "active": a.active,
        "fired_days": list(a.fired_days),
        "notes": list(a.notes),
    }


def get_alert(session: Session, alert_id: str, *, unit: Unit, viewer: Viewer) -> Alert:
    """One alert of the unit (audited view); never the viewer's own."""
    check_viewer(viewer)
    alert = session.get(Alert, alert_id)
    if (
        alert is None
        or alert.unit_id != unit.id
        or (viewer.person_id is not None and alert.person_id == viewer.person_id)
    ):
        raise NotFound(f"no alert {alert_id}")
    audit.record(
        session, "view", "alert", alert.id, {"identified": viewer.identify}, unit_id=unit.id
    )
    return alert


def set_status(
    session: Session,
    alert_id: str,
    *,
    unit: Unit,
    viewer: Viewer,
    status: str,
    reason: str | None = None,
) -> Alert:
    """Move an alert to a triage state (dismissal needs a reason); recorded and audited."""
    alert = get_alert(session, alert_id, unit=unit, viewer=viewer)
    if status not in TRIAGE_STATES:
        raise RuleViolation(f"unknown status {status!r}; one of {', '.join(TRIAGE_STATES)}")
    reason = (reason or "").strip() or None
    if status == "dismissed" and not reason:
        raise RuleViolation("dismissing an alert needs a reason")
    if status == alert.status:
        return alert
    actor = current_actor().name
    session.add(
        AlertTriage(
            unit_id=unit.id,
            alert_id=alert.id,
            at=utcnow(),
            actor=actor,
            from_status=alert.status,
            to_status=status,
            reason=reason,
        )
    )
    alert.status, alert.status_reason = status, reason
    alert.status_by, alert.status_at = actor, utcnow()
    session.flush()
    return alert


def triage_history(session: Session, alert_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(AlertTriage)
        .where(AlertTriage.alert_id == alert_id)
        .order_by(AlertTriage.at, AlertTriage.id)
    )
    return [
        {
            "at": r.at.isoformat(),
            "actor": r.actor,
            "from": r.from_status,
            "to": r.to_status,
            "reason": r.reason,
        }
        for r in rows
    ]


def local_today(unit: Unit) -> dt.date:
    return utcnow().astimezone(zoneinfo.ZoneInfo(unit.timezone or "UTC")).date()


#: People per page of the risk list.
RISK_PAGE_SIZE = 50


def latest_scores(
    session: Session, unit: Unit, as_of: dt.date, home: Path | None = None
) -> list[dict[str, Any]]:
    """Per person: the risk of their latest scored day on or before ``as_of``, decayed to
    ``as_of``; highest first. One grouped query on the primary key, whatever the history."""
    cfg = load_config(home or get_settings().home, unit.settings)
    last = (
        select(RiskDay.user_key, func.max(RiskDay.day).label("day"))
        .where(RiskDay.unit_id == unit.id, RiskDay.day <= as_of)
        .group_by(RiskDay.user_key)
        .subquery()
    )
    rows = session.execute(
        select(
            RiskDay.user_key,
            RiskDay.person_id,
            RiskDay.day,
            RiskDay.raw,
            RiskDay.boost,
            RiskDay.top_indicators,
        ).join(
            last,
            and_(
                RiskDay.unit_id == unit.id,
                RiskDay.user_key == last.c.user_key,
                RiskDay.day == last.c.day,
            ),
        )
    )
    to_day = day_no(as_of)
    out = [
        {
            "user_key": key,
            "person_id": person_id,
            "day": day,
            "score": risk_score(decayed(raw, day_no(day), to_day, cfg), boost, cfg),
            "top": list(top or []),
        }
        for key, person_id, day, raw, boost, top in rows
    ]
    return sorted(out, key=lambda r: (-r["score"], r["user_key"]))


def risk_by_person(
    session: Session,
    *,
    unit: Unit,
    start: dt.date | None = None,
    end: dt.date | None = None,
    as_of: dt.date | None = None,
    home: Path | None = None,
) -> list[dict[str, Any]]:
    """Per person: the peak daily risk over ``start..end`` (default: all days), or with
    ``as_of`` the risk decayed to that day. Highest first."""
    if as_of is not None:
        return latest_scores(session, unit, as_of, home)
    best: dict[str, dict[str, Any]] = {}
    q = select(RiskDay).where(RiskDay.unit_id == unit.id)
    if start is not None:
        q = q.where(RiskDay.day >= start)
    if end is not None:
        q = q.where(RiskDay.day <= end)
    for r in session.scalars(q.order_by(RiskDay.user_key, RiskDay.day)):
        if r.user_key not in best or r.score > best[r.user_key]["score"]:
            best[r.user_key] = {
                "user_key": r.user_key,
                "person_id": r.person_id,
                "score": r.score,
                "day": r.day,
                "top": list(r.top_indicators),
            }
    return sorted(best.values(), key=lambda x: (-x["score"], x["user_key"]))


def _ranked(
    session: Session, unit: Unit, viewer: Viewer, as_of: dt.date | None
) -> tuple[dt.date, list[dict[str, Any]]]:
    """``as_of`` (default: the last day with data) and the people with a risk above zero on
    it, highest first, the viewer left out."""
    check_viewer(viewer)
    if as_of is None:
        last = session.scalar(select(func.max(RiskDay.day)).where(RiskDay.unit_id == unit.id))
        as_of = last or local_today(unit)
    ranked = [
        r
        for r in latest_scores(session, unit, as_of)
        if r["score"] > 0 and (viewer.person_id is None or r["person_id"] != viewer.person_id)
    ]
    return as_of, ranked


def _risk_rows(
    session: Session, unit: Unit, viewer: Viewer, shown: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The shown people as rows: pseudonyms (or, for a viewer who identifies, the user as
    the logs spell it) and their active alerts — a constant number of queries."""
    person_ids = {r["person_id"] for r in shown if r["person_id"] is not None}
    names: dict[int, str] = (
        dict(
            session.execute(
                select(Person.id, Person.pseudonym).where(Person.id.in_(person_ids))
            ).all()
        )
        if person_ids
        else {}
    )
    keys = {r["user_key"] for r in shown}
    alerts: dict[str, int] = (
        dict(
            session.execute(
                select(Alert.user_key, func.count())
                .where(Alert.unit_id == unit.id, Alert.active, Alert.user_key.in_(keys))
                .group_by(Alert.user_key)
            ).all()
        )
        if keys
        else {}
    )
    spell: dict[str, str] = {}
    if viewer.identify:  # how the logs spell each user: read only when it is shown
        from keyguard.analytics.run import source_users

        spell = source_users(get_settings().home, unit.code)
    return [
        {
            "user": display_user(
                unit.code,
                r["user_key"],
                spell.get(r["user_key"], r["user_key"]),
                names.get(r["person_id"] or -1),
                viewer.identify,
            ),
            "user_key": r["user_key"] if viewer.identify else None,
            "score": r["score"],
            "last_day": r["day"].isoformat(),
            "top_indicators": r["top"],
            "alerts": int(alerts.get(r["user_key"], 0)),
        }
        for r in shown
    ]


def _audit_risk_view(
    session: Session, unit: Unit, viewer: Viewer, as_of: dt.date, count: int, **extra: Any
) -> None:
    audit.record(
        session,
        "view",
        "risk_list",
        None,
        {"as_of": as_of.isoformat(), "count": count, **extra, "identified": viewer.identify},
        unit_id=unit.id,
    )


def risk_list(
    session: Session, *, unit: Unit, viewer: Viewer, as_of: dt.date | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """The risk list for analysts: each person's risk on ``as_of`` (default: the last day
    with data), pseudonymised unless the viewer identifies; the viewer left out."""
    as_of, ranked = _ranked(session, unit, viewer, as_of)
    rows = _risk_rows(session, unit, viewer, ranked[:limit])
    _audit_risk_view(session, unit, viewer, as_of, len(rows))
    return rows


def risk_page(
    session: Session,
    *,
    unit: Unit,
    viewer: Viewer,
    as_of: dt.date | None = None,
    page: int = 1,
) -> dict[str, Any]:
    """One page of the risk list (``RISK_PAGE_SIZE`` people) with ``page``, ``pages``,
    ``total`` and ``as_of``; the look is audited."""
    as_of, ranked = _ranked(session, unit, viewer, as_of)
    pages = max(1, math.ceil(len(ranked) / RISK_PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = ranked[(page - 1) * RISK_PAGE_SIZE : page * RISK_PAGE_SIZE]
    people = _risk_rows(session, unit, viewer, shown)
    _audit_risk_view(session, unit, viewer, as_of, len(people), page=page)
    return {
        "people": people,
        "as_of": as_of.isoformat(),
        "page": page,
        "pages": pages,
        "total": len(ranked),
    }
