"""A finding's life across scans: stable identity, closed by the scan that no longer finds it
(recorded with the run), reopened when it returns, fixed or accepted by a person; owners
and due dates from the records and the unit's settings; the audit trail; a broken check
not stopping the others; inputs that are absent."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.audit.models import AuditEntry
from keyguard.controls import service
from keyguard.controls.models import ControlRun, Finding, FindingEvent
from keyguard.controls.queries import _REGISTRY
from keyguard.controls.scan import finding_id

from . import builders as b
from .builders import AS_OF, W
from .conftest import Scan, open_findings

CHECK = "item-without-owner"


def events_of(session: Session, f: Finding) -> list[str]:
    return [e.kind for e in service.finding_history(session, finding=f)]


@pytest.mark.pg
def test_identity_is_stable_and_findings_close_and_reopen(
    session: Session, w: W, scan: Scan
) -> None:
    it = b.item(session, w, "R1", custodian=None)
    first = scan(CHECK)
    [f] = open_findings(session, w, CHECK)
    assert f.id == finding_id(w.unit.code, CHECK, f"item:{it.id}")
    assert first.outcomes[0].new == 1

    again = scan(CHECK)
    assert again.outcomes[0].new == 0 and open_findings(session, w, CHECK)[0].id == f.id
    assert session.scalar(select(Finding.first_run_id).where(Finding.id == f.id)) == first.run.id

    it.custodian_id = w.people["ENG002"].id
    gone = scan(CHECK)
    session.refresh(f)
    assert (f.status, f.resolution) == ("closed", "resolved")
    assert f.closed_by == f"control_run:{gone.run.id}" and f.closed_on == AS_OF
    resolved = session.scalar(
        select(FindingEvent).where(FindingEvent.finding_id == f.id, FindingEvent.kind == "resolved")
    )
    assert resolved is not None and resolved.run_id == gone.run.id
    assert gone.outcomes[0].closed == 1

    it.custodian_id = None
    back = scan(CHECK)
    session.refresh(f)
    assert f.status == "open" and f.reopen_count == 1 and f.resolution is None
    assert back.outcomes[0].reopened == 1
    assert events_of(session, f) == ["opened", "resolved", "reopened"]


@pytest.mark.pg
def test_fixed_by_hand_but_still_there_reopens(session: Session, w: W, scan: Scan) -> None:
    b.item(session, w, "R1", custodian=None)
    scan(CHECK)
    [f] = open_findings(session, w, CHECK)
    with pytest.raises(Exception, match="say what was done"):
        service.close_finding(session, finding=f, note=" ")
    service.close_finding(session, finding=f, note="custodian named on paper")
    assert (f.status, f.resolution, f.closed_on) == ("closed", "fixed", AS_OF)
    scan(CHECK)
    session.refresh(f)
    assert f.status == "open" and f.reopen_count == 1
    assert events_of(session, f) == ["opened", "closed", "reopened"]


@pytest.mark.pg
def test_accepted_risk_stays_closed_until_its_day(session: Session, w: W, scan: Scan) -> None:
    b.item(session, w, "R1", custodian=None)
    scan(CHECK)
    [f] = open_findings(session, w, CHECK)
    with pytest.raises(Exception, match="after today"):
        service.accept_finding(session, finding=f, note="x", until=AS_OF)
    service.accept_finding(session, finding=f, note="archive box", until=dt.date(2026, 7, 15))
    scan(CHECK)
    session.refresh(f)
    assert (f.status, f.resolution) == ("closed", "accepted")
    scan(CHECK, as_of=dt.date(2026, 7, 16))
    session.refresh(f)
    assert f.status == "open" and f.opened_on == dt.date(2026, 7, 16)


@pytest.mark.pg
def test_owner_and_due_date_come_from_records_and_settings(
    session: Session, w: W, scan: Scan
) -> None:
    b.item(session, w, "R1", custodian=None)
    b.item(session, w, "F1", dept="finance", owner=None, custodian="FIN001")
    scan(CHECK)
    found = {f.subject.split(" ")[1]: f for f in open_findings(session, w, CHECK)}
    assert found["R1"].owner_person_id == w.people["HEAD001"].id
    assert found["F1"].owner_person_id == w.people["FIN001"].id
    assert found["R1"].owner_label == "head of Company / Research"
    assert found["R1"].due_on == AS_OF + dt.timedelta(days=30)  # medium

    w.unit.settings = {"controls": {"due_days": {"medium": 10}}}
    b.item(session, w, "R2", custodian=None)
    service.assign_finding(
        session, finding=found["R1"], owner=w.people["SEC001"], due=dt.date(2026, 7, 3)
    )
    scan(CHECK)
    found = {f.subject.split(" ")[1]: f for f in open_findings(session, w, CHECK)}
    assert found["R2"].due_on == AS_OF + dt.timedelta(days=10)
    assert found["R1"].owner_person_id == w.people["SEC001"].id  # a person's choice stays
    assert found["R1"].due_on == dt.date(2026, 7, 3)
    with pytest.raises(Exception, match="in the past"):
        service.assign_finding(session, finding=found["R2"], due=dt.date(2026, 6, 1))
    b.leave(session, w.people["ACC001"], dt.date(2026, 5, 31))
    with pytest.raises(Exception, match="has left"):
        service.assign_finding(session, finding=found["R2"], owner=w.people["ACC001"])


@pytest.mark.pg
def test_scans_and_looks_are_audited(session: Session, w: W, scan: Scan) -> None:
    b.item(session, w, "R1", custodian=None)
    result = scan(CHECK)
    entries = list(session.scalars(select(AuditEntry).where(AuditEntry.action == "loophole_scan")))
    summary = [e for e in entries if e.object_type == "bulk"]
    assert any("control_finding" in json.loads(e.details)["changes"] for e in summary)
    run_entry = [e for e in entries if e.object_type == "control_run"]
    assert run_entry[-1].object_id == str(result.run.id) and run_entry[-1].actor == "test:scan"
    [f] = open_findings(session, w, CHECK)
    service.get_finding(session, unit=w.unit, finding_id=f.id, identified=False)
    service.assign_finding(session, finding=f, owner=w.people["SEC001"])
    session.flush()
    looks = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "view", AuditEntry.object_id == f.id)
    ).all()
    assert looks and json.loads(looks[-1].details)["identified"] is False
    changed = session.scalars(
        select(AuditEntry).where(
            AuditEntry.object_type == "control_finding", AuditEntry.action == "update"
        )
    ).all()
    assert any(json.loads(e.details).get("owner_assigned") is True for e in changed)


@pytest.mark.pg
def test_a_failing_check_does_not_stop_the_others(
    session: Session, w: W, scan: Scan, monkeypatch: pytest.MonkeyPatch
) -> None:
    b.item(session, w, "R1", custodian=None)

    def boom(ctx: object, params: object) -> list[object]:
        raise RuntimeError("disk on fire")

    broken = dataclasses.replace(_REGISTRY["grants.unreviewed"], run=boom)
    monkeypatch.setitem(_REGISTRY, "grants.unreviewed", broken)
    result = scan(CHECK, "grant-never-reviewed")
    states = {o.check.id: (o.state, o.error) for o in result.outcomes}
    assert states["grant-never-reviewed"][0] == "failed"
    assert "disk on fire" in (states["grant-never-reviewed"][1] or "")
    assert states[CHECK][0] == "ran" and open_findings(session, w, CHECK)
    run = session.get(ControlRun, result.run.id)
    assert run is not None and run.status == "ok" and run.counts["failed"] == 1


@pytest.mark.pg
def test_checks_without_their_inputs_are_not_applicable(
    session: Session, w: W, scan: Scan, home: Path
) -> None:
    b.leave(session, w.people["ENG001"], dt.date(2026, 5, 31))
    b.write_events(
        home,
        w.unit.code,
        [
            b.ev("ENG001", "PC-1", "2026-06-10T08:00:00"),
            b.ev("ENG002", "PC-2", "2026-06-29T08:00:00"),
        ],
    )
    result = scan()
    states = {o.check.id: o for o in result.outcomes}
    assert states["access-without-grant"].state == "not_applicable"
    assert states["access-without-grant"].reason == "not applicable: no register"
    assert states["removable-media-on-locked-host"].reason == (
        "not applicable: no hosts register (hosts import)"
    )
    assert states["duty-without-holder"].reason == "not applicable: no duty assignments"
    assert states["leaver-account-logs-on"].state == "ran"
    assert states["leaver-account-logs-on"].open == 1
    assert states["approver-promoted-before-approval"].state == "ran"
    applicable = {s.check.id: s for s in service.check_states(session, unit=w.unit)}
    assert applicable["grant-never-reviewed"].reason == "not applicable: no register"
    assert applicable["unknown-account-in-logs"].state == "applicable"
    assert applicable["grant-never-reviewed"].last is not None


@pytest.mark.pg
def test_what_someone_without_identities_sees(session: Session, w: W, scan: Scan) -> None:
    it = b.item(session, w, "R1")
    b.grant(session, w, to="ENG001", it=it)
    b.leave(session, w.people["ENG001"], dt.date(2026, 5, 31))
    scan("leaver-grants-live")
    [f] = open_findings(session, w, "leaver-grants-live")
    masked = service.finding_view(session, unit=w.unit, finding=f, identified=False, history=True)
    text = json.dumps(masked)
    assert "ENG001" not in text and "Name Eng001" not in text
    alias = w.people["ENG001"].pseudonym
    assert alias in masked["subject"] and masked["evidence"][0]["grantee"] == alias
    plain = service.finding_view(session, unit=w.unit, finding=f, identified=True, history=True)
    assert plain["evidence"][0]["grantee"] == "ENG001" and "ENG001" in plain["subject"]
