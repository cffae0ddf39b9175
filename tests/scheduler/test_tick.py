"""Scheduler: due jobs against a settable clock, failures, notifications by SMTP, job lock."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.audit.models import AuditEntry
from keyguard.config import get_settings, reset_settings, utcnow
from keyguard.db.session import sessionmaker_for
from keyguard.errors import JobLocked
from keyguard.scheduler.lock import job_lock
from keyguard.scheduler.models import JobRun, Notification
from keyguard.scheduler.service import Job, notify, send_pending_emails, tick


def _jobs(calls: list[str]) -> list[Job]:
    def daily(session: Session, now: dt.datetime) -> dict[str, int]:
        calls.append(f"daily@{now.date()}")
        return {"n": 1}

    def broken(session: Session, now: dt.datetime) -> dict[str, int]:
        raise ValueError("boom")

    return [
        Job("t.daily", dt.timedelta(days=1), daily),
        Job("t.broken", dt.timedelta(hours=1), broken),
    ]


@pytest.mark.pg
def test_tick_runs_due_jobs_by_the_clock(engine, session, now) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []
    factory = sessionmaker_for(engine)
    now("2026-03-01T08:00:00")
    runs = tick(factory, _jobs(calls))
    assert {r.job: r.status for r in runs} == {"t.daily": "ok", "t.broken": "failed"}
    now("2026-03-01T20:00:00")
    runs = tick(factory, _jobs(calls))
    assert [r.job for r in runs] == ["t.broken"]  # daily not due yet, broken retried
    now("2026-03-02T08:00:00")
    runs = tick(factory, _jobs(calls))
    assert "t.daily" in [r.job for r in runs]
    assert calls == ["daily@2026-03-01", "daily@2026-03-02"]
    failed = session.scalars(select(JobRun).where(JobRun.status == "failed")).all()
    assert failed and "boom" in (failed[0].error or "")
    actions = session.scalars(select(AuditEntry.action)).all()
    assert "job_run" in actions and "job_failed" in actions


class _Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


@pytest.mark.pg
def test_notifications_go_out_by_smtp_once(session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    sink = _Sink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setenv("KEYGUARD_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("KEYGUARD_SMTP_PORT", str(port))
        reset_settings()
        first = notify(
            session,
            kind="reminder",
            subject="Sign your statement",
            body="It is due.",
            email_to="lì.wèi@example.org",
            dedupe_key="k1",
            link="/duties",
        )
        again = notify(
            session,
            kind="reminder",
            subject="Sign your statement",
            email_to="lì.wèi@example.org",
            dedupe_key="k1",
        )
        assert first is not None and again is None
        result = send_pending_emails(session, get_settings())
        session.commit()
        assert result == {"pending": 1, "sent": 1, "failed": 0}
        assert len(sink.messages) == 1
        assert "Sign your statement" in sink.messages[0][2]
        assert send_pending_emails(session)["pending"] == 0
        note = session.scalars(select(Notification)).one()
        assert note.emailed_at is not None
    finally:
        controller.stop()


@pytest.mark.pg
def test_unreachable_smtp_keeps_the_mail_for_later(session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KEYGUARD_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KEYGUARD_SMTP_PORT", "1")
    reset_settings()
    notify(session, kind="x", subject="s", email_to="a@example.org")
    result = send_pending_emails(session)
    assert result["failed"] == 1
    note = session.scalars(select(Notification)).one()
    assert note.emailed_at is None and note.email_attempts == 1
    assert "cannot connect" in (note.email_error or "")


def test_job_lock_is_exclusive(home: Path) -> None:
    entered = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with job_lock("ingest cert"):
            entered.set()
            release.wait(5)

    t = threading.Thread(target=holder)
    t.start()
    entered.wait(5)
    try:
        with pytest.raises(JobLocked, match="ingest cert"), job_lock("detect"):
            pass
    finally:
        release.set()
        t.join()
    with job_lock("detect"):
        assert (home / "job.lock").read_text().startswith("detect")


def test_clock_follows_keyguard_now(now) -> None:  # type: ignore[no-untyped-def]
    now("2030-01-02T03:04:05")
    assert utcnow() == dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
