"""Import of people from a plain CSV or YAML file, for organizations whose records are not
CERT-shaped.

Columns (CSV header or YAML keys): ``staff_id,full_name,email,job_title,department,team,
manager_staff_id,start_date,notice_date,end_date,status`` and optionally ``position``,
``business_unit``, ``personal_emails`` (separated by ``;``). Each row is the person's facts
as of ``as_of`` (valid and known from that day). People missing from the file keep their
facts: a plain file may cover only part of the staff, so absence is not a departure.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from keyguard.audit.context import current_actor
from keyguard.config import utcnow
from keyguard.errors import InputError, SourceProblem
from keyguard.records.org.facts import (
    MAX_LEN,
    Facts,
    OrgIndex,
    PeopleBook,
    Placement,
    chain_path,
    nfc,
    place,
    staff_key,
    valid_email,
)
from keyguard.records.org.models import EMPLOYMENT_STATUSES, ImportRun, Unit
from keyguard.records.org.schemas import FileSummary, ImportReport
from keyguard.records.org.sources import (
    ProgressFn,
    RawFile,
    audit_summary,
    csv_records,
    decode,
    header_names,
    parse_day,
    read_file,
    undecodable,
)

REQUIRED = ("staff_id", "full_name")
COLUMNS = (
    "staff_id",
    "full_name",
    "email",
    "job_title",
    "department",
    "team",
    "manager_staff_id",
    "start_date",
    "notice_date",
    "end_date",
    "status",
    "position",
    "business_unit",
    "personal_emails",
)
ONE_DAY = dt.timedelta(days=1)
_NULLS = {"~", "null", "none"}


@dataclass
class PlainRow:
    line: int
    staff_id: str
    name: str
    email: str | None
    job_title: str | None
    chain: tuple[tuple[str, str], ...]
    manager: str | None  # staff key
    manager_raw: str
    start: dt.date | None
    notice: dt.date | None
    end: dt.date | None
    status: str | None
    position: str | None
    personal_emails: list[str] | None  # None: the column is absent


def local_today(unit: Unit) -> dt.date:
    """Today in the unit's time zone (honours ``KEYGUARD_NOW``)."""
    return utcnow().astimezone(zoneinfo.ZoneInfo(unit.timezone)).date()


def _csv_records(
    raw: RawFile, encoding: str, problems: list[SourceProblem]
) -> tuple[list[tuple[int, dict[str, str]]], int]:
    text = decode(raw, encoding)
    records = csv_records(text)
    out: list[tuple[int, dict[str, str]]] = []
    read = 0
    try:
        first = next(records, None)
        if first is None:
            raise InputError(raw.name, "empty file (expected a header line)")
        columns = header_names(first[1])
        if len(set(columns)) != len(columns):
            raise InputError(raw.name, "a column appears twice in the header", line=first[0])
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise InputError(
                raw.name,
                f"missing column(s) {', '.join(missing)} (columns: {','.join(COLUMNS)})",
                line=first[0],
            )
        for name in columns:
            if name not in COLUMNS:
                problems.append(
                    SourceProblem(raw.name, first[0], f"unknown column {name!r} ignored")
                )
        for line, values in records:
            read += 1
            if len(values) > len(columns):
                problems.append(
                    SourceProblem(raw.name, line, f"{len(values)} fields, expected {len(columns)}")
                )
                continue
            if undecodable(values):
                problems.append(
                    SourceProblem(
                        raw.name,
                        line,
                        f"not valid {encoding} text (declare the file's encoding with --encoding)",
                    )
                )
                continue
            values = values + [""] * (len(columns) - len(values))
            out.append((line, dict(zip(columns, values, strict=True))))
    except csv.Error as exc:
        problems.append(
            SourceProblem(
                raw.name, None, f"unreadable CSV ({exc}); the rest of the file is skipped"
            )
        )
    return out, read


def _scalar(value: Any) -> str:
    if isinstance(value, list):
        return ";".join(_scalar(v) for v in value)
    if value is None or (isinstance(value, str) and value.strip().lower() in _NULLS):
        return ""
    return str(value)


