"""Records the detection run needs, as small Arrow tables with day-number intervals, each
row usable only from the day keyguard knew it (no look-ahead).

Optional inputs (register, hosts, personnel priority groups) are read when their modules
exist and hold data; absent, the documented fallbacks apply (docs/analytics.md).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.analytics.days import NEVER, day_no
from keyguard.records.org.models import OrgNode, Person, PersonVersion, Position, Unit

_DEPARTING_STATUSES = ("notice", "left")
#: Positions whose holders count as privileged (as in the personnel priority groups).
PRIVILEGED_LEVELS = ("leadership", "security_office")


def user_key(source_user: str) -> str:
    """How a user in the logs is compared with staff ids (as the register's matching does):
    a ``DOMAIN\\`` or ``DOMAIN/`` prefix and an ``@domain`` suffix dropped, NFC, trimmed,
    lower case (``DTAA/ABC0123`` -> ``abc0123``)."""
    text = re.sub(r"^.*[\\/]", "", unicodedata.normalize("NFC", source_user).strip())
    return re.sub(r"@.*$", "", text).lower()


def title_words(title: str) -> list[str]:
    """Words of a job title, splitting camel case (``ITAdmin`` -> ``it admin``)."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", title)
    return [w for w in re.split(r"[^a-z0-9]+", spaced.casefold()) if w]


def is_privileged_title(title: str | None, terms: Iterable[str]) -> bool:
    """Whether a job title names a privileged role (whole words, case-insensitive)."""
    if not title:
        return False
    words = title_words(title)
    joined = " " + " ".join(words) + " "
    return any(f" {' '.join(title_words(t))} " in joined for t in terms if title_words(t))


@dataclass
class Inputs:
    """Everything the SQL needs besides events, for one unit."""

    unit_code: str
    unit_id: int | None
    timezone: str
    work_days: list[int]
    work_start: int
    work_end: int
    levels: list[str]
    tables: dict[str, pa.Table] = field(default_factory=dict)
    person_ids: dict[str, int] = field(default_factory=dict)
    pseudonyms: dict[str, str] = field(default_factory=dict)
    has_register: bool = False
    has_hosts: bool = False
    notes: list[str] = field(default_factory=list)

    def table(self, name: str) -> pa.Table:
        return self.tables[name]


PEOPLE_SCHEMA = pa.schema(
    [
        ("user_key", pa.string()),
        ("from_no", pa.int32()),
        ("to_no", pa.int32()),
        ("department", pa.string()),
        ("job_title", pa.string()),
        ("departing", pa.int32()),
        ("privileged", pa.int32()),
    ]
)
PROJECTS_SCHEMA = pa.schema(
    [
        ("user_key", pa.string()),
        ("project", pa.string()),
        ("from_no", pa.int32()),
        ("to_no", pa.int32()),
    ]
)
ADDR_SCHEMA = pa.schema(
    [("user_key", pa.string()), ("address", pa.string()), ("from_no", pa.int32())]
)
NAMES_SCHEMA = pa.schema(
    [
        ("user_key", pa.string()),
        ("first", pa.string()),
        ("last", pa.string()),
        ("from_no", pa.int32()),
    ]
)
FLAG_SCHEMA = pa.schema(
    [
        ("user_key", pa.string()),
        ("flag", pa.string()),
        ("from_no", pa.int32()),
        ("to_no", pa.int32()),
    ]
)
HOSTS_SCHEMA = pa.schema(
    [
        ("host", pa.string()),
        ("owner", pa.string()),
        ("shared", pa.int32()),
        ("from_no", pa.int32()),
        ("to_no", pa.int32()),
    ]
)
GRANTS_SCHEMA = pa.schema(
    [
        ("user_key", pa.string()),
        ("item_id", pa.string()),
        ("from_no", pa.int32()),
        ("to_no", pa.int32()),
    ]
)
DOMAIN_SCHEMA = pa.schema([("domain", pa.string())])
HOLIDAY_SCHEMA = pa.schema([("day_no", pa.int32())])


