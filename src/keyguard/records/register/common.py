"""Helpers the register and personnel services share: the unit's local day, levels,
people and org-tree lookups, a person's facts on a day, and CSV reading with line numbers."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from keyguard.config import utcnow
from keyguard.errors import InputError, NotFound, RuleViolation, SourceProblem
from keyguard.records.org.models import OrgNode, Person, PersonVersion, Position, Unit

TRUE = {"true", "yes", "y", "1"}
FALSE = {"false", "no", "n", "0", ""}


def local_today(unit: Unit, now: dt.datetime | None = None) -> dt.date:
    """Today in the unit's time zone."""
    return (now or utcnow()).astimezone(zoneinfo.ZoneInfo(unit.timezone)).date()


def levels(unit: Unit) -> list[str]:
    """The unit's classification levels, lowest first."""
    return list(unit.classification_levels or [])


def level_rank(unit: Unit, level: str) -> int:
    """Position of ``level`` in the unit's list (0 = lowest); unknown levels are refused."""
    names = [x.casefold() for x in levels(unit)]
    try:
        return names.index(level.strip().casefold())
    except ValueError:
        raise RuleViolation(
            f"{level!r} is not a classification level of unit {unit.code} "
            f"({', '.join(levels(unit))})"
        ) from None


def canonical_level(unit: Unit, level: str) -> str:
    """The level as spelled in the unit's list."""
    return levels(unit)[level_rank(unit, level)]


def is_top_level(unit: Unit, level: str) -> bool:
    return level_rank(unit, level) == len(levels(unit)) - 1


def parse_bool(value: str, what: str) -> bool:
    v = value.strip().casefold()
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    raise RuleViolation(f"{what} must be true or false, not {value!r}")


def parse_day(value: str, what: str) -> dt.date | None:
    v = value.strip()
    if not v:
        return None
    try:
        return dt.date.fromisoformat(v)
    except ValueError:
        raise RuleViolation(f"{what} {v!r} is not a date (YYYY-MM-DD)") from None


def person_by_staff_id(session: Session, unit_id: int, staff_id: str) -> Person:
    """The person with this staff id (case-insensitive) in the unit."""
    sid = staff_id.strip()
    if not sid:
        raise RuleViolation("a staff id is empty")
    person = session.scalar(
        select(Person).where(Person.unit_id == unit_id, func.lower(Person.staff_id) == sid.lower())
    )
    if person is None:
        raise NotFound(f"no person with staff id {sid!r} in this unit")
    return person


def find_node(
    session: Session,
    unit_id: int,
    name: str,
    kinds: Sequence[str] | None = None,
    near: int | None = None,
) -> OrgNode:
    """An org-tree node by path or name (case-insensitive). An ambiguous name is resolved to
    the node below ``near`` (e.g. the item's owning department) or refused."""
    key = " ".join(name.split()).casefold()
    q = select(OrgNode).where(
        OrgNode.unit_id == unit_id,
        or_(func.lower(OrgNode.path) == key, func.lower(OrgNode.name) == key),
    )
    if kinds:
        q = q.where(OrgNode.kind.in_(list(kinds)))
    nodes = list(session.scalars(q))
    exact = [n for n in nodes if n.path.casefold() == key]
    if exact:
        return exact[0]
    if len(nodes) == 1:
        return nodes[0]
    if not nodes:
        what = "/".join(kinds) if kinds else "org-tree node"
        raise NotFound(f"no {what} named {name!r} in this unit")
    if near is not None:
        below = [n for n in nodes if near in ancestors(session, n.id)]
        if len(below) == 1:
            return below[0]
    paths = "; ".join(sorted(n.path for n in nodes)[:4])
    raise RuleViolation(f"{name!r} names several nodes ({paths}): use the full path")


def ancestors(session: Session, node_id: int | None) -> list[int]:
    """``node_id`` and every node above it."""
    out: list[int] = []
    while node_id is not None and node_id not in out:
        out.append(node_id)
        node_id = session.scalar(select(OrgNode.parent_id).where(OrgNode.id == node_id))
    return out


