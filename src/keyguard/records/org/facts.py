"""The core every people import and change goes through: person facts, each person's
timeline of versions, and the org tree and positions found or created by path.

Versions are never edited away. What a person's facts are on a day, as known on a day, is
the version with the latest ``valid_from`` on or before the day among those known by then,
and among versions starting on the same day the one recorded last. ``valid_to`` mirrors the
current belief (the next start; a superseded version gets an empty interval) so that plain
"valid on day d" queries see today's knowledge; questions about what was known earlier
must use :func:`keyguard.records.org.queries.person_facts_as_of`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.errors import RuleViolation
from keyguard.privacy.pseudonyms import pseudonym
from keyguard.records.org.models import (
    EMPLOYMENT_STATUSES,
    OrgNode,
    Person,
    PersonVersion,
    Position,
    Unit,
)

EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]+$")

#: Column lengths of the tables (longer values are rejected with a clear reason).
MAX_LEN = {
    "staff_id": 100,
    "full_name": 300,
    "email": 320,
    "job_title": 200,
    "node": 200,
    "position": 200,
}

#: Levels that imports derive, lowest first (``security_office`` is only set by hand).
LEVEL_RANK = {"individual": 0, "team": 1, "department": 2, "leadership": 3}

#: Changes to these facts make a person a "mover".
ORG_FIELDS = ("department_id", "team_id", "position_id", "manager_id")


def nfc(text: str) -> str:
    """NFC-normalised, trimmed text (names are stored this way)."""
    return unicodedata.normalize("NFC", text).strip()


def staff_key(staff_id: str) -> str:
    """How staff ids are compared: NFC, trimmed, case-insensitive."""
    return nfc(staff_id).casefold()


def name_key(name: str) -> str:
    """How full names are compared (supervisor names): NFC, case and spacing ignored."""
    return " ".join(nfc(name).casefold().split())


def valid_email(value: str) -> bool:
    return len(value) <= MAX_LEN["email"] and bool(EMAIL.match(value))


@dataclass(frozen=True)
class Facts:
    """The facts of one person version (everything but validity, knowledge and source)."""

    full_name: str
    email: str | None = None
    job_title: str | None = None
    projects: tuple[str, ...] = ()
    department_id: int | None = None
    team_id: int | None = None
    position_id: int | None = None
    manager_id: int | None = None
    status: str = "active"
    start_date: dt.date | None = None
    notice_date: dt.date | None = None
    end_date: dt.date | None = None

    @classmethod
    def of(cls, obj: PersonVersion | Person) -> Facts:
        return cls(
            full_name=obj.full_name,
            email=obj.email,
            job_title=obj.job_title,
            projects=tuple(obj.projects or ()),
            department_id=obj.department_id,
            team_id=obj.team_id,
            position_id=obj.position_id,
            manager_id=obj.manager_id,
            status=obj.status,
            start_date=obj.start_date,
            notice_date=obj.notice_date,
            end_date=obj.end_date,
        )

    def columns(self) -> dict[str, object]:
        out: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["projects"] = list(self.projects)
        return out

    def changed(self, **changes: object) -> Facts:
        unknown = changes.keys() - self.__dict__.keys()
        if unknown:
            raise RuleViolation(f"unknown person facts: {', '.join(sorted(unknown))}")
        if "projects" in changes:
            changes["projects"] = tuple(changes["projects"] or ())  # type: ignore[arg-type]
        return Facts(**{**self.__dict__, **changes})  # type: ignore[arg-type]

    def moved_from(self, other: Facts) -> bool:
        return any(getattr(self, f) != getattr(other, f) for f in ORG_FIELDS)


def winners_of(versions: Iterable[PersonVersion]) -> list[PersonVersion]:
    """Of versions in recording order: the last recorded for each start, by start."""
    last: dict[dt.date, PersonVersion] = {}
    for v in versions:
        last[v.valid_from] = v
    return [last[d] for d in sorted(last)]


class Timeline:
    """One person's versions in recording order, with the rule of what is in effect."""

    def __init__(self, person: Person, versions: Iterable[PersonVersion] = ()) -> None:
        self.person = person
        self.versions: list[PersonVersion] = sorted(versions, key=lambda v: v.id)
        self._facts: dict[int, Facts] = {}

    def facts(self, version: PersonVersion) -> Facts:
        """The facts of one of this timeline's versions (versions are never edited)."""
        found = self._facts.get(id(version))
        if found is None:
            found = self._facts[id(version)] = Facts.of(version)
        return found

    def in_effect(self, day: dt.date, known_on: dt.date | None = None) -> PersonVersion | None:
        """The version in effect on ``day`` (only versions known by ``known_on`` if given)."""
        best: PersonVersion | None = None
        best_key: tuple[dt.date, int] | None = None
        for rank, v in enumerate(self.versions):
            if v.valid_from > day or (known_on is not None and v.known_from > known_on):
                continue
            key = (v.valid_from, rank)
            if best_key is None or key > best_key:
                best, best_key = v, key
        return best

    def winners(self) -> list[PersonVersion]:
        """The version in effect from each distinct start, by start."""
        return winners_of(self.versions)

    def latest(self) -> PersonVersion | None:
        winners = self.winners()
        return winners[-1] if winners else None

    def first_start(self) -> dt.date | None:
        return min((v.valid_from for v in self.versions), default=None)

    def fix_valid_to(self) -> None:
        """Make ``valid_to`` state today's belief: the next start, empty when superseded."""
        winners = self.winners()
        ends = {
            id(v): (winners[i + 1].valid_from if i + 1 < len(winners) else None)
            for i, v in enumerate(winners)
        }
        for v in self.versions:
            end = ends.get(id(v), v.valid_from)
            if v.valid_to != end:
                v.valid_to = end

    def write(
        self,
        session: Session,
        *,
        valid_from: dt.date,
        known_from: dt.date,
        source: str,
        make: Callable[[Facts | None], Facts | None],
        propagate: bool = False,
    ) -> list[PersonVersion]:
        """Record ``make(facts in effect)`` from ``valid_from`` on when it differs.

        A snapshot (``propagate=False``) holds until the next recorded start; a change
        (``propagate=True``) is also applied to every later start. A new version is never
        known before the version it builds on (no look-ahead through a late correction).
        ``make`` returning ``None`` records nothing.
        """
        targets: list[tuple[dt.date, PersonVersion | None]] = [
            (valid_from, self.in_effect(valid_from))
        ]
        if propagate:
            targets += [(v.valid_from, v) for v in self.winners() if v.valid_from > valid_from]
        added: list[PersonVersion] = []
        for start, base in targets:
            old = self.facts(base) if base is not None else None
            new = make(old)
            if new is None or new == old:
                continue
            if new.status not in EMPLOYMENT_STATUSES:
                raise RuleViolation(f"status {new.status!r} is not one of {EMPLOYMENT_STATUSES}")
            known = max(known_from, base.known_from) if base is not None else known_from
            version = PersonVersion(
                unit_id=self.person.unit_id,
                person_id=self.person.id,
                valid_from=start,
                valid_to=None,
                known_from=known,
                source=source,
                **new.columns(),
            )
            session.add(version)
            self.versions.append(version)
            added.append(version)
        if added:
            self.fix_valid_to()
        return added

    def sync_person(self) -> None:
        """Mirror the latest facts on the person row (only values that differ)."""
        latest = self.latest()
        if latest is None:
            return
        for name, value in Facts.of(latest).columns().items():
            if getattr(self.person, name) != value:
                setattr(self.person, name, value)


