"""The daily job, notices about overdue findings (once each), and the compliance score's
"findings closed on time" term."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.audit.context import Actor, actor_scope
from keyguard.controls import service
from keyguard.controls.evidence import findings_closed
from keyguard.controls.hooks import scan_and_notify
from keyguard.controls.notify import notify_overdue
from keyguard.errors import JobLocked
from keyguard.plugins import get_plugin_manager
from keyguard.records.duties.score import Scope, evidence_sources, unit_score
from keyguard.scheduler.lock import job_lock
from keyguard.scheduler.models import Notification

from . import builders as b
from .builders import W
from .conftest import Scan, open_findings

CHECK = "item-without-owner"
AT = dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)


def notes(session: Session, kind: str) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification).where(Notification.kind == kind).order_by(Notification.id)
        )
    )


def test_the_daily_job_is_registered() -> None:
    jobs = {j.name: j for batch in get_plugin_manager().hook.keyguard_jobs() for j in batch}
    assert jobs["loopholes.scan"].every == dt.timedelta(days=1)
    assert jobs["loopholes.scan"].run is scan_and_notify


@pytest.mark.pg
def test_overdue_findings_notify_owner_once_then_the_level_above(
    session: Session, w: W, scan: Scan
) -> None:
    head = b.account(session, w, "head", "HEAD001", "department_head")
    director = b.account(session, w, "dir", "DIR001", "employee")
    b.item(session, w, "R1", custodian=None)
    scan(CHECK, as_of=dt.date(2026, 5, 1))  # due 2026-05-31 (medium: 30 days)
    [f] = open_findings(session, w, CHECK)
    assert f.owner_person_id == w.people["HEAD001"].id

    counts = notify_overdue(session, w.unit, AT)  # 30 days late: owner and the level above
    assert counts == {"owner": 1, "escalated": 1}
    [owner_note] = notes(session, "finding.overdue")
    assert owner_note.account_id == head.id and owner_note.link.endswith(f.id)
    assert "Item R1" in owner_note.body and "HEAD001" not in owner_note.body
    [up] = notes(session, "finding.escalated")
    assert up.account_id == director.id  # holder of the position the head reports to

    assert notify_overdue(session, w.unit, AT) == {}  # nothing twice
    service.assign_finding(session, finding=f, due=dt.date(2026, 7, 2))
    assert notify_overdue(session, w.unit, AT + dt.timedelta(days=3)) == {"owner": 1}


@pytest.mark.pg
def test_unowned_overdue_findings_go_to_the_security_office(
    session: Session, w: W, scan: Scan
) -> None:
    b.item(session, w, "R1", dept="security", owner=None, custodian="SEC001")
    w.people["SEC001"].position_id = None  # nobody holds an office position now
    scan(CHECK, as_of=dt.date(2026, 5, 1))
    [f] = open_findings(session, w, CHECK)
    assert f.owner_person_id is None and f.owner_label == "security office"
    counts = notify_overdue(session, w.unit, AT)
    officer = w.accounts["officer"]  # holds the security_officer role
    assert counts == {"escalated": 1}
    assert notes(session, "finding.escalated")[0].account_id == officer.id


@pytest.mark.pg
def test_the_job_scans_every_unit_and_sends_notices(session: Session, w: W) -> None:
    b.account(session, w, "head", "HEAD001", "department_head")
    b.item(session, w, "R1", custodian=None)
    session.flush()
    with actor_scope(Actor(name="job:loopholes.scan")):
        result = scan_and_notify(session, AT)
    assert result["units"] == 1 and result["open"] >= 1
    assert result["notices"] == {}  # nothing is due yet
    assert open_findings(session, w, CHECK)


@pytest.mark.pg
def test_findings_closed_on_time_feed_the_compliance_score(
    session: Session, w: W, scan: Scan, now: Callable[[str], None]
) -> None:
    assert "findings" in {s.key for s in evidence_sources()}
    r1 = b.item(session, w, "R1", custodian=None)
    b.item(session, w, "R2", custodian=None)
    b.item(session, w, "F1", dept="finance", custodian=None, owner="FIN001")
    scan(CHECK, as_of=dt.date(2026, 5, 1))  # all three due 2026-05-31
    r1.custodian_id = w.people["ENG002"].id
    scan(CHECK, as_of=dt.date(2026, 5, 20))  # R1 resolved on time by a scan
    found = {f.subject.split(" ")[1]: f for f in open_findings(session, w, CHECK)}
    now("2026-06-05T10:00:00+00:00")
    service.close_finding(session, finding=found["F1"], note="custodian named")  # late

    everyone = list(w.people.values())
    count = findings_closed(session, Scope(w.unit, dt.date(2026, 6, 10), everyone))
    assert (count.earned, count.possible) == (1, 3)
    present = {r.what.split(":")[1].split()[1]: r.present for r in count.rows}
    assert present == {"R1": True, "R2": False, "F1": False}
    assert all("urn:keyguard:framework:" in (r.version or "") for r in count.rows)
    before = findings_closed(session, Scope(w.unit, dt.date(2026, 5, 25), everyone))
    assert (before.earned, before.possible) == (1, 1)  # nothing was overdue yet
    staff = [w.people[k] for k in ("HEAD001", "ENG001", "ENG002")]
    research = findings_closed(
        session,
        Scope(w.unit, dt.date(2026, 6, 10), staff, department_id=w.nodes["research"].id),
    )
    assert research.possible == 2
    term = {t.key: t for t in unit_score(session, unit=w.unit, day=dt.date(2026, 6, 10)).terms}
    assert (term["findings"].earned, term["findings"].possible) == (1, 3)


@pytest.mark.pg
def test_no_scan_while_an_ingest_holds_the_job_lock(session: Session, w: W) -> None:
    b.item(session, w, "R1", custodian=None)
    session.flush()
    with job_lock("ingest cert"), pytest.raises(JobLocked, match="ingest cert"):
        scan_and_notify(session, AT)
    with pytest.raises(JobLocked):
        with job_lock("detect"):
            service.scan_unit_locked(session, unit=w.unit)
    assert open_findings(session, w, CHECK) == []
    assert service.scan_unit_locked(session, unit=w.unit, only=[CHECK]).counts["new"] == 1