def facts_on(session: Session, person_id: int, day: dt.date) -> PersonVersion | None:
    """The person's version in effect on ``day`` as known on ``day``: of the versions
    starting on or before ``day`` and known by then, the latest start (the one recorded
    last among equal starts). ``valid_to`` is not used: it states today's belief."""
    return session.scalars(
        select(PersonVersion)
        .where(
            PersonVersion.person_id == person_id,
            PersonVersion.valid_from <= day,
            PersonVersion.known_from <= day,
        )
        .order_by(PersonVersion.valid_from.desc(), PersonVersion.id.desc())
    ).first()


def gone_on(v: PersonVersion, day: dt.date) -> bool:
    """Whether the facts ``v`` say the person has left by ``day``: status ``left``, or a
    known last working day (``end_date``) before ``day``."""
    return v.status == "left" or (v.end_date is not None and v.end_date < day)


Segment = tuple[dt.date, dt.date | None, PersonVersion]


def known_segments(versions: Sequence[PersonVersion]) -> list[Segment]:
    """One person's facts as known on each day, as ``(start, end, version)`` pieces
    (``end`` exclusive, ``None`` open): on day ``d`` the version in effect is the one with
    the latest ``valid_from <= d`` among those with ``known_from <= d`` (recorded last among
    equal starts). Adding versions known later never changes an earlier piece."""
    points = sorted({max(v.valid_from, v.known_from) for v in versions})
    ordered = sorted(versions, key=lambda v: v.id)
    out: list[Segment] = []
    for i, day in enumerate(points):
        best: PersonVersion | None = None
        for v in ordered:
            known = v.valid_from <= day and v.known_from <= day
            if known and (best is None or v.valid_from >= best.valid_from):
                best = v
        if best is None:
            continue
        end = points[i + 1] if i + 1 < len(points) else None
        if out and out[-1][2] is best and out[-1][1] == day:
            out[-1] = (out[-1][0], end, best)
        else:
            out.append((day, end, best))
    return out


def member_segments(versions: Sequence[PersonVersion]) -> list[Segment]:
    """:func:`known_segments` cut where the person has left (:func:`gone_on`): a person who
    has left is a member of no department, team or position from their leaving day on."""
    out: list[Segment] = []
    for start, end, v in known_segments(versions):
        if v.status == "left":
            continue
        if v.end_date is not None:
            stop = v.end_date + dt.timedelta(days=1)
            if stop <= start:
                continue
            if end is None or stop < end:
                end = stop
        out.append((start, end, v))
    return out


def position_title(session: Session, version: PersonVersion) -> str | None:
    if version.position_id is None:
        return None
    return session.scalar(select(Position.title).where(Position.id == version.position_id))


@dataclass
class CsvRows:
    """Rows of a CSV file with their line numbers, and the problems found so far."""

    file: str
    sha256: str
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]
    #: Rows refused while reading (wrong number of cells); each counts as read and rejected.
    problems: list[SourceProblem] = field(default_factory=list)
    #: Notes about the file that refuse nothing (e.g. ignored columns).
    warnings: list[SourceProblem] = field(default_factory=list)

    def problem(self, line: int | None, reason: str) -> None:
        self.problems.append(SourceProblem(file=self.file, line=line, reason=reason))


def read_csv(
    path: Path, required: Sequence[str], optional: Sequence[str] = (), *, name: str | None = None
) -> CsvRows:
    """Read a CSV import; a missing file or required column fails the whole file, a row with
    missing cells is reported with its line and skipped. Problems name the file as ``name``
    (default: the path; an uploaded file keeps the name it was uploaded with)."""
    name = name or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(name, f"cannot read the file: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(name, f"not UTF-8 text (byte {exc.start})") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().casefold() for h in next(reader)]
    except StopIteration:
        raise InputError(name, "the file is empty", line=1) from None
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(name, f"missing column(s): {', '.join(missing)}", line=1)
    unknown = [h for h in header if h and h not in required and h not in optional]
    out = CsvRows(name, hashlib.sha256(raw).hexdigest(), header, [])
    if unknown:
        out.warnings.append(
            SourceProblem(name, 1, f"unknown column(s) ignored: {', '.join(unknown)}")
        )
    for row in _rows(reader):
        line, cells = row
        if not any(c.strip() for c in cells):
            continue
        if len(cells) < len(required) or len(cells) > len(header):
            out.problem(line, f"{len(cells)} cells where the header has {len(header)} columns")
            continue
        values = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
        out.rows.append((line, values))
    return out


def _rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    line = 1
    for cells in reader:
        line_no = getattr(reader, "line_num", line + 1)
        yield line_no, cells
        line = line_no