class PeopleBook:
    """A unit's people and their timelines, loaded once for a bulk import."""

    def __init__(self, session: Session, unit: Unit) -> None:
        self.session = session
        self.unit = unit
        people = session.scalars(select(Person).where(Person.unit_id == unit.id)).all()
        versions: dict[int, list[PersonVersion]] = defaultdict(list)
        for v in session.scalars(select(PersonVersion).where(PersonVersion.unit_id == unit.id)):
            versions[v.person_id].append(v)
        self.timelines: dict[str, Timeline] = {
            staff_key(p.staff_id): Timeline(p, versions.get(p.id, ())) for p in people
        }
        self.by_id: dict[int, Person] = {p.id: p for p in people}

    def get(self, key: str) -> Person | None:
        tl = self.timelines.get(key)
        return tl.person if tl else None

    def timeline(self, key: str) -> Timeline:
        return self.timelines[key]

    def create(self, *, staff_id: str, full_name: str, email: str | None) -> Person:
        """A new person (no version yet); flush before writing versions."""
        staff_id = nfc(staff_id)
        person = Person(
            unit_id=self.unit.id,
            staff_id=staff_id,
            pseudonym=pseudonym(self.unit.code, staff_id),
            full_name=full_name,
            email=email,
            status="active",
            projects=[],
            personal_emails=[],
        )
        self.session.add(person)
        self.timelines[staff_key(staff_id)] = Timeline(person)
        return person

    def person_id(self, key: str | None) -> int | None:
        person = self.get(key) if key else None
        return person.id if person is not None else None

    def first_start(self) -> dt.date | None:
        return min((d for tl in self.timelines.values() if (d := tl.first_start())), default=None)

    def sync_people(self) -> None:
        for tl in self.timelines.values():
            tl.sync_person()


