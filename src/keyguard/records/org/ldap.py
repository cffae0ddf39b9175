"""Import of a CERT folder's ``LDAP/YYYY-MM.csv`` files: the org tree, positions and people
with their joiners, movers and leavers, month by month.

Each file lists the staff of its month. A version per change is valid and known from the
first day of the file's month (the day keyguard would have had the file). A person absent
from a month has left from that month; the real day is unknown, so the end date is set to
the last day of the previous month and the version's ``source`` says so. A person whose row
is rejected is still listed, so their stored facts simply carry on.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.audit.context import current_actor
from keyguard.errors import InputError, SourceProblem
from keyguard.records.org.facts import (
    MAX_LEN,
    Facts,
    OrgIndex,
    PeopleBook,
    Placement,
    chain_path,
    name_key,
    nfc,
    place,
    staff_key,
    valid_email,
)
from keyguard.records.org.models import ImportRun, Unit
from keyguard.records.org.schemas import FileSummary, ImportReport
from keyguard.records.org.sources import (
    ProgressFn,
    RawFile,
    audit_summary,
    combined_sha256,
    csv_records,
    decode,
    header_names,
    read_file,
    undecodable,
)

NODE_COLUMNS = ("business_unit", "functional_unit", "department", "team")
R4_COLUMNS = ("employee_name", "user_id", "email", "role", *NODE_COLUMNS, "supervisor")
R5_COLUMNS = ("employee_name", "user_id", "email", "role", "projects", *NODE_COLUMNS, "supervisor")
MONTH_FILE = re.compile(r"^(\d{4})-(\d{2})\.csv$", re.IGNORECASE)
ONE_DAY = dt.timedelta(days=1)


@dataclass
class LdapRow:
    line: int
    user_id: str
    name: str
    email: str | None
    role: str | None
    projects: tuple[str, ...]
    chain: tuple[tuple[str, str], ...]
    supervisor: str
    manager: str | None = None


@dataclass
class LdapMonth:
    """One month file, parsed: accepted rows, every user id it lists, and its problems."""

    raw: RawFile
    day: dt.date
    rows: dict[str, LdapRow] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    read: int = 0
    problems: list[SourceProblem] = field(default_factory=list)
    skipped: bool = False

    def reject(self, line: int | None, reason: str) -> None:
        self.problems.append(SourceProblem(self.raw.name, line, reason))

    @property
    def rejected(self) -> int:
        return self.read - len(self.rows)


def find_month_files(folder: Path) -> tuple[list[tuple[dt.date, Path, str]], list[SourceProblem]]:
    """The month files of a CERT folder (``LDAP/`` inside it, or the folder itself)."""
    if not folder.exists():
        raise InputError(str(folder), "no such folder")
    if not folder.is_dir():
        raise InputError(str(folder), "is not a folder (give the CERT folder or its LDAP folder)")
    ldap = folder / "LDAP" if (folder / "LDAP").is_dir() else folder
    prefix = "LDAP/" if ldap != folder else ""
    found: list[tuple[dt.date, Path, str]] = []
    problems: list[SourceProblem] = []
    for path in sorted(ldap.iterdir()):
        m = MONTH_FILE.match(path.name)
        if not m or not path.is_file():
            continue
        try:
            day = dt.date(int(m.group(1)), int(m.group(2)), 1)
        except ValueError:
            problems.append(
                SourceProblem(prefix + path.name, None, "not a month (YYYY-MM); file skipped")
            )
            continue
        found.append((day, path, prefix + path.name))
    if not found and not problems:
        raise InputError(str(folder), "no LDAP month files (LDAP/YYYY-MM.csv) in this folder")
    return sorted(found), problems


def read_month(raw: RawFile, day: dt.date, encoding: str) -> LdapMonth:
    """Parse one month file; a file that is not an LDAP file is skipped as a whole."""
    month = LdapMonth(raw=raw, day=day)
    text = decode(raw, encoding)
    records = csv_records(text)
    candidates: list[LdapRow] = []
    names: dict[str, list[str]] = defaultdict(list)
    first_line: dict[str, int] = {}
    try:
        first = next(records, None)
        if first is None:
            month.skipped = True
            month.reject(None, "empty file; month skipped")
            return month
        columns = tuple(header_names(first[1]))
        if columns not in (R4_COLUMNS, R5_COLUMNS):
            month.skipped = True
            month.reject(
                first[0],
                "not a CERT LDAP header (expected "
                f"{','.join(R4_COLUMNS)} or {','.join(R5_COLUMNS)}); month skipped",
            )
            return month
        least = columns.index("business_unit") + 1
        for line, values in records:
            month.read += 1
            row = _parse_row(month, line, values, columns, least, encoding, first_line, names)
            if row is not None:
                candidates.append(row)
    except csv.Error as exc:
        month.skipped = True
        month.rows.clear()
        month.reject(None, f"unreadable CSV ({exc}); month skipped")
        return month
    for row in candidates:
        _match_supervisor(month, row, names)
    return month


def _parse_row(
    month: LdapMonth,
    line: int,
    values: list[str],
    columns: tuple[str, ...],
    least: int,
    encoding: str,
    first_line: dict[str, int],
    names: dict[str, list[str]],
) -> LdapRow | None:
    n = len(columns)
    if len(values) > n or len(values) < least:
        month.reject(line, f"{len(values)} fields, expected {n}")
        return None
    if undecodable(values):
        month.reject(line, f"not valid {encoding} text (declare the file's encoding)")
        return None
    rec = dict(zip(columns, [nfc(v) for v in values] + [""] * (n - len(values)), strict=True))
    user_id = rec["user_id"]
    if not user_id:
        month.reject(line, "empty user_id")
        return None
    key = staff_key(user_id)
    if key in first_line:
        month.reject(line, f"duplicate user_id {user_id} (first on line {first_line[key]})")
        return None
    first_line[key] = line
    month.seen.add(key)
    name = rec["employee_name"]
    if name:
        names[name_key(name)].append(key)
    reason = _row_problem(rec)
    if reason:
        month.reject(line, reason)
        return None
    projects = tuple(p.strip() for p in re.split(r"[;|]", rec.get("projects", "")) if p.strip())
    chain = tuple((kind, rec[kind]) for kind in NODE_COLUMNS if rec[kind])
    return LdapRow(
        line=line,
        user_id=user_id,
        name=name,
        email=rec["email"] or None,
        role=rec["role"] or None,
        projects=projects,
        chain=chain,
        supervisor=rec["supervisor"],
    )


def _row_problem(rec: dict[str, str]) -> str | None:
    if not rec["employee_name"]:
        return "empty employee_name"
    if rec["email"] and not valid_email(rec["email"]):
        return f"invalid email {rec['email']!r}"
    limits = {
        "user_id": "staff_id",
        "employee_name": "full_name",
        "role": "job_title",
        **dict.fromkeys(NODE_COLUMNS, "node"),
    }
    for column, limit in limits.items():
        if len(rec[column]) > MAX_LEN[limit]:
            return f"{column} longer than {MAX_LEN[limit]} characters"
    return None


def _match_supervisor(month: LdapMonth, row: LdapRow, names: dict[str, list[str]]) -> None:
    """The supervisor is a full name matched within the same month's file."""
    key = staff_key(row.user_id)
    if row.supervisor:
        matches = names.get(name_key(row.supervisor), [])
        if not matches:
            month.reject(row.line, f"supervisor {row.supervisor!r} is not in this month's file")
            return
        if len(matches) > 1:
            month.reject(row.line, f"supervisor {row.supervisor!r} matches several people")
            return
        if matches[0] == key:
            month.reject(row.line, "is their own supervisor")
            return
        row.manager = matches[0]
    month.rows[key] = row


