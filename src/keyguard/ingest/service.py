"""Ingest runs: the entry point of the domain (``ingest_cert``, ``ingest_mapped``).

A run takes the home's job lock for its whole length, records itself in ``ingest_run``
(committed at the start as ``running``, so a killed run stays visible and is marked
``interrupted`` by the next one), stages every file, commits the event store, then records
the per-file counts and hashes and an audit entry. These functions commit ``session``
themselves at those points.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import shutil
import zoneinfo
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.audit.context import current_actor
from keyguard.config import get_settings, utcnow
from keyguard.errors import InputError, NotFound, RuleViolation
from keyguard.events.store import EventStore
from keyguard.ingest import runner, tz
from keyguard.ingest.context import (
    COUNT_FIELDS,
    URL_RULES_SCHEMA,
    FileCounts,
    PlannedFile,
    ProgressFn,
    RunContext,
    UrlPatterns,
    UrlRules,
)
from keyguard.ingest.models import IngestFile, IngestRun
from keyguard.ingest.registry import get_adapter
from keyguard.privacy.retention import cutoff, load_retention
from keyguard.records.org.models import Person, Unit
from keyguard.scheduler.lock import job_lock

#: A person's domain counts as the unit's own when at least this share of people use it.
DOMAIN_SHARE = 0.1


@dataclass
class IngestResult:
    run_id: int
    run_uid: str
    unit: str
    adapter: str
    source: str
    files: list[FileCounts]
    notes: list[str] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        return {k: sum(getattr(f, k) for f in self.files) for k in COUNT_FIELDS}


# -- the unit and what is known about it -------------------------------------------------
def _code_from(name: str) -> str:
    code = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-_")
    return code[:40] or "unit"


def resolve_unit(
    session: Session, *, code: str | None, timezone: str | None, default_code: str
) -> Unit:
    """The unit ``code`` (created when missing); without a code the only unit, or a new
    one named after the source when there is none."""
    from keyguard.records.org import service as org

    if code:
        unit = session.scalar(select(Unit).where(Unit.code == code))
        if unit is None:
            unit = org.create_unit(session, code=code, name=code, timezone=timezone or "UTC")
        return unit
    units = org.list_units(session)
    if len(units) == 1:
        return units[0]
    if len(units) > 1:
        codes = ", ".join(u.code for u in units)
        raise RuleViolation(f"there are several units ({codes}): choose one with --unit")
    return org.create_unit(
        session, code=_code_from(default_code), name=default_code, timezone=timezone or "UTC"
    )


def known_users(session: Session, unit: Unit) -> list[str]:
    return list(session.scalars(select(Person.staff_id).where(Person.unit_id == unit.id)))


def email_domains(session: Session, unit: Unit) -> list[str]:
    """The unit's setting, else the domains of at least 10 % of its people's addresses."""
    if unit.email_domains:
        return [d.lower().lstrip("@") for d in unit.email_domains]
    emails = session.scalars(
        select(Person.email).where(Person.unit_id == unit.id, Person.email.is_not(None))
    )
    counts = Counter(e.rsplit("@", 1)[1].strip().lower() for e in emails if e and "@" in e)
    total = sum(counts.values())
    return sorted(d for d, n in counts.items() if d and n >= DOMAIN_SHARE * total)


def _compile_url(pattern: str) -> tuple[str, str, str, bool] | None:
    """(host, normalised, like, exact) of a URL pattern; None for paths and document ids."""
    try:
        from keyguard.records.register.patterns import compile_pattern
    except ImportError:
        norm = re.sub(r"^https://", "http://", pattern.strip().lower())
        if "://" not in norm:
            return None
        like = norm.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        host = norm.split("://", 1)[1].split("/", 1)[0]
        return host, norm, like.replace("*", "%"), "*" not in norm
    compiled = compile_pattern(pattern)
    if compiled.kind != "url":
        return None
    host = compiled.normalised.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]
    return host, compiled.normalised, compiled.like, compiled.exact


def _register_url_patterns(session: Session, unit: Unit) -> list[str]:
    try:
        from keyguard.records.register.models import ItemLocation
    except ImportError:
        return []
    return list(
        session.scalars(
            select(ItemLocation.pattern).where(
                ItemLocation.unit_id == unit.id, ItemLocation.kind == "url"
            )
        )
    )


def url_rules(session: Session, unit: Unit, patterns: UrlPatterns | None) -> UrlRules:
    """Register URL locations (given, or the unit's register when ``None``)."""
    if callable(patterns):
        return UrlRules(URL_RULES_SCHEMA.empty_table(), predicate=patterns)
    texts = list(patterns) if patterns is not None else _register_url_patterns(session, unit)
    rows = [c for c in (_compile_url(p) for p in texts) if c is not None]
    return UrlRules(
        pa.table(
            {
                "host": [r[0] for r in rows],
                "normalised": [r[1] for r in rows],
                "like_pattern": [r[2] for r in rows],
                "exact": [r[3] for r in rows],
            },
            schema=URL_RULES_SCHEMA,
        )
    )


# -- retention ---------------------------------------------------------------------------
def local_today(unit: Unit, now: dt.datetime | None = None) -> dt.date:
    """The unit's local day at ``now`` (default: the clock, ``KEYGUARD_NOW`` honoured)."""
    return (now or utcnow()).astimezone(zoneinfo.ZoneInfo(unit.timezone)).date()


def retention_keep_from(unit: Unit, today: dt.date | None = None) -> dt.date | None:
    """The first local day the unit's retention policy lets an ingest store (the purge job
    drops older days; an ingest must not bring them back); ``None`` when the unit has set
    no raw-event period (then every day is stored)."""
    policy = load_retention(unit.settings, source=f"unit {unit.code}")
    return cutoff(policy, "raw_events", today or local_today(unit))


def effective_keep_from(unit: Unit, keep_from: dt.date | None) -> dt.date | None:
    """The later of the retention cut-off and the caller's ``keep_from`` (either may be
    absent)."""
    floor = retention_keep_from(unit)
    days = [d for d in (floor, keep_from) if d is not None]
    return max(days) if days else None


# -- runs --------------------------------------------------------------------------------
def new_run_uid() -> str:
    return f"{utcnow():%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


def _clean_stale(session: Session, home: Path, unit: Unit) -> None:
    """Under the job lock nothing else runs: leftovers of killed runs can go."""
    runs = home / "runs"
    if runs.is_dir():
        for old in runs.glob("ingest-*"):
            shutil.rmtree(old, ignore_errors=True)
    session.execute(
        update(IngestRun)
        .where(IngestRun.unit_id == unit.id, IngestRun.status == "running")
        .values(status="interrupted", error="the process ended before the run finished")
    )


def _record_files(session: Session, run: IngestRun, counts: list[FileCounts]) -> None:
    for fc in counts:
        session.add(
            IngestFile(
                run_id=run.id,
                unit_id=run.unit_id,
                name=fc.name,
                kind=fc.kind,
                variant=fc.variant,
                sha256=fc.sha256,
                size_bytes=fc.size_bytes,
                **{k: getattr(fc, k) for k in COUNT_FIELDS},
            )
        )


def execute(
    session: Session,
    *,
    unit: Unit,
    adapter: str,
    source: str,
    source_tz: str,
    plan: Callable[[], tuple[list[PlannedFile], list[str]]],
    before: Callable[[Unit], list[str]] | None = None,
    keep_from: dt.date | None = None,
    url_patterns: UrlPatterns | None = None,
    progress: ProgressFn | None = None,
    home: Path | None = None,
    id_prefix: str = "",
) -> IngestResult:
    """Run an ingest of ``plan()`` for ``unit`` under the job lock (see module docstring).

    Rows of local days before the unit's raw-event retention cut-off (or before
    ``keep_from``, whichever is later) are counted as outside retention and not stored;
    the run records that effective ``keep_from``."""
    home = home or get_settings().home
    store = EventStore(home)
    store.check_schema()
    tz.zone(source_tz)
    asked_from = keep_from
    keep_from = effective_keep_from(unit, keep_from)  # a bad policy fails before the lock
    with job_lock(f"ingest {source}", home):
        files, notes = plan()  # checks the input before anything is recorded
        if keep_from is not None and (asked_from is None or keep_from > asked_from):
            notes = [*notes, f"retention: local days before {keep_from} are not stored"]
        _clean_stale(session, home, unit)
        run = IngestRun(
            uid=new_run_uid(),
            unit_id=unit.id,
            adapter=adapter,
            source=source,
            actor=current_actor().name,
            started_at=utcnow(),
            status="running",
            source_timezone=source_tz,
            keep_from=keep_from,
            totals={},
            notes=[],
        )
        session.add(run)
        session.commit()
        staging = home / "runs" / f"ingest-{run.uid}"
        try:
            if before is not None:
                notes = [*notes, *before(unit)]
            ctx = RunContext(
                home=home,
                unit=unit.code,
                unit_tz=unit.timezone,
                source_tz=source_tz,
                run_uid=run.uid,
                adapter=adapter,
                staging=staging,
                known_users=known_users(session, unit),
                email_domains=email_domains(session, unit),
                url_rules=url_rules(session, unit, url_patterns),
                keep_from=keep_from,
                progress=progress,
                id_prefix=id_prefix,
            )
            if not ctx.email_domains:
                notes.append("no e-mail domains known for the unit: recipients_outside is empty")
            counts = runner.run(ctx, files)
        except BaseException as exc:
            session.rollback()
            status = "failed" if isinstance(exc, Exception) else "interrupted"
            session.execute(
                update(IngestRun)
                .where(IngestRun.id == run.id)
                .values(status=status, finished_at=utcnow(), error=str(exc)[:2000])
            )
            session.commit()
            raise
        finally:
            runner.remove_staging(staging)
        result = IngestResult(run.id, run.uid, unit.code, adapter, source, counts, notes)
        _record_files(session, run, counts)
        run.status = "complete"
        run.finished_at = utcnow()
        run.totals = result.totals
        run.notes = notes
        audit.record(
            session,
            "ingest",
            "ingest_run",
            run.id,
            {
                "uid": run.uid,
                "adapter": adapter,
                "source": source,
                "totals": result.totals,
                "files": {fc.name: fc.sha256 for fc in counts},
            },
            unit_id=unit.id,
        )
        session.commit()
        return result


def _import_ldap(session: Session, folder: Path) -> Callable[[Unit], list[str]]:
    def run(unit: Unit) -> list[str]:
        try:
            from keyguard.records.org.service import import_ldap_folder
        except ImportError:
            return ["LDAP folder found, but this installation has no LDAP importer"]
        try:
            report = import_ldap_folder(session, unit=unit, folder=folder)
        except InputError as exc:
            return [f"LDAP not imported: {exc}"]
        c: dict[str, Any] = report.counts()
        session.flush()
        return [
            f"LDAP: {c.get('files', 0)} month files, {c.get('accepted', 0)} rows accepted, "
            f"{c.get('rejected', 0)} rejected, {c.get('people_created', 0)} people created"
        ]

    return run


def ingest_cert(
    session: Session,
    *,
    folder: Path,
    unit_code: str | None = None,
    timezone: str | None = None,
    keep_from: dt.date | None = None,
    url_patterns: UrlPatterns | None = None,
    import_ldap: bool = True,
    progress: ProgressFn | None = None,
    home: Path | None = None,
) -> IngestResult:
    """Ingest a CERT folder (one folder is one unit). ``timezone`` is the zone of the
    folder's times (default: the unit's; a new unit gets it as its zone)."""
    cert = get_adapter("cert")
    files, notes, ldap_dir = cert.plan(folder)  # check before creating a unit
    unit = resolve_unit(
        session, code=unit_code, timezone=timezone, default_code=folder.resolve().name
    )
    before = _import_ldap(session, folder) if (ldap_dir is not None and import_ldap) else None
    return execute(
        session,
        unit=unit,
        adapter="cert",
        source=str(folder),
        source_tz=timezone or unit.timezone,
        plan=lambda: (files, list(notes)),
        before=before,
        keep_from=keep_from,
        url_patterns=url_patterns,
        progress=progress,
        home=home,
    )


def ingest_mapped(
    session: Session,
    *,
    path: Path,
    mapping: str | Path,
    fmt: str | None = None,
    unit_code: str | None = None,
    keep_from: dt.date | None = None,
    url_patterns: UrlPatterns | None = None,
    progress: ProgressFn | None = None,
    home: Path | None = None,
) -> IngestResult:
    """Ingest one CSV or JSON-lines file with a YAML mapping (a path or a shipped name)."""
    mapped = get_adapter("mapping")
    spec, planned = mapped.plan(path, mapping, fmt)
    unit = resolve_unit(session, code=unit_code, timezone=None, default_code=path.stem)
    source_tz = unit.timezone if spec.timezone == "unit" else spec.timezone
    return execute(
        session,
        unit=unit,
        adapter=f"mapping:{spec.name}",
        source=str(path),
        source_tz=source_tz,
        plan=lambda: ([planned], [f"mapping {spec.name} ({spec.origin})"]),
        keep_from=keep_from,
        url_patterns=url_patterns,
        progress=progress,
        home=home,
        id_prefix=f"{spec.name}:",
    )


def recent_runs(session: Session, *, unit: Unit | None = None, limit: int = 20) -> list[IngestRun]:
    q = select(IngestRun).order_by(IngestRun.id.desc()).limit(limit)
    if unit is not None:
        q = q.where(IngestRun.unit_id == unit.id)
    return list(session.scalars(q))


def get_run(session: Session, uid: str) -> IngestRun:
    run = session.scalar(select(IngestRun).where(IngestRun.uid == uid))
    if run is None:
        raise NotFound(f"no ingest run {uid!r}")
    return run


def run_unit_code(session: Session, uid: str) -> str:
    """Code of the unit an ingest run belongs to."""
    run = get_run(session, uid)
    return session.scalars(select(Unit.code).where(Unit.id == run.unit_id)).one()