@dataclass(frozen=True)
class Placement:
    """Where a person sits in one snapshot: node paths and the manager's staff key."""

    chain: tuple[tuple[str, str], ...]  # (kind, name) from the top
    department: str | None  # path of the department node
    team: str | None  # path of the team node
    manager: str | None
    top: bool = False  # the source marks this person as the top (LDAP: empty supervisor)


def chain_path(chain: Sequence[tuple[str, str]], kind: str | None = None) -> str | None:
    """Path of the node of ``kind`` in the chain (``None``: the deepest node)."""
    names: list[str] = []
    found = False
    for k, name in chain:
        names.append(name)
        if kind is not None and k == kind:
            found = True
            break
    if kind is not None and not found:
        return None
    return " / ".join(names) if names else None


def position_levels(placements: Mapping[str, Placement]) -> dict[str, str]:
    """Each person's level from the shape of the tree: ``leadership`` for the top (no
    manager and reports, or marked top) and for people whose reports go beyond one
    department; ``department`` for heads whose reports are in their department;
    ``team`` for leads whose reports are all in their own team; ``individual`` otherwise."""
    reports: dict[str, list[str]] = defaultdict(list)
    for key, p in placements.items():
        if p.manager is not None and p.manager in placements and p.manager != key:
            reports[p.manager].append(key)
    levels: dict[str, str] = {}
    for key, p in placements.items():
        rs = [placements[r] for r in reports.get(key, ())]
        if p.top or (p.manager is None and rs):
            levels[key] = "leadership"
        elif not rs:
            levels[key] = "individual"
        elif p.department is None or any(r.department != p.department for r in rs):
            levels[key] = "leadership"
        elif p.team is not None and all(r.team == p.team for r in rs):
            levels[key] = "team"
        else:
            levels[key] = "department"
    return levels


