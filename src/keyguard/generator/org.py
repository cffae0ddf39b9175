"""The fictional organization: business and functional units, departments, teams, people
(leadership, department heads, team leaders, staff), joiners and leavers, and machines.

Imports only numpy and sibling modules of the generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from keyguard.generator.calendar import Calendar
from keyguard.generator.names import (
    DEPARTMENTS,
    FIRST_NAMES,
    FUNCTIONAL_UNITS,
    LAST_NAMES,
    DeptTemplate,
)
from keyguard.generator.params import STREAM_ORG, GeneratorParams, rng_for

WEBMAIL_DOMAINS: tuple[str, ...] = ("mailbox.example", "postbox.example", "quickmail.example")
"""Personal webmail domains (all in the ``webmail`` site category)."""

KIND_PRESIDENT = "president"
KIND_VP = "vp"
KIND_HEAD = "head"
KIND_LEAD = "lead"
KIND_STAFF = "staff"

NEVER = 1 << 30  # an end day after every period


@dataclass
class Department:
    """A department with its teams (indices into ``Org.teams``) and head (person index)."""

    index: int
    template: DeptTemplate
    label: str  # as in LDAP, e.g. "3 - Propulsion"
    fu: int
    share: str  # UNC root, e.g. \\fs03\propulsion
    head: int = -1
    teams: list[int] = field(default_factory=list)


@dataclass
class Team:
    """A team of a department with its leader (person index)."""

    index: int
    dept: int
    label: str
    leader: int = -1


@dataclass
class Person:
    """One person ever employed during the period."""

    index: int
    name: str
    user_id: str
    email: str
    personal_email: str
    role: str
    kind: str
    fu: int  # -1 for the president
    dept: int  # -1 for leadership
    team: int  # -1 unless team leader or staff
    supervisor: int  # person index, -1 for the president
    start_day: int  # first employed day index (<= 0 if employed before the period)
    end_day: int  # last employed day index (NEVER if not leaving)
    host: int = -1  # personal machine (index into Org.hosts)
    projects: str = ""


@dataclass
class Host:
    """A machine: personal (assigned to one person) or shared (a lab or kiosk machine)."""

    name: str
    owner: int  # person index or -1
    shared: bool
    dept: int  # department that uses it
    removable_allowed: bool = False


@dataclass
class Org:
    """Everything about the unit's structure; arrays are indexed by person."""

    params: GeneratorParams
    business_units: list[str]
    functional_units: list[str]  # LDAP labels
    fu_bu: list[str]
    vps: list[int]  # person index per functional unit
    departments: list[Department]
    teams: list[Team]
    people: list[Person]
    hosts: list[Host]
    president: int = 0

    def arrays(self) -> dict[str, np.ndarray]:
        """Per-person numpy arrays used by vectorised steps."""
        return {
            "dept": np.array([p.dept for p in self.people], dtype=np.int32),
            "team": np.array([p.team for p in self.people], dtype=np.int32),
            "start": np.array([p.start_day for p in self.people], dtype=np.int64),
            "end": np.array([p.end_day for p in self.people], dtype=np.int64),
            "host": np.array([p.host for p in self.people], dtype=np.int32),
        }

    def work_dept(self, person: int) -> int:
        """Department whose share a person mainly uses (leaders: first of their unit)."""
        p = self.people[person]
        if p.dept >= 0:
            return p.dept
        for d in self.departments:
            if p.fu < 0 or d.fu == p.fu:
                return d.index
        return 0

    def employed(self, person: int, day: int) -> bool:
        """Whether the person is employed on a day index."""
        p = self.people[person]
        return p.start_day <= day <= p.end_day

    def members(self, team: int) -> list[int]:
        """People of a team (leader included)."""
        return [p.index for p in self.people if p.team == team]


