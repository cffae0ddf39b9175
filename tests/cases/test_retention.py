"""Retention: the raw-event minimum checked when settings load, purges of event days,
alerts, dismissed alerts and closed cases (never those on legal hold), the audit-log seal,
each purge audited with counts — and an old export re-ingested after a purge stays out."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from keyguard.analytics.models import Alert
from keyguard.audit import verify
from keyguard.audit.context import Actor, actor_scope
from keyguard.audit.models import AuditEntry, AuditSeal
from keyguard.cases import retention, service
from keyguard.cases.hooks import keyguard_jobs
from keyguard.cases.models import Case, CaseEvent, CaseSubject
from keyguard.db.session import sessionmaker_for
from keyguard.errors import ConfigError
from keyguard.events.store import REJECT_SCHEMA, EventStore
from keyguard.ingest.service import get_run, retention_keep_from
from keyguard.privacy.retention import cutoff
from keyguard.records.org.models import Unit
from keyguard.scheduler.service import tick

from .support import (
    DAYS,
    NOW,
    OLD_DAY,
    Prepared,
    as_account,
    cert_rows,
    ingest,
    make_alert,
    write_cert,
)

pytestmark = pytest.mark.pg


def _settle(session: Session, unit: Unit, **values: int | None) -> None:
    with actor_scope(Actor(name="test:admin")):
        retention.set_retention(session, unit=unit, values=values)
    session.commit()


def test_raw_events_minimum_is_checked_when_settings_load(session: Session, p: Prepared) -> None:
    unit = p.unit(session)
    minimum = retention.minimum_raw_event_days(unit)
    assert minimum.source == "policies"
    # the low-and-slow detector looks back 90 days; the baseline is the longest history window
    assert minimum.detector_days >= 90 and minimum.baseline_days >= 182
    assert minimum.days == minimum.detector_days + minimum.baseline_days
    with pytest.raises(ConfigError, match=f"the detectors need {minimum.days}"):
        _settle(session, unit, raw_events=minimum.days - 1)
    session.rollback()
    _settle(session, unit, raw_events=minimum.days, dismissed_alerts=30)
    policy = retention.policy_for(p.unit(session))
    assert policy.raw_events == minimum.days and policy.dismissed_alerts == 30
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "retention_set")).one()
    assert json.loads(entry.details)["new"]["raw_events"] == minimum.days
    # a policy saved before the detectors needed more is refused when it loads
    unit = p.unit(session)
    unit.settings = {"retention": {"raw_events": 30}}
    with pytest.raises(ConfigError, match=r"retention\.raw_events is 30 days"):
        retention.policy_for(unit)


def test_old_export_reingested_after_a_purge_stays_out(
    session: Session, p: Prepared, tmp_path: Path, home: Path, now: Callable[[str], None]
) -> None:
    store = EventStore(home)
    old = write_cert(tmp_path / "old-export", cert_rows("A001", [OLD_DAY], tag="O"))
    now("2024-06-03T09:00:00")  # back then the old day was within retention
    first = ingest(session, old)
    assert first.totals["accepted"] == 3 and OLD_DAY in store.days("unit-a")
    bad = store.rejects_dir("unit-a") / "20240603T090000Z-0000aaaa.parquet"
    bad.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.Table.from_pylist(
            [{"unit": "unit-a", "ingest_run": bad.stem, "line": 9, "reason": "bad date"}],
            schema=REJECT_SCHEMA,
        ),
        bad,
    )  # the rejected rows of that run
    now(NOW)
    unit = p.unit(session)
    with actor_scope(Actor(name="test:officer")):  # the unit decides on two years
        retention.set_retention(session, unit=unit, values={"raw_events": 730})
    with actor_scope(Actor(name="job:retention.purge")):
        counts = retention.purge_unit(session, unit=unit)
    session.commit()
    assert counts["event_days"] == 1 and counts["events"] == 3 and counts["reject_files"] == 1
    assert store.days("unit-a") == DAYS
    assert not bad.exists()
    assert not list(store.unit_dir("unit-a").glob(".purge-*"))
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "retention_purge")).one()
    assert json.loads(entry.details)["events"] == 3
    keep_from = retention_keep_from(p.unit(session))
    assert keep_from == cutoff(retention.policy_for(unit), "raw_events", dt.date(2026, 11, 20))
    again = ingest(session, old)  # no keep_from: the ingest applies the cut-off itself
    assert again.totals["outside_retention"] == 3 and again.totals["accepted"] == 0
    assert get_run(session, again.run_uid).keep_from == keep_from
    assert store.days("unit-a") == DAYS
    assert not any(d < keep_from for d in store.days("unit-a"))


def test_without_a_raw_event_period_the_event_store_is_left_alone(
    session: Session, p: Prepared, tmp_path: Path, home: Path, now: Callable[[str], None]
) -> None:
    store = EventStore(home)
    ingest(session, write_cert(tmp_path / "old-export", cert_rows("A001", [OLD_DAY], tag="O")))
    before = store.days("unit-a")
    assert OLD_DAY in before
    now(NOW)
    with actor_scope(Actor(name="job:retention.purge")):
        counts = retention.purge_unit(session, unit=p.unit(session))
    session.commit()
    assert counts["event_days"] == 0 and counts["cutoffs"]["raw_events"] is None
    assert store.days("unit-a") == before


def _close(
    session: Session, p: Prepared, alert_id: str, outcome: str, file: bytes | None = None
) -> Case:
    with actor_scope(as_account(p.account(session, "analyst"))):
        case = service.open_case(session, unit=p.unit(session), kind="alert", ref=alert_id)
        if file is not None:
            service.add_file(session, case=case, name="note.txt", data=file)
        service.close_case(session, case=case, outcome=outcome, note="investigated")
    session.commit()
    return case


def test_alerts_dismissed_alerts_and_cases_but_never_on_hold(
    session: Session, p: Prepared, home: Path, now: Callable[[str], None]
) -> None:
    unit = p.unit(session)
    zhang, arabic = p.person(session), p.person(session, "arabic")
    with actor_scope(Actor(name="test:setup")):
        ancient = make_alert(session, unit, arabic, days=[dt.date(2023, 5, 2)])
        dismissed_old = make_alert(
            session, unit, arabic, days=[dt.date(2026, 3, 2)], status="dismissed"
        )
        dismissed_new = make_alert(
            session, unit, arabic, days=[dt.date(2026, 10, 2)], status="dismissed"
        )
        held_old = make_alert(session, unit, zhang, days=[dt.date(2023, 4, 2)])
    session.commit()
    now("2026-08-01T09:00:00")
    _close(session, p, p.alert_id, "no_concern", file=b"only in the purged case")
    assert len(list(service.files_dir(p.unit(session)).glob("*"))) == 1
    held_case = _close(session, p, held_old.id, "referred")
    with actor_scope(as_account(p.account(session, "security_officer"))):
        service.set_legal_hold(session, case=held_case, on=True, reason="court order 17/2026")
        open_case = service.open_case(session, unit=unit, kind="alert", ref=dismissed_new.id)
    session.commit()
    now("2026-11-20T09:00:00")
    _settle(session, unit, cases=30)
    with actor_scope(Actor(name="job:retention.purge")):
        counts = retention.purge_unit(session, unit=p.unit(session), home=home)
    session.commit()
    remaining = set(session.scalars(select(Alert.id)))
    assert ancient.id not in remaining and dismissed_old.id not in remaining
    assert {dismissed_new.id, held_old.id} <= remaining  # fresh, and in a case on hold
    assert counts["alerts"] == 1 and counts["dismissed_alerts"] == 1
    assert counts["cases"] == 1 and counts["cases_on_hold_kept"] == 1
    cases = set(session.scalars(select(Case.id)))
    assert cases == {held_case.id, open_case.id}
    assert session.scalars(select(CaseSubject).where(CaseSubject.case_id == held_case.id)).one()
    assert not session.scalars(select(CaseEvent)).first()  # the purged case's events went
    assert not list(service.files_dir(p.unit(session)).glob("*"))


def test_the_job_purges_and_seals_the_audit_log(
    session: Session, p: Prepared, engine: Engine, now: Callable[[str], None]
) -> None:
    first_seq = session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq))
    now("2027-01-20T09:00:00")
    a, b = p.unit(session), session.get(Unit, p.world.units["b"])
    assert b is not None
    _settle(session, a, audit_log=30)
    job = next(j for j in keyguard_jobs() if j.name == "retention.purge")
    runs = tick(sessionmaker_for(engine), [job], force=True)
    assert runs[0].status == "ok", runs[0].error
    assert runs[0].result["audit_log"] == {"sealed": None}  # unit B keeps its log for ever
    _settle(session, b, audit_log=40)
    runs = tick(sessionmaker_for(engine), [job], force=True)
    assert runs[0].status == "ok", runs[0].error
    session.expire_all()
    seal = session.scalars(select(AuditSeal)).one()
    assert "kept 40 days" in seal.reason
    oldest = session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq))
    assert oldest is not None and first_seq is not None and oldest > first_seq
    assert verify(session).ok
    purges = session.scalars(select(AuditEntry).where(AuditEntry.action == "retention_purge"))
    assert {json.loads(e.details)["unit"] for e in purges} == {"unit-a", "unit-b"}
