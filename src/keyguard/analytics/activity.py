"""Plain data for the activity pages and their JSON twins (both call these): the unit's
volume by local day and category, the people by volume, and one person's timeline.

What analysts see is pseudonymised: people and unknown accounts by pseudonym only; hosts,
paths and e-mail addresses through the alert evidence's :class:`Pseudonymiser`; host
owners by pseudonym. Nobody sees their own timeline, department heads get none of this,
and every look at a person's timeline is written to the audit chain.

The figures come from :mod:`keyguard.events.activity` (aggregates in DuckDB over the
Parquet files of the chosen days).
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.analytics.evidence import Pseudonymiser, pseudonymiser
from keyguard.analytics.inputs import user_key
from keyguard.config import get_settings
from keyguard.errors import NotFound, PermissionDenied, RuleViolation
from keyguard.events import activity as q
from keyguard.events.schema import CATEGORIES
from keyguard.events.store import EventStore
from keyguard.identity.permissions import Principal
from keyguard.privacy.pseudonyms import pseudonym
from keyguard.records.org.models import OrgNode, Person, Unit

#: Default window: the last 90 days of data.
DEFAULT_DAYS = 90
#: Events per page of a person's day; people per page of the list.
EVENTS_PAGE = 100
PEOPLE_PAGE = 50
PALETTE = ["#1f6feb", "#8957e5", "#2da44e", "#bf3989", "#d29922", "#57606a", "#cf222e"]
#: Local hours counted as outside usual hours in the people list (before 07, from 19).
OFF_HOURS = "before 07:00 or from 19:00"


@dataclass(frozen=True)
class Identity:
    """Who a ``source_user`` is, as far as an analyst may know."""

    key: str
    pseudonym: str
    person_id: int | None
    department_id: int | None


# -- helpers ------------------------------------------------------------------------------
def unit_of(db: Session, unit_id: int) -> Unit:
    unit = db.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"no unit {unit_id}")
    return unit


def check_viewer(principal: Principal, unit_id: int) -> None:
    """Department heads do not get the activity pages (issue #4, who sees what)."""
    if "department_head" in principal.role_names(unit_id):
        raise PermissionDenied("department heads do not see people's activity")


def _date(value: str | dt.date | None, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise RuleViolation(f"{name}: {value!r} is not an ISO date (YYYY-MM-DD)") from exc


def _page(value: int | str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError as exc:
        raise RuleViolation(f"page: {value!r} is not a number") from exc


def date_range(
    store: EventStore, unit: Unit, first: str | dt.date | None, last: str | dt.date | None
) -> dict[str, Any]:
    """The chosen local days (default: the last :data:`DEFAULT_DAYS` days of data) and the
    days the store holds for the unit."""
    held = q.data_days(store, unit.code)
    lo = _date(first, "from")
    hi = _date(last, "to")
    if hi is None:
        hi = held[1] if held else (lo or dt.date.today())
    if lo is None:
        lo = hi - dt.timedelta(days=DEFAULT_DAYS - 1)
    if lo > hi:
        raise RuleViolation(f"the range starts ({lo}) after it ends ({hi})")
    return {
        "first": lo,
        "last": hi,
        "data_first": held[0] if held else None,
        "data_last": held[1] if held else None,
    }


def _categories(value: str | None) -> tuple[str, ...] | None:
    if not value:
        return None
    return tuple(sorted({c.strip().lower() for c in value.split(",") if c.strip()}))


def _departments(db: Session, unit: Unit) -> list[dict[str, Any]]:
    rows = db.execute(
        select(OrgNode.id, OrgNode.name)
        .where(OrgNode.unit_id == unit.id, OrgNode.kind == "department")
        .order_by(OrgNode.name)
    ).all()
    return [{"id": int(i), "name": n} for i, n in rows]


class Directory:
    """Maps ``source_user`` spellings of the logs to the unit's people and pseudonyms."""

    def __init__(self, db: Session, unit: Unit, home: Path) -> None:
        self.unit = unit
        self.home = home
        self.people: dict[str, tuple[int, str, int | None]] = {}
        for pid, staff, pseud, dept in db.execute(
            select(Person.id, Person.staff_id, Person.pseudonym, Person.department_id).where(
                Person.unit_id == unit.id
            )
        ):
            self.people[user_key(staff)] = (int(pid), pseud, dept)
        self._cache: dict[str, Identity] = {}

    def of(self, source_user: str) -> Identity:
        hit = self._cache.get(source_user)
        if hit is not None:
            return hit
        key = user_key(source_user)
        person = self.people.get(key)
        if person is not None:
            who = Identity(key, person[1], person[0], person[2])
        else:
            who = Identity(key, pseudonym(self.unit.code, key, self.home), None, None)
        self._cache[source_user] = who
        return who

    def key_of_person(self, person_id: int | None) -> str | None:
        if person_id is None:
            return None
        for key, (pid, _p, _d) in self.people.items():
            if pid == person_id:
                return key
        return None


def _stacked(
    labels: list[str], cats: list[str], counts: dict[tuple[str, str], int]
) -> dict[str, Any]:
    datasets = [
        {
            "label": c,
            "data": [counts.get((x, c), 0) for x in labels],
            "stack": "events",
            "backgroundColor": PALETTE[i % len(PALETTE)],
        }
        for i, c in enumerate(cats)
    ]
    return {
        "type": "bar",
        "data": {"labels": labels, "datasets": datasets},
        "options": {
            "responsive": True,
            "animation": False,
            "scales": {"x": {"stacked": True}, "y": {"stacked": True, "beginAtZero": True}},
        },
    }


def _daily_chart(
    rows: list[dict[str, Any]], cats: list[str], first: dt.date, last: dt.date
) -> dict[str, Any]:
    """Stacked events per local day and category over every day of the range (days with
    no events are zero), and its data table."""
    counts = {(r["day"].isoformat(), r["category"]): r["events"] for r in rows}
    span = (last - first).days + 1
    days = [(first + dt.timedelta(days=i)).isoformat() for i in range(span)]
    table = []
    for d in days:
        row: dict[str, Any] = {"day": d, **{c: counts.get((d, c), 0) for c in cats}}
        row["total"] = sum(row[c] for c in cats)
        table.append(row)
    return {"spec": _stacked(days, cats, counts), "table": table, "categories": cats}


def _hourly_chart(rows: list[dict[str, Any]], cats: list[str]) -> dict[str, Any]:
    counts = {(f"{r['hour']:02d}", r["category"]): r["events"] for r in rows}
    hours = [f"{h:02d}" for h in range(24)]
    table = []
    for h in hours:
        row: dict[str, Any] = {"hour": h, **{c: counts.get((h, c), 0) for c in cats}}
        row["total"] = sum(row[c] for c in cats)
        table.append(row)
    return {"spec": _stacked(hours, cats, counts), "table": table, "categories": cats}


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


# -- the unit overview --------------------------------------------------------------------
def overview(
    db: Session,
    unit_id: int,
    principal: Principal,
    *,
    first: str | None = None,
    last: str | None = None,
    category: str | None = None,
    department: int | str | None = None,
    home: Path | None = None,
) -> dict[str, Any]:
    """The unit's events per local day and category over the range, per local hour, per
    category, per source adapter and ingest run, and known people against unknown
    accounts; filtered by categories (comma-separated) and a department."""
    check_viewer(principal, unit_id)
    unit = unit_of(db, unit_id)
    home = home or get_settings().home
    store = EventStore(home)
    rng = date_range(store, unit, first, last)
    cats = _categories(category)
    departments = _departments(db, unit)
    dept_id = _department_id(department, departments)
    users: tuple[str, ...] | None = None
    if dept_id is not None:
        directory = Directory(db, unit, home)
        spellings = q.distinct_users(store, q.Scope(unit.code, rng["first"], rng["last"]))
        users = tuple(s for s in spellings if directory.of(s).department_id == dept_id)
    scope = q.Scope(unit.code, rng["first"], rng["last"], cats, users)
    data = q.overview(store, scope)
    all_cats = q.order_categories(sorted({*data["categories"], *(cats or ())}))
    return {
        "range": {k: _iso(v) for k, v in rng.items()},
        "filters": {
            "category": ",".join(cats) if cats else "",
            "department": dept_id,
        },
        "departments": departments,
        "category_choices": q.order_categories(list({*CATEGORIES, *all_cats})),
        "total": data["total"],
        "by_category": data["by_category"],
        "known": data["known"],
        "unknown": data["unknown"],
        "sources": [
            {**s, "first_day": _iso(s["first_day"]), "last_day": _iso(s["last_day"])}
            for s in data["sources"]
        ],
        "daily": _daily_chart(data["daily"], all_cats, rng["first"], rng["last"]),
        "hourly": _hourly_chart(data["hourly"], all_cats),
    }


def _department_id(value: int | str | None, departments: list[dict[str, Any]]) -> int | None:
    if value is None or value == "":
        return None
    try:
        dept = int(value)
    except ValueError as exc:
        raise RuleViolation(f"department: {value!r} is not a number") from exc
    if dept not in {d["id"] for d in departments}:
        raise NotFound(f"no department {dept} in this unit")
    return dept


# -- people by volume ---------------------------------------------------------------------
def people(
    db: Session,
    unit_id: int,
    principal: Principal,
    *,
    first: str | None = None,
    last: str | None = None,
    category: str | None = None,
    department: int | str | None = None,
    search: str | None = None,
    account: str | None = None,
    page: int | str | None = 1,
    home: Path | None = None,
) -> dict[str, Any]:
    """The people and unknown accounts active in the range, busiest first, by pseudonym
    (the viewer left out), with their events per category, active days and events outside
    usual hours; ``search`` matches part of a pseudonym, ``account`` is ``known`` (people
    of the unit) or ``unknown`` (accounts that are no person). Paged."""
    if account not in (None, "", "known", "unknown"):
        raise RuleViolation(f"account: {account!r} is not known or unknown")
    check_viewer(principal, unit_id)
    unit = unit_of(db, unit_id)
    home = home or get_settings().home
    store = EventStore(home)
    rng = date_range(store, unit, first, last)
    cats = _categories(category)
    departments = _departments(db, unit)
    dept_id = _department_id(department, departments)
    directory = Directory(db, unit, home)
    own = directory.key_of_person(principal.person_id)
    rows = q.user_totals(store, q.Scope(unit.code, rng["first"], rng["last"], cats))
    merged: dict[str, dict[str, Any]] = {}
    for r in rows:
        who = directory.of(r["source_user"])
        if who.key == own:
            continue
        if dept_id is not None and who.department_id != dept_id:
            continue
        m = merged.setdefault(
            who.key,
            {
                "pseudonym": who.pseudonym,
                "known": who.person_id is not None,
                "department_id": who.department_id,
                "events": 0,
                "by_category": {},
                "days": 0,
                "first_day": r["first_day"],
                "last_day": r["last_day"],
                "off_hours": 0,
            },
        )
        m["events"] += r["events"]
        m["days"] = max(m["days"], r["days"])  # spellings of one person: at least this many
        m["off_hours"] += r["off_hours"]
        m["first_day"] = min(m["first_day"], r["first_day"])
        m["last_day"] = max(m["last_day"], r["last_day"])
        for c, n in r["by_category"].items():
            m["by_category"][c] = m["by_category"].get(c, 0) + n
    listed = sorted(merged.values(), key=lambda m: (-m["events"], m["pseudonym"]))
    needle = (search or "").strip().casefold()
    if needle:
        listed = [m for m in listed if needle in m["pseudonym"].casefold()]
    if account:
        listed = [m for m in listed if m["known"] == (account == "known")]
    names = {d["id"]: d["name"] for d in departments}
    cats_found = q.order_categories(sorted({c for m in listed for c in m["by_category"]}))
    page_no = _page(page)
    pages = max(1, math.ceil(len(listed) / PEOPLE_PAGE))
    chunk = listed[(page_no - 1) * PEOPLE_PAGE : page_no * PEOPLE_PAGE]
    return {
        "range": {k: _iso(v) for k, v in rng.items()},
        "filters": {
            "category": ",".join(cats) if cats else "",
            "department": dept_id,
            "search": search or "",
            "account": account or "",
        },
        "departments": departments,
        "category_choices": q.order_categories(list({*CATEGORIES, *cats_found})),
        "categories": cats_found,
        "count": len(listed),
        "page": page_no,
        "pages": pages,
        "off_hours": OFF_HOURS,
        "people": [
            {
                **m,
                "department": names.get(m["department_id"]) if m["department_id"] else None,
                "first_day": _iso(m["first_day"]),
                "last_day": _iso(m["last_day"]),
            }
            for m in chunk
        ],
    }


# -- one person's timeline ----------------------------------------------------------------
def _describe(e: dict[str, Any]) -> str | None:
    """What the event touched, in words (before pseudonymisation)."""
    cat = e.get("category")
    if cat == "email":
        rcpt = ", ".join(e.get("recipients") or [])
        text = f"from {e.get('sender') or '?'} to {rcpt or '?'}"
        n = e.get("attachment_count") or 0
        return text + (f" ({n} attachments)" if n else "")
    if cat == "http":
        host = e.get("url_host") or ""
        obj = e.get("object")
        text = obj if obj else host
        if e.get("site_category"):
            text = f"{text} [{e['site_category']}]"
        return text or None
    return e.get("object")


def _hosts(db: Session, unit: Unit) -> dict[str, dict[str, Any]]:
    from keyguard.records.register.hosts import host_assignments

    pseud = {
        int(i): str(p)
        for i, p in db.execute(
            select(Person.id, Person.pseudonym).where(Person.unit_id == unit.id)
        ).all()
    }
    out = {}
    for h in host_assignments(db, unit).to_pylist():
        out[str(h["host_key"])] = {
            "owner": pseud.get(h["person_id"]) if h["person_id"] else None,
            "shared": bool(h["shared"]),
            "source": h["source"],
        }
    return out


def _event_row(
    e: dict[str, Any],
    tz: zoneinfo.ZoneInfo,
    pz: Pseudonymiser,
    hosts: dict[str, dict[str, Any]],
    self_pseudonym: str,
) -> dict[str, Any]:
    t: dt.datetime = e["time_utc"]
    host = e.get("host")
    info = hosts.get(str(host).lower()) if host else None
    owner = info["owner"] if info else None
    if info is None:
        machine = "unknown"
    elif info["shared"]:
        machine = "shared"
    elif owner is None:
        machine = "unassigned"
    elif owner == self_pseudonym:
        machine = "own"
    else:
        machine = "another person's"
    return {
        "event_id": pz.text(e["event_id"]),
        "local_time": t.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
        "utc_time": t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
        "category": e["category"],
        "activity": e["activity"],
        "host": pz.text(host),
        "host_owner": owner,
        "machine": machine,
        "object": pz.text(_describe(e)),
        "size": e.get("size"),
        "to_removable": bool(e.get("to_removable")),
        "from_removable": bool(e.get("from_removable")),
        "recipients_outside": e.get("recipients_outside"),
        "source": pz.text(f"{e['source_file']}:{e['source_line']}"),
        "adapter": e.get("adapter"),
        "ingest_run": e.get("ingest_run"),
    }


def _who(
    db: Session, unit: Unit, directory: Directory, spellings: list[str], wanted: str
) -> tuple[Identity, list[str]]:
    """The identity behind pseudonym ``wanted`` and its spellings in the logs."""
    person = db.scalar(select(Person).where(Person.unit_id == unit.id, Person.pseudonym == wanted))
    if person is not None:
        key = user_key(person.staff_id)
        who = Identity(key, person.pseudonym, person.id, person.department_id)
        return who, [s for s in spellings if directory.of(s).key == key]
    mine = [s for s in spellings if directory.of(s).pseudonym == wanted]
    if not mine:
        raise NotFound(f"no person or account {wanted!r} with activity in this unit")
    return directory.of(mine[0]), mine


def person(
    db: Session,
    unit_id: int,
    wanted: str,
    principal: Principal,
    *,
    first: str | None = None,
    last: str | None = None,
    day: str | None = None,
    category: str | None = None,
    page: int | str | None = 1,
    home: Path | None = None,
) -> dict[str, Any]:
    """One person's (or unknown account's) timeline by pseudonym: events per local day and
    category and per local hour over the range, then the events of one day (default: the
    last active day), paged, with local and UTC time, host and its owner, the object
    (pseudonymised), source ``file:line`` and ingest run. Audited; never the viewer's own."""
    check_viewer(principal, unit_id)
    unit = unit_of(db, unit_id)
    home = home or get_settings().home
    store = EventStore(home)
    rng = date_range(store, unit, first, last)
    cats = _categories(category)
    directory = Directory(db, unit, home)
    chosen = _date(day, "day")
    lo = min(rng["first"], chosen) if chosen else rng["first"]
    hi = max(rng["last"], chosen) if chosen else rng["last"]
    spellings = q.distinct_users(store, q.Scope(unit.code, lo, hi))
    who, mine = _who(db, unit, directory, spellings, wanted)
    if who.key == directory.key_of_person(principal.person_id) and who.key:
        raise PermissionDenied("nobody sees their own activity timeline")
    scope = q.Scope(unit.code, rng["first"], rng["last"], cats, tuple(mine))
    data = q.overview(store, scope)
    active = sorted({r["day"] for r in data["daily"]})
    if chosen is None and active:
        chosen = active[-1]
    page_no = _page(page)
    total, events = 0, list[dict[str, Any]]()
    if chosen is not None:
        total, events = q.day_events(
            store,
            q.Scope(unit.code, chosen, chosen, cats, tuple(mine)),
            limit=EVENTS_PAGE,
            offset=(page_no - 1) * EVENTS_PAGE,
        )
    tz = zoneinfo.ZoneInfo(unit.timezone or "UTC")
    pz = pseudonymiser(db, unit)
    hosts = _hosts(db, unit) if events else {}
    rows = [_event_row(e, tz, pz, hosts, who.pseudonym) for e in events]
    audit.record(
        db,
        "view",
        "person",
        who.person_id if who.person_id is not None else who.pseudonym,
        {
            "what": "activity timeline",
            "pseudonym": who.pseudonym,
            "known": who.person_id is not None,
            "identified": False,
            "first": rng["first"].isoformat(),
            "last": rng["last"].isoformat(),
            "day": chosen.isoformat() if chosen else None,
            "page": page_no,
            "events_shown": len(rows),
        },
        unit_id=unit.id,
    )
    all_cats = q.order_categories(sorted({*data["categories"], *(cats or ())}))
    names = {d["id"]: d["name"] for d in _departments(db, unit)}
    return {
        "person": {
            "pseudonym": who.pseudonym,
            "known": who.person_id is not None,
            "department": names.get(who.department_id) if who.department_id else None,
        },
        "range": {k: _iso(v) for k, v in rng.items()},
        "filters": {"category": ",".join(cats) if cats else ""},
        "category_choices": q.order_categories(list({*CATEGORIES, *all_cats})),
        "total": data["total"],
        "by_category": data["by_category"],
        "active_days": len(active),
        "daily": _daily_chart(data["daily"], all_cats, rng["first"], rng["last"]),
        "hourly": _hourly_chart(data["hourly"], all_cats),
        "day": {
            "day": _iso(chosen),
            "events": rows,
            "total": total,
            "page": page_no,
            "pages": max(1, math.ceil(total / EVENTS_PAGE)),
            "previous": _iso(max((d for d in active if chosen and d < chosen), default=None)),
            "next": _iso(min((d for d in active if chosen and d > chosen), default=None)),
        },
    }


# -- dashboard card -----------------------------------------------------------------------
def card(db: Session, unit_id: int, home: Path | None = None) -> dict[str, Any]:
    """The last seven days of data: events, by category, and how many came from accounts
    that are no known person."""
    unit = unit_of(db, unit_id)
    store = EventStore(home or get_settings().home)
    held = q.data_days(store, unit.code)
    if held is None:
        return {"last_day": None, "first_day": None, "events": 0, "by_category": {}, "unknown": 0}
    first = held[1] - dt.timedelta(days=6)
    data = q.overview(store, q.Scope(unit.code, first, held[1]))
    return {
        "first_day": first.isoformat(),
        "last_day": held[1].isoformat(),
        "events": data["total"],
        "by_category": data["by_category"],
        "unknown": data["unknown"]["events"],
    }