def _yaml_records(
    raw: RawFile, encoding: str, problems: list[SourceProblem]
) -> tuple[list[tuple[int, dict[str, str]]], int]:
    text = decode(raw, encoding, strict=True)
    loader = yaml.BaseLoader(text)  # every scalar stays text: "007" is not the number 7
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        raise InputError(
            raw.name, f"invalid YAML: {reason}", line=mark.line + 1 if mark else None
        ) from exc
    finally:
        loader.dispose()
    if not isinstance(data, list) or node is None or not isinstance(node, yaml.SequenceNode):
        if data in ([], "", None):
            return [], 0
        raise InputError(raw.name, "expected a list of people (one mapping per person)")
    out: list[tuple[int, dict[str, str]]] = []
    for item_node, item in zip(node.value, data, strict=True):
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict):
            problems.append(SourceProblem(raw.name, line, "not a mapping of person fields"))
            continue
        rec = {str(k).strip().lower(): _scalar(v) for k, v in item.items()}
        unknown = sorted(k for k in rec if k not in COLUMNS)
        if unknown:
            problems.append(
                SourceProblem(raw.name, line, f"unknown key(s) {', '.join(unknown)} ignored")
            )
        out.append((line, rec))
    return out, len(data)


def _parse(line: int, rec: dict[str, str]) -> PlainRow:
    """One record as a row; raises ``ValueError`` with the reason it is rejected."""
    get = {k: nfc(v) for k, v in rec.items()}
    staff_id, name = get.get("staff_id", ""), get.get("full_name", "")
    if not staff_id:
        raise ValueError("empty staff_id")
    if not name:
        raise ValueError("empty full_name")
    email = get.get("email") or None
    if email and not valid_email(email):
        raise ValueError(f"invalid email {email!r}")
    personal: list[str] | None = None
    if "personal_emails" in rec:
        personal = [e for e in re.split(r"[;,\s]+", get["personal_emails"]) if e]
        bad = [e for e in personal if not valid_email(e)]
        if bad:
            raise ValueError(f"invalid personal email {bad[0]!r}")
    status = (get.get("status") or "").lower() or None
    if status is not None and status not in EMPLOYMENT_STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(EMPLOYMENT_STATUSES)}")
    start = parse_day(get.get("start_date", ""), "start_date")
    notice = parse_day(get.get("notice_date", ""), "notice_date")
    end = parse_day(get.get("end_date", ""), "end_date")
    if start and end and end < start:
        raise ValueError(f"end_date {end} is before start_date {start}")
    limits = {
        "staff_id": "staff_id",
        "full_name": "full_name",
        "job_title": "job_title",
        "position": "position",
        "business_unit": "node",
        "department": "node",
        "team": "node",
    }
    for column, limit in limits.items():
        if len(get.get(column, "")) > MAX_LEN[limit]:
            raise ValueError(f"{column} longer than {MAX_LEN[limit]} characters")
    chain = tuple(
        (kind, get[kind]) for kind in ("business_unit", "department", "team") if get.get(kind)
    )
    manager_raw = get.get("manager_staff_id", "")
    return PlainRow(
        line=line,
        staff_id=staff_id,
        name=name,
        email=email,
        job_title=get.get("job_title") or None,
        chain=chain,
        manager=staff_key(manager_raw) if manager_raw else None,
        manager_raw=manager_raw,
        start=start,
        notice=notice,
        end=end,
        status=status,
        position=get.get("position") or None,
        personal_emails=personal,
    )


def _accept(
    raw: RawFile,
    records: list[tuple[int, dict[str, str]]],
    book: PeopleBook,
    problems: list[SourceProblem],
) -> dict[str, PlainRow]:
    """Valid rows by staff key: duplicates and unknown managers are rejected."""
    rows: dict[str, PlainRow] = {}
    lines: dict[str, int] = {}
    for line, rec in records:
        staff_id = nfc(rec.get("staff_id", ""))
        key = staff_key(staff_id)
        if staff_id and key in lines:
            problems.append(
                SourceProblem(
                    raw.name, line, f"duplicate staff_id {staff_id} (first on line {lines[key]})"
                )
            )
            continue
        if staff_id:
            lines[key] = line
        try:
            rows[key] = _parse(line, rec)
        except ValueError as exc:
            problems.append(SourceProblem(raw.name, line, str(exc)))
    changed = True
    while changed:  # a rejected manager makes their reports' manager unknown, and so on
        changed = False
        for key, row in sorted(rows.items(), key=lambda kv: kv[1].line):
            m = row.manager
            if m is None or (m != key and (m in rows or book.get(m) is not None)):
                continue
            if m == key:
                reason = "is their own manager"
            elif m in lines:
                reason = (
                    f"manager_staff_id {row.manager_raw} is not imported (its row, line "
                    f"{lines[m]}, was rejected)"
                )
            else:
                reason = (
                    f"unknown manager_staff_id {row.manager_raw!r} (not in this file or "
                    "in keyguard)"
                )
            problems.append(SourceProblem(raw.name, row.line, reason))
            del rows[key]
            changed = True
    return rows