def _choose_departments(users: int) -> list[DeptTemplate]:
    count = min(len(DEPARTMENTS), max(5, 3 + users // 40))
    return list(DEPARTMENTS[:count])


class _NameMaker:
    def __init__(self, rng: np.random.Generator, domain: str) -> None:
        self.rng = rng
        self.domain = domain
        self.names: set[str] = set()
        self.ids: set[str] = set()

    def make(self) -> tuple[str, str, str, str]:
        while True:
            first = FIRST_NAMES[int(self.rng.integers(len(FIRST_NAMES)))]
            middle = FIRST_NAMES[int(self.rng.integers(len(FIRST_NAMES)))]
            last = LAST_NAMES[int(self.rng.integers(len(LAST_NAMES)))]
            name = f"{first} {middle} {last}"
            if middle != first and name not in self.names:
                break
        self.names.add(name)
        while True:
            user_id = f"{first[0]}{middle[0]}{last[0]}{int(self.rng.integers(1, 10000)):04d}"
            if user_id not in self.ids:
                break
        self.ids.add(user_id)
        email = f"{first}.{middle}.{last}@{self.domain}"
        webmail = WEBMAIL_DOMAINS[int(self.rng.integers(len(WEBMAIL_DOMAINS)))]
        personal = f"{first.lower()}.{last.lower()}{int(self.rng.integers(10, 100))}@{webmail}"
        return name, user_id, email, personal


def _allocate(total: int, weights: np.ndarray, minimum: np.ndarray) -> np.ndarray:
    """Split ``total`` into integer parts proportional to weights, respecting minimums."""
    counts = minimum.copy()
    rest = total - int(counts.sum())
    if rest > 0:
        share = weights / weights.sum() * rest
        add = np.floor(share).astype(np.int64)
        remainder = rest - int(add.sum())
        order = np.argsort(-(share - add), kind="stable")
        add[order[:remainder]] += 1
        counts += add
    return counts


def build_org(params: GeneratorParams, cal: Calendar, scenario_slots: int) -> Org:
    """Build the unit's structure and people; ``scenario_slots`` sizes the IT department."""
    rng = rng_for(params.seed, STREAM_ORG)
    names = _NameMaker(rng, params.domain)
    templates = _choose_departments(params.users)
    fu_names = [fu for fu in FUNCTIONAL_UNITS if any(t.functional_unit == fu for t in templates)]
    bu_count = 2 if params.users >= 500 else 1
    functional_units = [f"{i + 1} - {name}" for i, name in enumerate(fu_names)]
    fu_bu = [str(1 + (i * bu_count) // len(fu_names)) for i in range(len(fu_names))]
    people: list[Person] = []

    def add(role: str, kind: str, fu: int, dept: int, team: int, sup: int, start: int) -> int:
        name, user_id, email, personal = names.make()
        people.append(
            Person(
                index=len(people),
                name=name,
                user_id=user_id,
                email=email,
                personal_email=personal,
                role=role,
                kind=kind,
                fu=fu,
                dept=dept,
                team=team,
                supervisor=sup,
                start_day=start,
                end_day=NEVER,
            )
        )
        return len(people) - 1

    # Joiners are extra people beyond the head count at the start.
    expected_moves = params.users * 0.12 * params.days / 365.0
    joiners = max(1, round(expected_moves))
    president = add("President", KIND_PRESIDENT, -1, -1, -1, -1, -1000)
    vps = [add("VicePresident", KIND_VP, i, -1, -1, president, -1000) for i in range(len(fu_names))]
    departments: list[Department] = []
    per_fu_count = [0] * len(fu_names)
    for t in templates:
        fu = fu_names.index(t.functional_unit)
        per_fu_count[fu] += 1
        server = f"fs{fu + 1:02d}"
        departments.append(
            Department(
                index=len(departments),
                template=t,
                label=f"{per_fu_count[fu]} - {t.name}",
                fu=fu,
                share=f"\\\\{server}\\{t.key}",
            )
        )
    staff_total = params.users - 1 - len(vps)
    weights = np.array([t.weight for t in templates], dtype=float)
    minimum = np.full(len(templates), 3, dtype=np.int64)
    minimum[0] = 2 * scenario_slots + 3  # IT Operations: head, a leader, the admins
    sizes = _allocate(staff_total, weights, minimum)
    teams: list[Team] = []
    for dept, size in zip(departments, sizes, strict=True):
        t = dept.template
        dept.head = add("Director", KIND_HEAD, dept.fu, dept.index, -1, vps[dept.fu], -1000)
        members = int(size) - 1
        n_teams = max(1, min(len(t.teams), math.ceil(members / 10)))
        team_sizes = _allocate(members, np.ones(n_teams), np.ones(n_teams, dtype=np.int64))
        for j in range(n_teams):
            team = Team(index=len(teams), dept=dept.index, label=f"{j + 1} - {t.teams[j]}")
            teams.append(team)
            dept.teams.append(team.index)
            team.leader = add(
                "Manager", KIND_LEAD, dept.fu, dept.index, team.index, dept.head, -1000
            )
            for k in range(int(team_sizes[j]) - 1):
                role = t.roles[0] if k % 2 == 0 else t.roles[int(rng.integers(len(t.roles)))]
                if dept.index == 0:
                    role = "ITAdmin" if k % 4 != 3 else t.roles[1]
                add(role, KIND_STAFF, dept.fu, dept.index, team.index, team.leader, -1000)
    # Joiners: staff of a random team, starting on a workday after the first week.
    first_join = min(7, cal.days // 4)
    join_days = cal.workdays_between(first_join, cal.days - 5)
    for _ in range(joiners):
        team = teams[int(rng.integers(len(teams)))]
        t = departments[team.dept].template
        role = t.roles[int(rng.integers(len(t.roles)))]
        day = int(join_days[int(rng.integers(len(join_days)))])
        add(role, KIND_STAFF, departments[team.dept].fu, team.dept, team.index, team.leader, day)
    org = Org(
        params=params,
        business_units=[str(i + 1) for i in range(bu_count)],
        functional_units=functional_units,
        fu_bu=fu_bu,
        vps=vps,
        departments=departments,
        teams=teams,
        people=people,
        hosts=[],
        president=president,
    )
    _assign_hosts(org, rng)
    return org


def _assign_hosts(org: Org, rng: np.random.Generator) -> None:
    """Give everyone a personal PC and add shared machines (labs, kiosks)."""
    n_shared = max(2, len(org.people) // 40)
    total = len(org.people) + n_shared
    width = 4 if total < 8000 else 5
    numbers = rng.choice(np.arange(10 ** (width - 1), 10**width), size=total, replace=False)
    for person, number in zip(org.people, numbers[: len(org.people)], strict=True):
        person.host = len(org.hosts)
        org.hosts.append(
            Host(f"PC-{int(number):0{width}d}", person.index, False, org.work_dept(person.index))
        )
    lab_depts = [
        d.index for d in org.departments if d.template.classified in ("research", "light")
    ] or [0]
    for k, number in enumerate(numbers[len(org.people) :]):
        dept = lab_depts[k % len(lab_depts)]
        org.hosts.append(Host(f"PC-{int(number):0{width}d}", -1, True, dept))


def ldap_row(org: Org, person: int) -> list[str]:
    """The person's LDAP row (CERT r6.2 columns)."""
    p = org.people[person]
    bu = org.fu_bu[p.fu] if p.fu >= 0 else org.business_units[0]
    if p.kind == KIND_PRESIDENT:
        return [p.name, p.user_id, p.email, p.role, p.projects, bu, "", "", "", ""]
    fu = org.functional_units[p.fu]
    dept = org.departments[p.dept].label if p.dept >= 0 else ""
    team = org.teams[p.team].label if p.team >= 0 else ""
    sup = org.people[p.supervisor].name if p.supervisor >= 0 else ""
    return [p.name, p.user_id, p.email, p.role, p.projects, bu, fu, dept, team, sup]
