"""Tiny records and tiny Parquet event sets for the loophole checks' fixtures.

``make_unit`` builds one unit (time zone UTC) with an org tree, positions with holders and
people known from 2026-01-01; the other helpers add items, grants, clearances, hosts,
training and events. Scans run as of :data:`AS_OF` (the clock is fixed to that day)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from keyguard.events.schema import CLASS_UID, EVENT_SCHEMA
from keyguard.identity.models import Account
from keyguard.identity.service import create_account
from keyguard.privacy.pseudonyms import pseudonym
from keyguard.records.education.models import Campaign, Course, TrainingAssignment
from keyguard.records.org.models import OrgNode, Person, PersonVersion, Position, Unit
from keyguard.records.org.service import create_unit
from keyguard.records.personnel.models import Clearance
from keyguard.records.register.grants import Grantee, Scope, new_grant
from keyguard.records.register.models import CheckOut, GrantApproval, Host, Item
from keyguard.records.register.service import create_item

D0 = dt.date(2026, 1, 1)
AS_OF = dt.date(2026, 6, 30)
NOW = "2026-06-30T12:00:00+00:00"
PW = "a-long-Passw0rd!"


@dataclass
class W:
    unit: Unit
    nodes: dict[str, OrgNode] = field(default_factory=dict)
    positions: dict[str, Position] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)


def node(session: Session, w: W, key: str, kind: str, name: str, parent: str | None) -> OrgNode:
    up = w.nodes[parent] if parent else None
    n = OrgNode(
        unit_id=w.unit.id,
        kind=kind,
        name=name,
        path=f"{up.path} / {name}" if up else name,
        parent_id=up.id if up else None,
    )
    session.add(n)
    session.flush()
    w.nodes[key] = n
    return n


def position(session: Session, w: W, key: str, title: str, level: str, at: str) -> Position:
    pos = Position(unit_id=w.unit.id, title=title, level=level, org_node_id=w.nodes[at].id)
    session.add(pos)
    session.flush()
    w.positions[key] = pos
    return pos


def person(
    session: Session,
    w: W,
    staff: str,
    *,
    dept: str | None,
    team: str | None = None,
    pos: str | None = None,
    since: dt.date = D0,
) -> Person:
    p = Person(
        unit_id=w.unit.id,
        staff_id=staff,
        pseudonym=pseudonym(w.unit.code, staff),
        full_name=f"Name {staff.title()}",
        email=f"{staff.lower()}@u.example",
        department_id=w.nodes[dept].id if dept else None,
        team_id=w.nodes[team].id if team else None,
        position_id=w.positions[pos].id if pos else None,
        start_date=since,
        status="active",
    )
    session.add(p)
    session.flush()
    version(session, p, valid_from=since, known_from=since)
    w.people[staff] = p
    return p


def version(
    session: Session, p: Person, *, valid_from: dt.date, known_from: dt.date, **changes: Any
) -> PersonVersion:
    """Close the open version at ``valid_from`` and add one with ``changes`` (also set on
    the person, as an import does)."""
    for v in p.versions:
        if v.valid_to is None and v.valid_from < valid_from:
            v.valid_to = valid_from
    base = {
        "full_name": p.full_name,
        "email": p.email,
        "job_title": p.job_title,
        "department_id": p.department_id,
        "team_id": p.team_id,
        "position_id": p.position_id,
        "status": p.status,
        "manager_id": p.manager_id,
        "end_date": p.end_date,
    }
    base.update(changes)
    for k, val in changes.items():
        setattr(p, k, val)
    v = PersonVersion(
        unit_id=p.unit_id,
        person_id=p.id,
        valid_from=valid_from,
        known_from=known_from,
        source="test",
        **base,
    )
    session.add(v)
    session.flush()
    session.refresh(p)
    return v


def leave(session: Session, p: Person, last_day: dt.date) -> None:
    """Record that ``p`` left after ``last_day`` (known the next day)."""
    first = last_day + dt.timedelta(days=1)
    version(session, p, valid_from=first, known_from=first, status="left", end_date=last_day)


def make_unit(session: Session, code: str = "u1") -> W:
    w = W(create_unit(session, code=code, name="Unit One", timezone="UTC"))
    node(session, w, "co", "business_unit", "Company", None)
    node(session, w, "research", "department", "Research", "co")
    node(session, w, "alpha", "team", "Alpha", "research")
    node(session, w, "finance", "department", "Finance", "co")
    node(session, w, "security", "department", "Security office", "co")
    position(session, w, "director", "Director", "leadership", "co")
    position(session, w, "head_research", "Head of Research", "department", "research")
    position(session, w, "head_finance", "Head of Finance", "department", "finance")
    position(session, w, "officer", "Security officer", "security_office", "security")
    position(session, w, "engineer", "Engineer", "individual", "alpha")
    position(session, w, "accountant", "Accountant", "individual", "finance")
    for key in ("head_research", "head_finance", "officer"):
        w.positions[key].reports_to_id = w.positions["director"].id
    person(session, w, "DIR001", dept=None, pos="director")
    person(session, w, "HEAD001", dept="research", pos="head_research")
    person(session, w, "FIN001", dept="finance", pos="head_finance")
    person(session, w, "SEC001", dept="security", pos="officer")
    person(session, w, "ENG001", dept="research", team="alpha", pos="engineer")
    person(session, w, "ENG002", dept="research", team="alpha", pos="engineer")
    person(session, w, "ACC001", dept="finance", pos="accountant")
    w.accounts["officer"] = account(session, w, "officer", "SEC001", "security_officer")
    return w


def account(
    session: Session, w: W, key: str, staff: str | None, role: str, by: Account | None = None
) -> Account:
    acc = create_account(
        session,
        email=f"{key}@u.example",
        password=PW,
        unit_id=w.unit.id,
        person_id=w.people[staff].id if staff else None,
        roles=[(role, w.unit.id)],
        created_by=by,
    )
    w.accounts[key] = acc
    return acc


def item(
    session: Session,
    w: W,
    ref: str,
    level: str = "secret",
    *,
    dept: str = "research",
    owner: str | None = "HEAD001",
    custodian: str | None = "ENG002",
    location: str | None = None,
    room: str | None = None,
    review: dt.date | None = None,
) -> Item:
    return create_item(
        session,
        unit=w.unit,
        reference=ref,
        title=f"Item {ref}",
        level=level,
        locations=[location or f"\\\\fs01\\research\\{ref.lower()}\\*"] if not room else None,
        owner_department_id=w.nodes[dept].id,
        owner=w.people[owner] if owner else None,
        custodian=w.people[custodian] if custodian else None,
        created_on=D0,
        review_date=review,
        room=room,
    )


def grant(
    session: Session,
    w: W,
    *,
    to: str,
    it: Item | None = None,
    team: str | None = None,
    level: str | None = None,
    start: dt.date = D0,
    end: dt.date | None = None,
    approvers: tuple[str, ...] = ("HEAD001",),
    reviewed: dt.datetime | None = None,
    known_from: dt.date | None = None,
) -> Any:
    grantee = (
        Grantee("team", node=w.nodes[team]) if team else Grantee("person", person=w.people[to])
    )
    scope = Scope("level", level=level) if level else Scope("item", item=it)
    g = new_grant(
        session,
        unit=w.unit,
        grantee=grantee,
        scope=scope,
        purpose="project work",
        start=start,
        end=end,
        status="approved",
        known_from=known_from or start,
        source="test",
    )
    for staff in approvers:
        g.approvals.append(
            GrantApproval(
                unit_id=w.unit.id,
                person_id=w.people[staff].id,
                account_id=None,
                decision="approve",
                decided_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            )
        )
    g.last_reviewed_at = reviewed
    session.flush()
    return g


def clearance(session: Session, w: W, staff: str, level: str, since: dt.date = D0) -> Clearance:
    c = Clearance(
        unit_id=w.unit.id,
        person_id=w.people[staff].id,
        level=level,
        granted_on=since,
        valid_from=since,
        known_from=since,
        status="active",
    )
    session.add(c)
    session.flush()
    return c


def host(
    session: Session,
    w: W,
    name: str,
    staff: str | None,
    *,
    removable: bool = False,
    source: str = "import",
) -> Host:
    h = Host(
        unit_id=w.unit.id,
        name=name,
        name_key=name.lower(),
        assigned_person_id=w.people[staff].id if staff else None,
        shared=False,
        removable_media_allowed=removable,
        assignment_source=source,
        known_from=D0,
        source="hosts.csv:2",
    )
    session.add(h)
    session.flush()
    return h


COURSE = "urn:keyguard:course:classified-handling"


def training(session: Session, w: W, staff: str, passed: dt.date | None) -> TrainingAssignment:
    course = session.query(Course).filter_by(unit_id=w.unit.id, urn=COURSE).one_or_none()
    if course is None:
        course = Course(
            unit_id=w.unit.id,
            urn=COURSE,
            version=1,
            slug="classified-handling",
            kind="course",
            locale="en",
            title="Classified handling",
            sha256="0" * 64,
            source="test",
            content={},
            status="current",
        )
        session.add(course)
        session.flush()
    campaign = session.query(Campaign).filter_by(unit_id=w.unit.id).one_or_none()
    if campaign is None:
        campaign = Campaign(
            unit_id=w.unit.id,
            name="Classified access",
            course_urn=COURSE,
            audience="classified-access",
            starts_on=D0,
        )
        session.add(campaign)
        session.flush()
    t = TrainingAssignment(
        unit_id=w.unit.id,
        campaign_id=campaign.id,
        person_id=w.people[staff].id,
        course_urn=COURSE,
        period=str(passed.year if passed else D0.year),
        assigned_on=D0,
        due_on=D0 + dt.timedelta(days=30),
        completed_at=dt.datetime.combine(passed, dt.time(10), tzinfo=dt.UTC) if passed else None,
        status="passed" if passed else "assigned",
    )
    session.add(t)
    session.flush()
    return t


def checkout(
    session: Session, w: W, it: Item, staff: str, due: dt.date, returned: bool = False
) -> CheckOut:
    co = CheckOut(
        unit_id=w.unit.id,
        item_id=it.id,
        person_id=w.people[staff].id,
        checked_out_at=dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC),
        due_on=due,
        returned_at=dt.datetime(2026, 6, 2, 9, tzinfo=dt.UTC) if returned else None,
        issued_by="test",
        purpose="reading",
    )
    session.add(co)
    session.flush()
    return co


def ev(
    user: str,
    host: str,
    at: str,
    category: str = "logon",
    activity: str = "logon",
    *,
    obj: str | None = None,
    to_removable: bool | None = None,
    adapter: str = "cert",
    file: str | None = None,
) -> dict[str, Any]:
    """One event (``at``: ISO time in UTC)."""
    t = dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC)
    return {
        "user": user,
        "host": host,
        "t": t,
        "category": category,
        "activity": activity,
        "object": obj,
        "to_removable": to_removable,
        "adapter": adapter,
        "file": file or f"{category}.csv",
    }


def write_events(home: Path, unit_code: str, events: list[dict[str, Any]]) -> int:
    """Write events to ``<home>/events/unit=<code>/day=<d>/part-test-*.parquet``; the line of
    each is its position in its file (from 2)."""
    by_day: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
    lines: dict[str, int] = defaultdict(lambda: 1)
    existing = sum(1 for _ in (home / "events").rglob("*.parquet"))
    for e in sorted(events, key=lambda e: e["t"]):
        lines[e["file"]] += 1
        line = lines[e["file"]]
        eid = hashlib.sha1(f"{e['file']}:{line}:{existing}".encode()).hexdigest()[:16]
        by_day[e["t"].date()].append(
            {
                "event_id": eid,
                "unit": unit_code,
                "time_utc": e["t"],
                "local_date": e["t"].date(),
                "local_hour": e["t"].hour,
                "source_user": e["user"],
                "user_known": None,
                "host": e["host"],
                "category": e["category"],
                "class_uid": CLASS_UID.get(e["category"]),
                "activity": e["activity"],
                "object": e["object"],
                "to_removable": e["to_removable"],
                "from_removable": None,
                "source_file": e["file"],
                "source_line": line,
                "adapter": e["adapter"],
                "ingest_run": "test",
            }
        )
    for n, (day, rows) in enumerate(sorted(by_day.items())):
        folder = home / "events" / f"unit={unit_code}" / f"day={day.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)
        pq.write_table(table, folder / f"part-test{existing}-{n:04d}.parquet")
    return sum(len(r) for r in by_day.values())


def workdays(start: dt.date, end: dt.date) -> list[dt.date]:
    """Monday-to-Friday days in ``[start, end]``."""
    out, d = [], start
    while d <= end:
        if d.isoweekday() <= 5:
            out.append(d)
        d += dt.timedelta(days=1)
    return out
