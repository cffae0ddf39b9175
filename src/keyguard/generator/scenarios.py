"""Labelled insider scenarios: who (casting), when (windows, departures), and the exact
events each insider adds on top of their normal activity.

1. after-hours logons and removable media by someone who never did either, upload to a
   leak site, departure soon after;
2. job-site browsing and contact with a competitor, then theft on removable media, leaving;
3. a disgruntled administrator plants a keylogger on the manager's machine, logs in as the
   manager and sends an alarming mass e-mail, then leaves;
4. logging into a colleague's machine, searching files, e-mailing them to a personal address;
5. staff of a group hit by layoffs uploading documents to cloud storage before leaving;
6. the founding case: low-and-slow collection of 20-40 classified documents mostly outside
   the insider's need-to-know, out through removable media and personal webmail.

Planners are in :mod:`keyguard.generator.scenario_plans`. Imports only numpy and sibling
modules of the generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from keyguard.generator.org import KIND_STAFF, NEVER
from keyguard.generator.params import STREAM_SCENARIOS, rng_for
from keyguard.generator.tables import ACTIVITIES, Table, empty, obj
from keyguard.generator.world import World

SCENARIOS: dict[int, str] = {
    1: "after-hours logons and removable media by someone new to both, leak-site upload, leaving",
    2: "job sites and competitor contact, then theft on removable media before leaving",
    3: "disgruntled admin: keylogger on the manager's machine, mass e-mail as the manager",
    4: "logging into a colleague's machine, searching files, e-mailing them to a personal address",
    5: "staff of a group hit by layoffs uploading documents to cloud storage",
    6: "low-and-slow collection of classified documents beyond need-to-know, out by USB, webmail",
}
"""One-line description of each scenario (also written to ``meta.json``)."""


@dataclass
class Event:
    """One planned scenario row of an activity file."""

    file: str
    t: int
    user: int
    pc: int
    act: int
    fields: dict[str, Any]
    scenario: int
    insider: int


@dataclass
class Insider:
    """One labelled insider and what the scenario did."""

    scenario: int
    person: int
    details: dict[str, Any] = field(default_factory=dict)
    first_day: int = -1
    last_day: int = -1


@dataclass
class Plan:
    """All scenario events (their list index is the ``tag`` written into tables)."""

    events: list[Event] = field(default_factory=list)
    insiders: list[Insider] = field(default_factory=list)
    decoys: list[tuple[str, int]] = field(default_factory=list)  # (path, host)
    layoffs: dict[str, Any] = field(default_factory=dict)
    extra_lookalikes: dict[str, list[int]] = field(default_factory=dict)
    by_day: dict[int, list[int]] = field(default_factory=dict)

    def index_days(self) -> None:
        """Group event indices by local day (call once all events are planned)."""
        self.by_day = {}
        for i, ev in enumerate(self.events):
            self.by_day.setdefault(ev.t // 86400, []).append(i)


class Recorder:
    """Adds events of one insider of one scenario to a plan."""

    def __init__(
        self, w: World, plan: Plan, rng: np.random.Generator, scenario: int, insider: Insider
    ):
        self.w = w
        self.plan = plan
        self.rng = rng
        self.scenario = scenario
        self.insider = insider

    def _add(self, file: str, t: int, user: int, pc: int, activity: str, **fields: Any) -> int:
        act = ACTIVITIES[file].index(activity)
        t = min(int(t), self.w.cal.days * 86400 - 1)  # never past the period
        day = t // 86400
        if self.insider.first_day < 0 or day < self.insider.first_day:
            self.insider.first_day = day
        self.insider.last_day = max(self.insider.last_day, day)
        self.plan.events.append(
            Event(file, int(t), int(user), int(pc), act, fields, self.scenario, self.insider.person)
        )
        return int(t)

    def content(self) -> str:
        """Filler words for a content column."""
        return str(self.w.content[int(self.rng.integers(len(self.w.content)))])

    def logon(self, t: int, user: int, pc: int, activity: str = "Logon") -> int:
        """A logon.csv row."""
        return self._add("logon.csv", t, user, pc, activity)

    def device(self, t: int, user: int, pc: int, activity: str = "Connect") -> int:
        """A device.csv row (the drive's file tree on Connect)."""
        tree = str(self.w.trees[(user * 7) % len(self.w.trees)]) if activity == "Connect" else ""
        return self._add("device.csv", t, user, pc, activity, tree=tree)

    def file(
        self,
        t: int,
        user: int,
        pc: int,
        activity: str,
        path: str,
        to_rm: bool = False,
        from_rm: bool = False,
    ) -> int:
        """A file.csv row."""
        return self._add(
            "file.csv",
            t,
            user,
            pc,
            activity,
            path=path,
            to_rm=to_rm,
            from_rm=from_rm,
            content=self.content(),
        )

    def email(
        self,
        t: int,
        user: int,
        pc: int,
        to: str,
        frm: str,
        attachments: list[str] | None = None,
        activity: str = "Send",
        cc: str = "",
        content: str | None = None,
    ) -> int:
        """An email.csv row; attachments are paths (a size is drawn for each)."""
        sizes = [int(self.rng.lognormal(math.log(150_000), 0.8)) + 5000 for _ in attachments or []]
        att = ";".join(f"{a}({s})" for a, s in zip(attachments or [], sizes, strict=True))
        size = int(self.rng.integers(2000, 30_000)) + sum(sizes)
        return self._add(
            "email.csv",
            t,
            user,
            pc,
            activity,
            to=to,
            cc=cc,
            bcc="",
            frm=frm,
            size=size,
            att=att,
            content=content if content is not None else self.content(),
        )

    def http(self, t: int, user: int, pc: int, url: str, activity: str = "WWW Visit") -> int:
        """An http.csv row."""
        return self._add("http.csv", t, user, pc, activity, url=url, content=self.content())


def per_scenario(users: int) -> int:
    """Insiders per scenario: five at 1,000 users, proportionally fewer, at least one."""
    return max(1, math.ceil(users * 5 / 1000))


def chunk_table(plan: Plan, file: str, days: range) -> Table:
    """The scenario rows of ``file`` on ``days``, tagged with their event index."""
    picked = [i for d in days for i in plan.by_day.get(d, []) if plan.events[i].file == file]
    table = empty(file)
    if not picked:
        return table
    evs = [plan.events[i] for i in picked]
    out: Table = {
        "t": np.array([e.t for e in evs], dtype=np.int64),
        "user": np.array([e.user for e in evs], dtype=np.int32),
        "pc": np.array([e.pc for e in evs], dtype=np.int32),
        "act": np.array([e.act for e in evs], dtype=np.int8),
        "tag": np.array(picked, dtype=np.int32),
    }
    for name, col in table.items():
        if name in out:
            continue
        values = [e.fields[name] for e in evs]
        out[name] = obj(values) if col.dtype == object else np.array(values, dtype=col.dtype)
    return out


def eligible(
    w: World, taken: set[int], *, role: str | None = None, kinds: tuple[str, ...] = (KIND_STAFF,)
) -> list[int]:
    """People who can be cast: employed the whole period, not cast yet, not leaving."""
    return [
        p.index
        for p in w.org.people
        if p.kind in kinds
        and p.start_day <= 0
        and p.end_day == NEVER
        and p.index not in taken
        and (role is None or p.role == role)
        and p.role != "SecurityOfficer"
    ]


def departure_day(w: World, rng: np.random.Generator, earliest_frac: float = 0.35) -> int:
    """A workday to leave on, late enough for history and early enough to show in LDAP."""
    cal = w.cal
    lo = max(14, int(cal.days * earliest_frac))
    hi = cal.days - 2
    if len(cal.months) >= 2:
        last_month_first, _ = cal.month_bounds(len(cal.months) - 1)
        if last_month_first - 1 >= lo:
            hi = last_month_first - 1
    days = cal.workdays_between(lo, hi)
    if not len(days):
        days = cal.workdays_between(cal.days // 2, cal.days - 2)
    return int(days[int(rng.integers(len(days)))])


def build_plan(w: World) -> Plan:
    """Cast every scenario and plan its events; updates departures in the organization."""
    from keyguard.generator import scenario_plans as plans

    rng = rng_for(w.params.seed, STREAM_SCENARIOS)
    plan = Plan()
    taken: set[int] = set()
    n = per_scenario(w.params.users)
    for planner in (
        plans.layoffs,
        plans.admin_keylogger,
        plans.leaker,
        plans.job_leaver,
        plans.colleague_snoop,
        plans.collector,
    ):
        planner(w, plan, rng, taken, n)
    plans.benign_leavers(w, plan, rng, taken)
    plan.insiders.sort(key=lambda i: (i.scenario, w.org.people[i.person].user_id))
    plan.index_days()
    return plan
