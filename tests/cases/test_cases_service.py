"""Cases: escalation from an alert (events copied with every column), links, investigator,
closing outcomes and their effect on alert triage, legal hold, the analytics booster and the
refresher after "no concern"."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.analytics.models import Alert, AlertTriage
from keyguard.audit.context import actor_scope
from keyguard.cases import service
from keyguard.cases.models import Case, CaseAction, CaseEvent
from keyguard.cases.retention import _drop_event_days
from keyguard.errors import NotFound, RuleViolation
from keyguard.events.schema import FIELDS
from keyguard.events.store import EventStore
from keyguard.records.education.models import RefresherReason, TrainingAssignment
from keyguard.records.education.service import load_builtin_courses

from .support import DAYS, Prepared, as_account, make_alert, make_finding

pytestmark = pytest.mark.pg


def _open(session: Session, p: Prepared, key: str = "analyst") -> Case:
    with actor_scope(as_account(p.account(session, key))):
        case = service.open_case(session, unit=p.unit(session), kind="alert", ref=p.alert_id)
    session.commit()
    return case


def test_escalating_an_alert_copies_every_event_column(
    session: Session, p: Prepared, home: Path
) -> None:
    case = _open(session, p)
    assert case.number == "C-0001" and case.status == "open"
    assert case.subject_pseudonym == p.person(session).pseudonym
    copied = {
        e.event_id: e
        for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))
    }
    assert len(copied) == 9  # three copies to removable media on each of three days
    store = EventStore(home)
    for event_id, row in copied.items():
        original = store.event("unit-a", event_id, row.local_date)
        for name in FIELDS:
            assert getattr(row, name) == original[name], (event_id, name)
        assert row.source_file == "file.csv" and row.source_line >= 2
        assert row.ingest_run == p.ingest.run_uid
    # the alert is now under review, with its history
    alert = session.get(Alert, p.alert_id)
    assert alert is not None and alert.status == "under_review"
    assert (
        session.scalar(select(AlertTriage.to_status).where(AlertTriage.alert_id == p.alert_id))
        == "under_review"
    )
    kinds = list(
        session.scalars(
            select(CaseAction.kind).where(CaseAction.case_id == case.id).order_by(CaseAction.id)
        )
    )
    assert kinds[:3] == ["opened", "linked", "events_attached"]
    # a purge of the event store cannot break the case
    _drop_event_days(store, p.unit(session), DAYS)
    assert store.days("unit-a") == []
    session.expire_all()
    assert len(list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)))) == 9
    # the same alert cannot open a second case while the first is open
    with pytest.raises(RuleViolation, match="already in case C-0001"):
        _open(session, p)


def test_links_investigator_and_closing(session: Session, p: Prepared) -> None:
    case = _open(session, p)
    unit = p.unit(session)
    finding = make_finding(session, unit, p.person(session))
    other = make_alert(session, unit, p.person(session, "arabic"))
    with actor_scope(as_account(p.account(session, "analyst"))):
        service.link_subject(session, case=case, kind="finding", ref=finding.id)
        with pytest.raises(RuleViolation, match="about someone else"):
            service.link_subject(session, case=case, kind="alert", ref=other.id)
        with pytest.raises(NotFound):
            service.link_subject(session, case=case, kind="alert", ref="nope")
        with pytest.raises(RuleViolation, match="may not work cases"):
            service.assign(session, case=case, account=p.account(session, "employee"))
        service.assign(session, case=case, account=p.account(session, "analyst"))
        assert case.status == "investigating"
        with pytest.raises(RuleViolation, match="say what"):
            service.close_case(session, case=case, outcome="referred", note=" ")
        with pytest.raises(RuleViolation, match="unknown outcome"):
            service.close_case(session, case=case, outcome="guilty", note="x")
        service.close_case(session, case=case, outcome="referred", note="handed to the police")
        with pytest.raises(RuleViolation, match="closed"):
            service.add_note(session, case=case, text="too late")
    assert case.decided_on == dt.date(2026, 11, 20)
    alert = session.get(Alert, p.alert_id)
    assert alert is not None and alert.status == "confirmed"
    assert "handed to the police" in (alert.status_reason or "")


def test_nobody_sees_a_case_about_themselves(session: Session, p: Prepared) -> None:
    case = _open(session, p)
    unit = p.unit(session)
    with pytest.raises(NotFound):
        service.get_case(session, unit=unit, case_id=case.id, viewer_person_id=p.person_id)
    assert service.list_cases(session, unit=unit, viewer_person_id=p.person_id) == []
    assert service.list_cases(session, unit=unit) == [case]


def test_confirmed_case_people_no_look_ahead_and_never_no_concern(
    session: Session, p: Prepared, now
) -> None:  # type: ignore[no-untyped-def]
    case = _open(session, p)
    unit = p.unit(session)
    other = make_alert(session, unit, p.person(session, "arabic"))
    with actor_scope(as_account(p.account(session, "analyst"))):
        second = service.open_case(session, unit=unit, kind="alert", ref=other.id)
        service.close_case(session, case=second, outcome="no_concern", note="a misconfigured job")
        service.close_case(session, case=case, outcome="policy_violation", note="copied items")
    day = dt.date(2026, 11, 20)
    assert service.confirmed_case_people(session, unit.id, day) == {p.person_id: day}
    assert service.confirmed_case_people(session, unit.id, day - dt.timedelta(days=1)) == {}
    # a dismissed alert never feeds the booster
    assert session.get(Alert, other.id).status == "dismissed"  # type: ignore[union-attr]


def test_refresher_only_after_no_concern(session: Session, p: Prepared) -> None:
    case = _open(session, p)
    unit = p.unit(session)
    with actor_scope(as_account(p.account(session, "security_officer"))):
        load_builtin_courses(session, unit=unit)
        urn = "urn:keyguard:course:removable-media"
        with pytest.raises(RuleViolation):
            service.assign_case_refresher(session, case=case, course_urn=urn)
        service.close_case(session, case=case, outcome="no_concern", note="authorised backup")
        item_id = service.assign_case_refresher(session, case=case, course_urn=urn)
    item = session.get(TrainingAssignment, item_id)
    assert item is not None and item.person_id == p.person_id
    reason = session.scalar(select(RefresherReason).where(RefresherReason.assignment_id == item_id))
    assert reason is not None and reason.reason_kind == "case" and reason.reason_id == str(case.id)


def test_notes_and_files_are_kept_by_hash(session: Session, p: Prepared, home: Path) -> None:
    case = _open(session, p)
    with actor_scope(as_account(p.account(session, "analyst"))):
        service.add_note(session, case=case, text="Interviewed the department head.")
        ev = service.add_file(
            session,
            case=case,
            name="../../statement.txt",
            data=b"signed statement",
            content_type="text/plain",
        )
        assert ev.file_name == "statement.txt"
        _ev, data = service.read_file(session, case=case, evidence_id=ev.id)
        assert data == b"signed statement"
        path = service.files_dir(p.unit(session)) / str(ev.sha256)
        path.write_bytes(b"tampered")
        with pytest.raises(RuleViolation, match="SHA-256"):
            service.read_file(session, case=case, evidence_id=ev.id)
        with pytest.raises(RuleViolation, match="empty"):
            service.add_file(session, case=case, name="x.txt", data=b"")