def _present(
    ldap: dict[str, object], day: dt.date, dated_start: bool
) -> Callable[[Facts | None], Facts]:
    """The facts of a person listed in a month: the file's facts over what carries on."""

    def make(old: Facts | None) -> Facts:
        if old is None or old.status == "left":
            start = day if dated_start or old is not None else None
            return Facts(status="active", start_date=start, **ldap)  # type: ignore[arg-type]
        return old.changed(**ldap)

    return make


def _absent(day: dt.date) -> Callable[[Facts | None], Facts | None]:
    """A person missing from a month has left; the end date is the previous month's last."""

    def make(old: Facts | None) -> Facts | None:
        if old is None or old.status == "left":
            return None
        end = old.end_date if old.end_date and old.end_date < day else day - ONE_DAY
        return old.changed(status="left", end_date=end)

    return make


def apply_month(
    session: Session,
    book: PeopleBook,
    index: OrgIndex,
    month: LdapMonth,
    summary: FileSummary,
    usage: dict[int, set[dt.date]],
) -> None:
    """Apply one parsed month: create people and nodes, then a version per change."""
    day, name = month.day, month.raw.name
    first = book.first_start()
    dated_start = first is not None and first < day  # earlier months exist: a joiner
    for key, row in month.rows.items():
        if book.get(key) is None:
            book.create(staff_id=row.user_id, full_name=row.name, email=row.email)
            summary.people_created += 1
    session.flush()
    placements = {
        key: Placement(
            chain=row.chain,
            department=chain_path(row.chain, "department"),
            team=chain_path(row.chain, "team"),
            manager=row.manager,
            top=not row.supervisor,
        )
        for key, row in month.rows.items()
    }
    placed = place(index, placements, {k: r.role for k, r in month.rows.items()}, day)
    for row in month.rows.values():
        deepest = index.nodes.get(chain_path(row.chain) or "")
        for node in index.ancestors(deepest):
            usage[node.id].add(day)
    for key, row in sorted(month.rows.items(), key=lambda kv: kv[1].line):
        tl = book.timeline(key)
        before = tl.in_effect(day - ONE_DAY)
        dept, team, pos = placed[key]
        ldap: dict[str, object] = {
            "full_name": row.name,
            "email": row.email,
            "job_title": row.role,
            "projects": row.projects,
            "department_id": dept.id if dept else None,
            "team_id": team.id if team else None,
            "position_id": pos.id if pos else None,
            "manager_id": book.person_id(row.manager),
        }
        joining = before is None or before.status == "left"
        source = f"LDAP {name}:{row.line}"
        if joining and (dated_start or before is not None):
            source += "; start date assumed to be the first day of the month first listed"
        added = tl.write(
            session,
            valid_from=day,
            known_from=day,
            source=source,
            make=_present(ldap, day, dated_start),
        )
        if not added:
            continue
        summary.versions_added += len(added)
        if joining:
            summary.joiners += int(dated_start or before is not None)
        elif tl.facts(added[-1]).moved_from(tl.facts(before)):  # type: ignore[arg-type]
            summary.movers += 1
    end = day - ONE_DAY
    for key, tl in book.timelines.items():
        if key in month.seen:
            continue
        source = (
            f"LDAP {name}: absent from this month's file, so left; end date assumed "
            f"{end.isoformat()} (last day of the previous month; the real day is unknown)"
        )
        added = tl.write(session, valid_from=day, known_from=day, source=source, make=_absent(day))
        if added:
            summary.versions_added += len(added)
            summary.leavers += 1