def _winner(versions: list[PersonVersion], day: dt.date) -> PersonVersion | None:
    best, best_key = None, None
    for v in versions:
        if v.valid_from > day or v.known_from > day:
            continue
        key = (v.valid_from, v.id)
        if best_key is None or key > best_key:
            best, best_key = v, key
    return best


def _hhmm(text: str, default: int) -> int:
    try:
        return int(str(text).split(":", 1)[0])
    except ValueError:
        return default


def _departing(v: PersonVersion) -> bool:
    return v.status in _DEPARTING_STATUSES or v.notice_date is not None or v.end_date is not None


def _name_parts(full_name: str) -> tuple[str, str] | None:
    words = [
        re.sub(r"[^a-z]", "", w)
        for w in unicodedata.normalize("NFKD", full_name)
        .encode("ascii", "ignore")
        .decode()
        .casefold()
        .split()
    ]
    words = [w for w in words if w]
    if len(words) < 2:
        return None
    return words[0], words[-1]


def people_tables(session: Session, unit: Unit, cfg: dict[str, Any], inputs: Inputs) -> None:
    """People facts as known day by day: department, title, projects, departing, privileged,
    personal addresses and names (for the personal-address heuristic)."""
    levels = dict(
        session.execute(
            select(Position.id, Position.level).where(Position.unit_id == unit.id)
        ).all()
    )
    depts = {
        n.id: n.path for n in session.scalars(select(OrgNode).where(OrgNode.unit_id == unit.id))
    }
    people = list(session.scalars(select(Person).where(Person.unit_id == unit.id)))
    versions: dict[int, list[PersonVersion]] = {}
    for v in session.scalars(select(PersonVersion).where(PersonVersion.unit_id == unit.id)):
        versions.setdefault(v.person_id, []).append(v)
    terms = list(cfg.get("privileged_titles") or [])
    rows: dict[str, list[Any]] = {n: [] for n in PEOPLE_SCHEMA.names}
    prj: dict[str, list[Any]] = {n: [] for n in PROJECTS_SCHEMA.names}
    addr: dict[str, list[Any]] = {n: [] for n in ADDR_SCHEMA.names}
    names: dict[str, list[Any]] = {n: [] for n in NAMES_SCHEMA.names}
    org_domains: set[str] = set()
    for p in people:
        key = user_key(p.staff_id)
        inputs.person_ids[key] = p.id
        inputs.pseudonyms[key] = p.pseudonym
        vs = sorted(versions.get(p.id, []), key=lambda v: v.id)
        if vs:
            points = sorted({d for v in vs for d in (v.valid_from, v.known_from)})
            spans = []
            for i, start in enumerate(points):
                end = points[i + 1] if i + 1 < len(points) else None
                w = _winner(vs, start)
                if w is None:
                    continue
                if spans and spans[-1][2] is w and spans[-1][1] == day_no(start):
                    spans[-1] = (spans[-1][0], day_no(end) if end else NEVER, w)
                else:  # the same version across change points stays one span
                    spans.append((day_no(start), day_no(end) if end else NEVER, w))
            first_known = min(day_no(v.known_from) for v in vs)
        else:  # no history recorded: the current facts, from the start
            spans = [(0, NEVER, p)]
            first_known = 0
        for start, end, w in spans:
            rows["user_key"].append(key)
            rows["from_no"].append(start)
            rows["to_no"].append(end)
            rows["department"].append(depts.get(w.department_id) if w.department_id else None)
            rows["job_title"].append(w.job_title)
            rows["departing"].append(int(_departing(w)))
            rows["privileged"].append(
                int(
                    is_privileged_title(w.job_title, terms)
                    or levels.get(w.position_id or -1) in PRIVILEGED_LEVELS
                )
            )
            for project in sorted(set(w.projects or [])):
                prj["user_key"].append(key)
                prj["project"].append(str(project).casefold())
                prj["from_no"].append(start)
                prj["to_no"].append(end)
            if w.email and "@" in w.email:
                org_domains.add(w.email.rsplit("@", 1)[1].casefold())
        for address in p.personal_emails or []:
            addr["user_key"].append(key)
            addr["address"].append(str(address).strip().casefold())
            addr["from_no"].append(first_known)
        seen_names: set[tuple[str, str]] = set()
        for start, _end, w in spans:
            parts = _name_parts(w.full_name or "")
            if parts and parts not in seen_names:
                seen_names.add(parts)
                names["user_key"].append(key)
                names["first"].append(parts[0])
                names["last"].append(parts[1])
                names["from_no"].append(start)
    inputs.tables["people"] = pa.table(rows, schema=PEOPLE_SCHEMA)
    inputs.tables["person_projects"] = pa.table(prj, schema=PROJECTS_SCHEMA)
    inputs.tables["declared_personal"] = pa.table(addr, schema=ADDR_SCHEMA)
    inputs.tables["person_names"] = pa.table(names, schema=NAMES_SCHEMA)
    domains = (
        {d.casefold() for d in (unit.email_domains or [])}
        | org_domains
        | {str(d).casefold() for d in cfg.get("org_domains") or []}
    )
    inputs.tables["org_domains"] = pa.table({"domain": sorted(domains)}, schema=DOMAIN_SCHEMA)
    if not people:
        inputs.notes.append(
            "no people records: peer groups are the whole unit and the "
            "organization's e-mail domains come from the data"
        )


