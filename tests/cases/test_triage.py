"""Triage: bulk dismissal with a reason (never of alerts in an open case), the queue, and
the metrics — time to triage, time to close, alerts per policy and their confirmation rate
(a noisy policy shows)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.analytics.models import Alert, AlertTriage
from keyguard.audit.context import Actor, actor_scope
from keyguard.cases import service, triage
from keyguard.errors import NotFound, RuleViolation

from .support import Prepared, as_account, make_alert

pytestmark = pytest.mark.pg

NOISY = ("7d0c6a46-0000-4000-8000-000000000001", "Mass e-mail")


def _noise(session: Session, p: Prepared, n: int) -> list[Alert]:
    unit = p.unit(session)
    out = []
    with actor_scope(Actor(name="test:setup")):
        for i in range(n):
            out.append(
                make_alert(
                    session,
                    unit,
                    p.person(session, "arabic"),
                    policy=NOISY,
                    days=[dt.date(2026, 9, 1) + dt.timedelta(days=3 * i)],
                    score=20 + i,
                )
            )
    session.commit()
    return out


def test_bulk_dismissal_needs_a_reason_and_spares_open_cases(session: Session, p: Prepared) -> None:
    noise = _noise(session, p, 3)
    ids = [a.id for a in noise]
    analyst = as_account(p.account(session, "analyst"))
    with actor_scope(analyst):
        with pytest.raises(RuleViolation, match="say why"):
            triage.dismiss_alerts(session, unit_id=p.unit_id, alert_ids=ids, reason=" ")
        with pytest.raises(NotFound):
            triage.dismiss_alerts(session, unit_id=p.unit_id, alert_ids=["nope"], reason="x")
        session.rollback()
        service.open_case(session, unit=p.unit(session), kind="alert", ref=p.alert_id)
        with pytest.raises(RuleViolation, match="open case C-0001"):
            triage.dismiss_alerts(
                session, unit_id=p.unit_id, alert_ids=[*ids, p.alert_id], reason="newsletter"
            )
        assert (
            triage.dismiss_alerts(
                session, unit_id=p.unit_id, alert_ids=ids, reason="the monthly newsletter"
            )
            == 3
        )
    session.commit()
    for a in noise:
        session.refresh(a)
        assert a.status == "dismissed" and a.status_reason == "the monthly newsletter"
    rows = session.scalars(select(AlertTriage).where(AlertTriage.alert_id.in_(ids))).all()
    assert {(r.from_status, r.to_status, r.actor) for r in rows} == {
        ("new", "dismissed", analyst.name)
    }
    assert [a.id for a in triage.queue(session, unit_id=p.unit_id)] == [p.alert_id]


def test_metrics_show_a_noisy_policy(
    session: Session, p: Prepared, now: Callable[[str], None]
) -> None:
    noise = _noise(session, p, 6)
    now("2026-11-20T15:00:00")  # six hours after the alerts were stored
    with actor_scope(as_account(p.account(session, "analyst"))):
        triage.dismiss_alerts(
            session, unit_id=p.unit_id, alert_ids=[a.id for a in noise], reason="newsletter"
        )
        case = service.open_case(session, unit=p.unit(session), kind="alert", ref=p.alert_id)
    now("2026-11-21T15:00:00")
    with actor_scope(as_account(p.account(session, "analyst"))):
        service.close_case(session, case=case, outcome="policy_violation", note="confirmed")
    session.commit()
    m = triage.metrics(session, unit_id=p.unit_id)
    assert m["alerts"] == 7 and m["untriaged"] == 0
    assert m["time_to_triage"]["count"] == 7 and m["time_to_triage"]["median_hours"] == 6.0
    assert m["time_to_close"] == {
        "count": 1,
        "median_hours": 24.0,
        "mean_hours": 24.0,
        "max_hours": 24.0,
    }
    by = {x["policy_id"]: x for x in m["policies"]}
    assert by[NOISY[0]]["confirmation_rate"] == 0.0 and by[NOISY[0]]["dismissed"] == 6
    assert by[p_policy(p, session)]["confirmation_rate"] == 1.0
    assert [x["policy_id"] for x in m["noisy"]] == [NOISY[0]]


def p_policy(p: Prepared, session: Session) -> str:
    alert = session.get(Alert, p.alert_id)
    assert alert is not None
    return alert.policy_id
