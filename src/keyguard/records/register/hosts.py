"""Hosts: the hosts.csv import, the inference of each host's main user from logons in the
event store, and :func:`host_assignments` for the analytics and loophole checks.

Inference (for hosts not in hosts.csv): per host and local day, the user with the most
logons is that day's top user; the host is assigned to the user who is top on most days
(ties: the smaller user name). ``known_from`` is the first day from which that user was the
leader on every later day, so a day scored before it does not use the answer. A host whose
main user is top on fewer than half of its active days is marked shared.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.config import get_settings
from keyguard.errors import KeyguardError
from keyguard.records.org.models import Person, Unit
from keyguard.records.register.common import local_today, parse_bool, person_by_staff_id, read_csv
from keyguard.records.register.imports import ImportReport, _bulk, _finish, _run_rows
from keyguard.records.register.matching import user_key
from keyguard.records.register.models import Host

HOST_COLUMNS = ("host", "assigned_staff_id", "shared", "removable_media_allowed")
SHARED_BELOW = 0.5

HOST_SCHEMA = pa.schema(
    [
        ("host", pa.string()),
        ("host_key", pa.string()),
        ("person_id", pa.int64()),
        ("assigned_staff_id", pa.string()),
        ("shared", pa.bool_()),
        ("removable_media_allowed", pa.bool_()),
        ("source", pa.string()),
        ("known_from", pa.date32()),
        ("inferred_user", pa.string()),
        ("inferred_share", pa.float64()),
    ]
)


def import_hosts(
    session: Session,
    *,
    unit: Unit,
    path: Path,
    known_from: dt.date | None = None,
    name: str | None = None,
) -> ImportReport:
    """Import ``host,assigned_staff_id,shared,removable_media_allowed``; an imported host
    replaces an inferred assignment. Known from ``known_from`` (default: today)."""
    rows = read_csv(path, HOST_COLUMNS, name=name)
    report = ImportReport("hosts", rows.file)
    seen: dict[str, int] = {}
    day = known_from or local_today(unit)

    def handle(line: int, v: dict[str, str]) -> str:
        name = v["host"]
        if not name:
            raise KeyguardError("empty host")
        key = name.casefold()
        if key in seen:
            raise KeyguardError(f"duplicate host {name} (first on line {seen[key]})")
        seen[key] = line
        person = (
            person_by_staff_id(session, unit.id, v["assigned_staff_id"])
            if v["assigned_staff_id"]
            else None
        )
        shared = parse_bool(v["shared"], "shared")
        removable = parse_bool(v["removable_media_allowed"], "removable_media_allowed")
        host = session.scalar(select(Host).where(Host.unit_id == unit.id, Host.name_key == key))
        values: dict[str, Any] = {
            "name": name,
            "assigned_person_id": person.id if person else None,
            "shared": shared,
            "removable_media_allowed": removable,
            "assignment_source": "import",
        }
        if host is None:
            session.add(
                Host(
                    unit_id=unit.id,
                    name_key=key,
                    known_from=day,
                    source=f"{rows.file}:{line}",
                    **values,
                )
            )
            session.flush()
            return "created"
        changed = False
        for k, value in values.items():
            if getattr(host, k) != value:
                setattr(host, k, value)
                changed = True
        if changed:
            host.known_from = day
            host.source = f"{rows.file}:{line}"
            host.inferred_user = host.inferred_share = host.inferred_days = None
        session.flush()
        return "updated" if changed else "unchanged"

    with _bulk(session, "hosts", rows.file, unit):
        _run_rows(session, rows, report, handle)
    return _finish(session, unit, rows, report)


def events_glob(unit: Unit, events_dir: Path | None = None) -> str:
    """The Parquet files of the unit in the event store."""
    root = events_dir or get_settings().events_dir
    return str(root / f"unit={unit.code}" / "day=*" / "*.parquet")


def daily_top_users(glob: str) -> list[tuple[str, str, dt.date, str]]:
    """(host key, host name, day, top user) for every host and day with logons."""
    con = duckdb.connect()
    try:
        return con.execute(
            """
            WITH l AS (
                SELECT lower(host) AS h, min(host) AS name, source_user AS u,
                       local_date AS d, count(*) AS n
                FROM read_parquet(?, hive_partitioning = false, union_by_name = true)
                WHERE category = 'logon' AND activity = 'logon'
                  AND host IS NOT NULL AND source_user IS NOT NULL
                GROUP BY 1, 3, 4
            )
            SELECT h, min(name) OVER (PARTITION BY h) AS name, d, u FROM (
                SELECT *, row_number() OVER (PARTITION BY h, d ORDER BY n DESC, u) AS rn FROM l
            ) WHERE rn = 1 ORDER BY h, d
            """,
            [glob],
        ).fetchall()
    finally:
        con.close()


def _leader(days: list[tuple[dt.date, str]]) -> tuple[str, int, dt.date]:
    """Main user, their number of top days, and the day from which they stayed the leader."""
    counts: Counter[str] = Counter()
    leaders: list[tuple[dt.date, str]] = []
    for day, user in days:
        counts[user] += 1
        best = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        leaders.append((day, best))
    owner = leaders[-1][1]
    since = leaders[-1][0]
    for day, best in reversed(leaders):
        if best != owner:
            break
        since = day
    return owner, counts[owner], since


def infer_hosts(session: Session, *, unit: Unit, events_dir: Path | None = None) -> dict[str, int]:
    """Infer the main user of every host seen in logons and not imported from hosts.csv."""
    glob = events_glob(unit, events_dir)
    if not list(Path(glob).parent.parent.glob("day=*/*.parquet")):
        return {"hosts": 0, "inferred": 0}
    by_host: dict[str, tuple[str, list[tuple[dt.date, str]]]] = {}
    for h, name, day, user in daily_top_users(glob):
        by_host.setdefault(h, (name, []))[1].append((day, user))
    staff = {
        s.lower(): pid
        for pid, s in session.execute(
            select(Person.id, Person.staff_id).where(Person.unit_id == unit.id)
        ).all()
    }
    stored = {h.name_key: h for h in session.scalars(select(Host).where(Host.unit_id == unit.id))}
    inferred = 0
    for key, (name, days) in by_host.items():
        host = stored.get(key)
        if host is not None and host.assignment_source == "import":
            continue
        owner, top_days, since = _leader(days)
        share = top_days / len(days)
        values: dict[str, Any] = {
            "assigned_person_id": staff.get(user_key(owner)),
            "inferred_user": owner,
            "inferred_share": round(share, 4),
            "inferred_days": len(days),
            "shared": share < SHARED_BELOW,
            "known_from": since,
        }
        if host is None:
            host = Host(
                unit_id=unit.id,
                name=name,
                name_key=key,
                assignment_source="inferred",
                removable_media_allowed=False,
                source="inferred from logons",
                **values,
            )
            session.add(host)
            inferred += 1
            continue
        if any(getattr(host, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(host, k, v)
            inferred += 1
    session.flush()
    return {"hosts": len(by_host), "inferred": inferred}


def host_assignments(session: Session, unit: Unit) -> pa.Table:
    """Every host with its assigned person (staff id), whether it is shared, whether
    removable media are allowed, ``source`` (``import`` or ``inferred``) and ``known_from``.
    ``.to_pylist()`` gives dicts."""
    staff = dict(
        session.execute(select(Person.id, Person.staff_id).where(Person.unit_id == unit.id)).all()
    )
    rows = [
        {
            "host": h.name,
            "host_key": h.name_key,
            "person_id": h.assigned_person_id,
            "assigned_staff_id": staff.get(h.assigned_person_id or -1),
            "shared": h.shared,
            "removable_media_allowed": h.removable_media_allowed,
            "source": h.assignment_source,
            "known_from": h.known_from,
            "inferred_user": h.inferred_user,
            "inferred_share": h.inferred_share,
        }
        for h in session.scalars(select(Host).where(Host.unit_id == unit.id).order_by(Host.name))
    ]
    return pa.Table.from_pylist(rows, schema=HOST_SCHEMA)