class OrgIndex:
    """A unit's org nodes (by path) and positions (by node and title), created on demand."""

    def __init__(self, session: Session, unit: Unit) -> None:
        self.session = session
        self.unit = unit
        self.nodes: dict[str, OrgNode] = {
            n.path: n for n in session.scalars(select(OrgNode).where(OrgNode.unit_id == unit.id))
        }
        self.by_id: dict[int, OrgNode] = {n.id: n for n in self.nodes.values()}
        self.positions: dict[tuple[int | None, str], Position] = {
            (p.org_node_id, p.title): p
            for p in session.scalars(select(Position).where(Position.unit_id == unit.id))
        }

    def node(self, chain: Sequence[tuple[str, str]], day: dt.date) -> OrgNode | None:
        """The deepest node of ``chain``, creating missing nodes (known from ``day``)."""
        parent: OrgNode | None = None
        names: list[str] = []
        for kind, name in chain:
            names.append(name)
            path = " / ".join(names)
            node = self.nodes.get(path)
            if node is None:
                node = OrgNode(
                    unit_id=self.unit.id,
                    kind=kind,
                    name=name,
                    path=path,
                    parent_id=parent.id if parent else None,
                    known_from=day,
                )
                self.session.add(node)
                self.session.flush()
                self.nodes[path] = node
                self.by_id[node.id] = node
            elif node.known_from is None or day < node.known_from:
                node.known_from = day
            parent = node
        return parent

    def ancestors(self, node: OrgNode | None) -> list[OrgNode]:
        """``node`` and every node above it."""
        out: list[OrgNode] = []
        while node is not None and node not in out:
            out.append(node)
            node = self.by_id.get(node.parent_id) if node.parent_id else None
        return out

    def position(self, node: OrgNode | None, title: str, level: str) -> Position:
        """The position ``title`` at ``node``; an existing one is only ever raised in level."""
        key = (node.id if node else None, title)
        pos = self.positions.get(key)
        if pos is None:
            pos = Position(
                unit_id=self.unit.id,
                title=title,
                level=level,
                org_node_id=node.id if node else None,
            )
            self.session.add(pos)
            self.session.flush()
            self.positions[key] = pos
        elif pos.level in LEVEL_RANK and LEVEL_RANK[level] > LEVEL_RANK[pos.level]:
            pos.level = level
        return pos

    def link_reports_to(self, pairs: Iterable[tuple[Position, Position | None]]) -> None:
        """Set ``reports_to`` where it is still empty (positions keep their first link)."""
        for pos, boss in pairs:
            if boss is not None and pos.reports_to_id is None and boss.id != pos.id:
                pos.reports_to_id = boss.id


def position_title(level: str, job_title: str | None, node: OrgNode | None) -> str | None:
    """A position's title: "Head of <department>", "Lead of <team>", else the job title."""
    if level == "department" and node is not None:
        return f"Head of {node.name}"[: MAX_LEN["position"]]
    if level == "team" and node is not None:
        return f"Lead of {node.name}"[: MAX_LEN["position"]]
    if job_title:
        return job_title
    return "Leadership" if level == "leadership" else None


def place(
    index: OrgIndex,
    placements: Mapping[str, Placement],
    titles: Mapping[str, str | None],
    day: dt.date,
    explicit_titles: Mapping[str, str | None] | None = None,
) -> dict[str, tuple[OrgNode | None, OrgNode | None, Position | None]]:
    """Nodes and positions of a snapshot: staff key -> (department, team, position)."""
    levels = position_levels(placements)
    out: dict[str, tuple[OrgNode | None, OrgNode | None, Position | None]] = {}
    for key in sorted(placements):
        p = placements[key]
        deepest = index.node(p.chain, day)
        dept = index.nodes.get(p.department) if p.department else None
        team = index.nodes.get(p.team) if p.team else None
        level = levels[key]
        at = {"department": dept, "team": team}.get(level, deepest) or deepest
        title = (explicit_titles or {}).get(key) or position_title(level, titles.get(key), at)
        pos = index.position(at, title, level) if title else None
        out[key] = (dept, team, pos)
    links: list[tuple[Position, Position | None]] = []
    for key, p in sorted(placements.items()):
        pos = out[key][2]
        if pos is not None:
            links.append((pos, out[p.manager][2] if p.manager in out else None))
    index.link_reports_to(links)
    return out