def _retire_nodes(index: OrgIndex, usage: dict[int, set[dt.date]], months: list[dt.date]) -> None:
    """A node unused from a month on is retired from it; a node in use again is not."""
    last = months[-1]
    for node in index.nodes.values():
        seen = usage.get(node.id)
        if not seen:
            continue
        last_seen = max(seen)
        target = None if last_seen == last else min(d for d in months if d > last_seen)
        if node.retired_from != target:
            node.retired_from = target


def _previous_last_month(session: Session, unit: Unit) -> str:
    counts = session.scalars(
        select(ImportRun.counts).where(ImportRun.unit_id == unit.id, ImportRun.kind == "ldap")
    )
    return max((str(c.get("last_month") or "") for c in counts if isinstance(c, dict)), default="")


def import_ldap_folder(
    session: Session,
    *,
    unit: Unit,
    folder: Path,
    progress: ProgressFn | None = None,
    encoding: str = "utf-8",
) -> ImportReport:
    """Import the org tree and people of a CERT folder into ``unit`` (one folder, one unit).

    Idempotent: the same files change nothing but add an import run; a month added later
    appends only what is new. Bad rows are reported (file:line: reason) and skipped; a
    file that is not an LDAP file is skipped whole, so nobody is taken for a leaver.
    """
    files, problems = find_month_files(folder)
    report = ImportReport(kind="ldap", source=str(folder.resolve()), problems=list(problems))
    book = PeopleBook(session, unit)
    index = OrgIndex(session, unit)
    usage: dict[int, set[dt.date]] = defaultdict(set)
    applied: list[dt.date] = []
    previous_last = _previous_last_month(session, unit)
    with audit_summary(
        session, action="import_ldap", source=str(folder.resolve()), unit_id=unit.id
    ):
        for done, (day, path, name) in enumerate(files, start=1):
            raw = read_file(path, name)
            month = read_month(raw, day, encoding)
            summary = FileSummary(
                name=name,
                sha256=raw.sha256,
                month=day.strftime("%Y-%m"),
                rows=month.read,
                accepted=len(month.rows),
                rejected=month.rejected,
                skipped=month.skipped,
            )
            if not month.skipped:
                apply_month(session, book, index, month, summary, usage)
                applied.append(day)
            report.files.append(summary)
            report.problems.extend(month.problems)
            if progress is not None:
                progress(name, done, len(files))
        book.sync_people()
        if applied and applied[-1].strftime("%Y-%m") >= previous_last:
            _retire_nodes(index, usage, applied)
        report.sha256 = combined_sha256([(f.name, f.sha256) for f in report.files])
        counts = {
            **report.counts(),
            "last_month": applied[-1].strftime("%Y-%m") if applied else None,
            "file_sha256": {f.name: f.sha256 for f in report.files},
        }
        run = ImportRun(
            unit_id=unit.id,
            kind="ldap",
            source=str(folder.resolve()),
            sha256=report.sha256,
            actor=current_actor().name,
            counts=counts,
            problems=[str(p) for p in report.problems],
        )
        session.add(run)
        session.flush()
    report.run_id = run.id
    return report