def empty(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


def load_inputs(
    session: Session | None,
    unit_code: str,
    cfg: dict[str, Any],
    days: tuple[int, int] | None = None,
) -> Inputs:
    """Read every record the run needs for ``unit_code`` (no session: an empty organization
    with the default calendar); ``days`` is the range of event days."""
    unit = None
    if session is not None:
        unit = session.scalar(select(Unit).where(Unit.code == unit_code))
    inputs = Inputs(
        unit_code=unit_code,
        unit_id=unit.id if unit else None,
        timezone=unit.timezone if unit else "UTC",
        work_days=list(unit.work_days) if unit else [1, 2, 3, 4, 5],
        work_start=_hhmm(unit.work_start, 8) if unit else 8,
        work_end=_hhmm(unit.work_end, 18) if unit else 18,
        levels=list(unit.classification_levels) if unit else [],
    )
    for name, schema in (
        ("people", PEOPLE_SCHEMA),
        ("person_projects", PROJECTS_SCHEMA),
        ("declared_personal", ADDR_SCHEMA),
        ("person_names", NAMES_SCHEMA),
        ("org_domains", DOMAIN_SCHEMA),
        ("flags", FLAG_SCHEMA),
        ("host_records", HOSTS_SCHEMA),
        ("grants", GRANTS_SCHEMA),
        ("holidays", HOLIDAY_SCHEMA),
    ):
        inputs.tables[name] = empty(schema)
    inputs.tables["competitors"] = pa.table(
        {
            "domain": sorted(
                {str(d).casefold().strip(".") for d in cfg.get("competitor_domains") or []}
            )
        },
        schema=DOMAIN_SCHEMA,
    )
    if session is None or unit is None:
        inputs.notes.append(
            "no people records: peer groups are the whole unit and the "
            "organization's e-mail domains come from the data"
        )
        return inputs
    inputs.tables["holidays"] = pa.table(
        {"day_no": [day_no(h.day) for h in unit.holidays]}, schema=HOLIDAY_SCHEMA
    )
    people_tables(session, unit, cfg, inputs)
    from keyguard.analytics import optional_inputs

    optional_inputs.add_optional(session, unit, cfg, inputs, days)
    return inputs


def restricted(table: pa.Table, last_no: int) -> list[tuple[Any, ...]]:
    """Rows of an input table as known by day ``last_no`` (for fingerprints): rows starting
    later are dropped and open ends clipped, so later knowledge changes nothing earlier."""
    cols = table.column_names
    out = []
    for row in table.to_pylist():
        if "from_no" in row and row["from_no"] is not None and row["from_no"] > last_no:
            continue
        if "to_no" in row and row["to_no"] is not None:
            row["to_no"] = min(row["to_no"], last_no + 1)
        if "day_no" in row and row["day_no"] is not None and row["day_no"] > last_no:
            continue
        out.append(tuple(row[c] for c in cols))
    return sorted(out, key=repr)