def _snapshot(
    row: PlainRow, org: dict[str, object], day: dt.date
) -> Callable[[Facts | None], Facts]:
    status = row.status
    if status is None:
        if row.end and row.end < day:
            status = "left"
        elif row.notice or row.end:
            status = "notice"
        else:
            status = "active"

    def make(old: Facts | None) -> Facts:
        return Facts(
            full_name=row.name,
            email=row.email,
            job_title=row.job_title,
            projects=old.projects if old else (),
            status=status,
            start_date=row.start,
            notice_date=row.notice,
            end_date=row.end,
            **org,
        )  # type: ignore[arg-type]

    return make


def import_people_file(
    session: Session,
    *,
    unit: Unit,
    path: Path,
    fmt: str = "auto",
    encoding: str = "utf-8",
    as_of: dt.date | None = None,
    progress: ProgressFn | None = None,
) -> ImportReport:
    """Import people from a CSV or YAML file as of ``as_of`` (default: the unit's today).

    Idempotent; bad rows are reported (file:line: reason) and skipped, valid rows imported.
    """
    if fmt not in ("auto", "csv", "yaml"):
        raise InputError(str(path), f"unknown format {fmt!r} (csv or yaml)")
    raw = read_file(path)
    kind = fmt if fmt != "auto" else ("yaml" if path.suffix.lower() in (".yaml", ".yml") else "csv")
    day = as_of or local_today(unit)
    problems: list[SourceProblem] = []
    reader = _yaml_records if kind == "yaml" else _csv_records
    records, read = reader(raw, encoding, problems)
    book = PeopleBook(session, unit)
    index = OrgIndex(session, unit)
    rows = _accept(raw, records, book, problems)
    summary = FileSummary(
        name=raw.name, sha256=raw.sha256, rows=read, accepted=len(rows), rejected=read - len(rows)
    )
    report = ImportReport(
        kind=f"people_{kind}",
        source=str(path.resolve()),
        sha256=raw.sha256,
        files=[summary],
        problems=problems,
    )
    first = book.first_start()
    dated = first is not None and first < day
    with audit_summary(
        session, action=f"import_people_{kind}", source=str(path.resolve()), unit_id=unit.id
    ):
        for key, row in rows.items():
            if book.get(key) is None:
                book.create(staff_id=row.staff_id, full_name=row.name, email=row.email)
                summary.people_created += 1
        session.flush()
        placements = {
            key: Placement(
                chain=row.chain,
                department=chain_path(row.chain, "department"),
                team=chain_path(row.chain, "team"),
                manager=row.manager,
            )
            for key, row in rows.items()
        }
        placed = place(
            index,
            placements,
            {k: r.job_title for k, r in rows.items()},
            day,
            explicit_titles={k: r.position for k, r in rows.items()},
        )
        for key, row in sorted(rows.items(), key=lambda kv: kv[1].line):
            tl = book.timeline(key)
            before = tl.in_effect(day - ONE_DAY)
            dept, team, pos = placed[key]
            org: dict[str, object] = {
                "department_id": dept.id if dept else None,
                "team_id": team.id if team else None,
                "position_id": pos.id if pos else None,
                "manager_id": book.person_id(row.manager),
            }
            added = tl.write(
                session,
                valid_from=day,
                known_from=day,
                source=f"{raw.name}:{row.line}",
                make=_snapshot(row, org, day),
            )
            if row.personal_emails is not None and tl.person.personal_emails != row.personal_emails:
                tl.person.personal_emails = row.personal_emails
            if not added:
                continue
            summary.versions_added += len(added)
            new = tl.facts(added[-1])
            was_left = before is None or before.status == "left"
            if new.status == "left":
                summary.leavers += int(not was_left)
            elif was_left:
                summary.joiners += int(before is not None or dated)
            elif new.moved_from(tl.facts(before)):  # type: ignore[arg-type]
                summary.movers += 1
        book.sync_people()
        run = ImportRun(
            unit_id=unit.id,
            kind=report.kind,
            source=str(path.resolve()),
            sha256=raw.sha256,
            actor=current_actor().name,
            counts={**report.counts(), "as_of": day.isoformat(), "encoding": encoding},
            problems=[str(p) for p in problems],
        )
        session.add(run)
        session.flush()
    report.run_id = run.id
    if progress is not None:
        progress(raw.name, 1, 1)
    return report
