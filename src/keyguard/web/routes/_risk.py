"""The risk page's rows, one page at a time, with a constant number of queries.

``analytics.service.risk_list`` reads every stored person-day of the unit as ORM objects,
counts each person's alerts with one query per person and, on its first call in a process,
imports the whole detection pipeline (DuckDB, scikit-learn, SQLGlot — tens of seconds on a
loaded machine) only to read how the source logs spell each user, which a pseudonymised
page never shows. This helper gives the same numbers for the page: each person's latest
scored day on or before ``as_of`` (one grouped query on the primary key), decayed to
``as_of``; pseudonyms and active alert counts only for the page shown (two queries).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.analytics import service
from keyguard.analytics.config import load_config
from keyguard.analytics.days import day_no
from keyguard.analytics.models import Alert, RiskDay
from keyguard.analytics.scoring import decayed, risk_score
from keyguard.config import get_settings
from keyguard.records.org.models import Person, Unit

#: People per page of the risk list.
PAGE_SIZE = 50


def latest_scores(session: Session, unit: Unit, as_of: dt.date) -> list[dict[str, Any]]:
    """Per person: the risk of their latest scored day on or before ``as_of``, decayed to
    ``as_of`` (the same rule as ``risk_by_person(as_of=...)``); highest first."""
    cfg = load_config(get_settings().home, unit.settings)
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


def risk_page(
    session: Session,
    *,
    unit: Unit,
    viewer: service.Viewer,
    as_of: dt.date | None = None,
    page: int = 1,
) -> dict[str, Any]:
    """One page of the pseudonymised risk list (the viewer left out, zero scores left out)
    with ``page``, ``pages``, ``total`` and ``as_of``; the look is audited."""
    service.check_viewer(viewer)
    if as_of is None:
        last = session.scalar(select(func.max(RiskDay.day)).where(RiskDay.unit_id == unit.id))
        as_of = last or service.local_today(unit)
    ranked = [
        r
        for r in latest_scores(session, unit, as_of)
        if r["score"] > 0 and (viewer.person_id is None or r["person_id"] != viewer.person_id)
    ]
    pages = max(1, math.ceil(len(ranked) / PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = ranked[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    person_ids = {r["person_id"] for r in shown if r["person_id"] is not None}
    names = (
        dict(
            session.execute(
                select(Person.id, Person.pseudonym).where(Person.id.in_(person_ids))
            ).all()
        )
        if person_ids
        else {}
    )
    keys = {r["user_key"] for r in shown}
    alerts = (
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
    people = [
        {
            "user": service.display_user(
                unit.code, r["user_key"], r["user_key"], names.get(r["person_id"]), False
            ),
            "score": r["score"],
            "last_day": r["day"].isoformat(),
            "top_indicators": r["top"],
            "alerts": int(alerts.get(r["user_key"], 0)),
        }
        for r in shown
    ]
    audit.record(
        session,
        "view",
        "risk_list",
        None,
        {"as_of": as_of.isoformat(), "count": len(people), "page": page, "identified": False},
        unit_id=unit.id,
    )
    return {
        "people": people,
        "as_of": as_of.isoformat(),
        "page": page,
        "pages": pages,
        "total": len(ranked),
    }
