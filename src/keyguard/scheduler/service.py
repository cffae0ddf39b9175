"""Running due jobs and sending notifications."""

from __future__ import annotations

import datetime as dt
import smtplib
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.audit.context import Actor, actor_scope
from keyguard.config import Settings, get_settings, utcnow
from keyguard.scheduler.models import JobRun, Notification


@dataclass(frozen=True)
class Job:
    """A scheduled job: ``run(session, now)`` returns a small dict of counts."""

    name: str
    every: dt.timedelta
    run: Callable[[Session, dt.datetime], dict[str, Any]]
    description: str = ""


def last_success(session: Session, job: str) -> dt.datetime | None:
    """When ``job`` last finished successfully."""
    return session.scalar(
        select(func.max(JobRun.started_at)).where(JobRun.job == job, JobRun.status == "ok")
    )


def due_jobs(session: Session, jobs: Sequence[Job], now: dt.datetime) -> list[Job]:
    """The jobs whose interval has passed since their last success."""
    out = []
    for job in jobs:
        last = last_success(session, job.name)
        if last is None or now - last >= job.every:
            out.append(job)
    return out


def tick(
    session_factory: Callable[[], Session],
    jobs: Sequence[Job],
    now: dt.datetime | None = None,
    force: bool = False,
) -> list[JobRun]:
    """Run every due job, each in its own transaction; a failing job does not stop others."""
    now = now or utcnow()
    runs: list[JobRun] = []
    with session_factory() as session:
        todo = list(jobs) if force else due_jobs(session, jobs, now)
    for job in todo:
        with actor_scope(Actor(name=f"job:{job.name}")), session_factory() as session:
            run = JobRun(job=job.name, started_at=now, status="running")
            try:
                result = job.run(session, now)
                run.status, run.result, run.finished_at = "ok", result or {}, utcnow()
                session.add(run)
                audit.record(session, "job_run", "job", job.name, {"result": run.result})
                session.commit()
            except Exception as exc:
                session.rollback()
                run.status, run.error, run.finished_at = (
                    "failed",
                    "".join(traceback.format_exception_only(exc)).strip(),
                    utcnow(),
                )
                session.add(run)
                audit.record(session, "job_failed", "job", job.name, {"error": run.error})
                session.commit()
            runs.append(run)
    return runs


def notify(
    session: Session,
    *,
    kind: str,
    subject: str,
    body: str = "",
    unit_id: int | None = None,
    account_id: int | None = None,
    person_id: int | None = None,
    link: str | None = None,
    email_to: str | None = None,
    dedupe_key: str | None = None,
) -> Notification | None:
    """Queue an in-app notification (and an e-mail when ``email_to`` is given).

    With ``dedupe_key`` the same notification is never created twice; returns ``None`` then.
    """
    if dedupe_key and session.scalar(
        select(Notification.id).where(Notification.dedupe_key == dedupe_key)
    ):
        return None
    note = Notification(
        kind=kind,
        subject=subject,
        body=body,
        unit_id=unit_id,
        account_id=account_id,
        person_id=person_id,
        link=link,
        email_to=email_to,
        dedupe_key=dedupe_key,
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(note)
    except IntegrityError:
        return None
    return note


def send_pending_emails(
    session: Session, settings: Settings | None = None, limit: int = 200
) -> dict[str, int]:
    """Send queued e-mails through the configured SMTP server; failures are retried later."""
    settings = settings or get_settings()
    pending = list(
        session.scalars(
            select(Notification)
            .where(
                Notification.email_to.is_not(None),
                Notification.emailed_at.is_(None),
                Notification.email_attempts < 5,
            )
            .order_by(Notification.id)
            .limit(limit)
        )
    )
    if not pending or not settings.smtp_host:
        return {"pending": len(pending), "sent": 0, "failed": 0}
    sent = failed = 0
    try:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
    except OSError as exc:
        for note in pending:
            note.email_attempts += 1
            note.email_error = f"cannot connect to {settings.smtp_host}:{settings.smtp_port}: {exc}"
        return {"pending": len(pending), "sent": 0, "failed": len(pending)}
    with smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        for note in pending:
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = settings.smtp_from, note.email_to, note.subject
            text = note.body
            if note.link:
                text += f"\n\n{settings.base_url.rstrip('/')}{note.link}"
            msg.set_content(text)
            note.email_attempts += 1
            try:
                smtp.send_message(msg)
                note.emailed_at = utcnow()
                sent += 1
            except smtplib.SMTPException as exc:
                note.email_error = str(exc)
                failed += 1
    return {"pending": len(pending), "sent": sent, "failed": failed}


def email_job() -> Job:
    """The built-in job that sends queued notification e-mails."""
    return Job(
        name="notifications.email",
        every=dt.timedelta(minutes=5),
        run=lambda session, now: send_pending_emails(session),
        description="Send queued notification e-mails through SMTP",
    )
