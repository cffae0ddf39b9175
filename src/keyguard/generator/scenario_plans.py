"""The six scenario planners: each casts insiders and records their events.

Every planner has the signature ``(world, plan, rng, taken, count)`` and adds ``count``
insiders (fewer only if the unit has nobody who fits). Imports only numpy and sibling
modules of the generator.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from keyguard.generator.org import KIND_STAFF
from keyguard.generator.scenarios import Insider, Plan, Recorder, departure_day, eligible
from keyguard.generator.sites import COMPETITOR_DOMAINS, GENERATOR_SITES
from keyguard.generator.world import World

HOUR = 3600
DAY = 86400


def _at(rng: np.random.Generator, day: int, h0: float, h1: float) -> int:
    return day * DAY + int(rng.uniform(h0, h1) * HOUR)


def _present_days(w: World, person: int, first: int, last: int) -> np.ndarray:
    days = w.cal.workdays_between(first, last)
    p = w.org.people[person]
    keep = (~w.habits.absent[person, days]) & (days >= p.start_day) & (days <= p.end_day)
    return days[keep] if keep.any() else days


def _pick(rng: np.random.Generator, values: np.ndarray | list[int], k: int) -> list[int]:
    arr = np.asarray(values)
    k = max(0, min(k, len(arr)))
    return sorted(int(x) for x in rng.choice(arr, size=k, replace=False)) if k else []


def _own_docs(w: World, person: int) -> list[int]:
    """Pool indices of files of the person's department (register items and common share)."""
    dept = w.org.work_dept(person)
    out: list[int] = []
    for item in w.reg.path_items():
        if item.dept == dept:
            s, n = w.pools.item_docs[item.index]
            out.extend(range(int(s), int(s + n)))
    s, n = w.pools.common[dept]
    out.extend(range(int(s), int(s + n)))
    return out


def _docs(w: World, rng: np.random.Generator, person: int, k: int) -> list[str]:
    pool = _own_docs(w, person)
    return [str(w.files[i]) for i in _pick(rng, pool, k)]


def _base(path: str) -> str:
    return path.rsplit("\\", 1)[-1]


def _leave(w: World, person: int, day: int) -> None:
    w.org.people[person].end_day = day


def _uid(w: World, person: int) -> str:
    return w.org.people[person].user_id


def _new(plan: Plan, scenario: int, person: int, **details: object) -> Insider:
    insider = Insider(scenario, person, dict(details))
    plan.insiders.append(insider)
    return insider


def layoffs(w: World, plan: Plan, rng: np.random.Generator, taken: set[int], count: int) -> None:
    """Scenario 5: a group is laid off; some of its members upload documents to the cloud."""
    excluded = {"itops", "security", "servicedesk"}
    teams = [t for t in w.org.teams if w.org.departments[t.dept].template.key not in excluded]
    target = max(3, 2 * count)
    group: list[int] = []
    labels: list[str] = []
    pool = set(eligible(w, taken))
    for k in rng.permutation(len(teams)):
        team = teams[int(k)]
        members = [p for p in sorted(pool) if w.org.people[p].team == team.index]
        if not members:
            continue
        group.extend(members)
        labels.append(team.label)
        if len(group) >= target:
            break
    if not group:
        return
    leave = departure_day(w, rng)
    order = [group[int(i)] for i in rng.permutation(len(group))]
    uploaders = sorted(order[: min(count, len(group))])
    for p in group:
        _leave(w, p, leave)
        taken.add(p)
    plan.layoffs = {
        "day": w.cal.iso(leave),
        "teams": labels,
        "people": sorted(_uid(w, p) for p in group),
    }
    plan.extra_lookalikes["laid_off_without_theft"] = sorted(p for p in group if p not in uploaders)
    for person in uploaders:
        ins = _new(plan, 5, person, leave_day=w.cal.iso(leave), layoff_teams=labels)
        rec = Recorder(w, plan, rng, 5, ins)
        pc = w.org.people[person].host
        cloud = GENERATOR_SITES["cloud_storage"][int(rng.integers(3))]
        days = _present_days(w, person, leave - 20, leave - 1)
        uploaded = 0
        for day in _pick(rng, days, int(rng.integers(2, 6))):
            t = _at(rng, day, 9.5, 16.0)
            rec.http(t, person, pc, f"http://www.{cloud}/index.html")
            for path in _docs(w, rng, person, int(rng.integers(2, 7))):
                t = rec.file(t + int(rng.integers(30, 600)), person, pc, "File Open", path)
                t = rec.http(
                    t + int(rng.integers(20, 300)),
                    person,
                    pc,
                    f"http://www.{cloud}/upload/{_base(path)}",
                    "WWW Upload",
                )
                uploaded += 1
        ins.details["uploads"] = uploaded


def admin_keylogger(
    w: World, plan: Plan, rng: np.random.Generator, taken: set[int], count: int
) -> None:
    """Scenario 3: keylogger via USB onto the manager's PC, then a mass e-mail as the manager."""
    admins = [p for p in eligible(w, taken, role="ITAdmin") if w.org.people[p].supervisor >= 0]
    for person in _pick(rng, admins, count):
        taken.add(person)
        me = w.org.people[person]
        manager = w.org.people[me.supervisor]
        leave = departure_day(w, rng)
        before = _present_days(w, person, leave - 6, leave - 1)
        prep = int(before[-1]) if len(before) else leave - 1
        ins = _new(plan, 3, person, manager=manager.user_id, leave_day=w.cal.iso(leave))
        rec = Recorder(w, plan, rng, 3, ins)
        site = GENERATOR_SITES["hacking_tools"][int(rng.integers(3))]
        tool = ("keylogger_setup.exe", "kl_pro_installer.exe", "stealth_keys.msi")[
            int(rng.integers(3))
        ]
        pc, mpc = me.host, manager.host
        t = rec.http(
            _at(rng, prep, 9.5, 11.5), person, pc, f"http://www.{site}/products/keylogger.html"
        )
        t = rec.http(
            t + int(rng.integers(60, 400)),
            person,
            pc,
            f"http://www.{site}/download/{tool}",
            "WWW Download",
        )
        t = rec.device(t + int(rng.integers(300, 1800)), person, pc)
        t = rec.file(
            t + int(rng.integers(20, 120)),
            person,
            pc,
            "File Copy",
            f"C:\\Users\\{me.user_id}\\Downloads\\{tool}",
            to_rm=True,
        )
        rec.device(t + int(rng.integers(60, 300)), person, pc, "Disconnect")
        t = _at(rng, prep, 12.1, 13.2) if rng.random() < 0.5 else _at(rng, prep, 18.5, 20.0)
        t = rec.logon(t, person, mpc)
        t = rec.device(t + int(rng.integers(30, 120)), person, mpc)
        t = rec.file(
            t + int(rng.integers(10, 60)),
            person,
            mpc,
            "File Copy",
            f"R:\\Tools\\{tool}",
            from_rm=True,
        )
        t = rec.file(
            t + int(rng.integers(20, 90)),
            person,
            mpc,
            "File Write",
            "C:\\ProgramData\\SysHelper\\syshelper.exe",
        )
        t = rec.device(t + int(rng.integers(30, 120)), person, mpc, "Disconnect")
        rec.logon(t + int(rng.integers(30, 300)), person, mpc, "Logoff")
        staff = [
            p.email
            for p in w.org.people
            if p.start_day <= leave <= p.end_day and p.index != manager.index
        ]
        picked = _pick(rng, np.arange(len(staff)), min(len(staff), 250))
        t = rec.logon(_at(rng, leave, 19.5, 22.0), manager.index, mpc)
        t = rec.email(
            t + int(rng.integers(120, 900)),
            manager.index,
            mpc,
            ";".join(staff[i] for i in picked),
            manager.email,
            content="urgent all staff the company will close and everyone is fired",
        )
        rec.logon(t + int(rng.integers(60, 600)), manager.index, mpc, "Logoff")
        ins.details["recipients"] = len(picked)
        _leave(w, person, leave)


def leaker(w: World, plan: Plan, rng: np.random.Generator, taken: set[int], count: int) -> None:
    """Scenario 1: never after hours, never USB; then both, an upload to a leak site, leaving."""
    h = w.habits
    quiet = [
        p
        for p in eligible(w, taken)
        if h.after_hours_p[p] == 0 and h.usb_p[p] == 0 and h.weekend_p[p] == 0
    ]
    for person in _pick(rng, quiet, count):
        taken.add(person)
        leave = departure_day(w, rng)
        ins = _new(plan, 1, person, leave_day=w.cal.iso(leave))
        rec = Recorder(w, plan, rng, 1, ins)
        pc = w.org.people[person].host
        site = GENERATOR_SITES["leak_site"][int(rng.integers(2))]
        days = _present_days(w, person, leave - int(rng.integers(10, 25)), leave - 1)
        chosen = _pick(rng, days, int(rng.integers(2, 6)))
        for k, day in enumerate(chosen):
            t = rec.logon(_at(rng, day, 20.0, 22.5), person, pc)
            t = rec.device(t + int(rng.integers(60, 600)), person, pc)
            docs = _docs(w, rng, person, int(rng.integers(3, 9)))
            for path in docs:
                t = rec.file(t + int(rng.integers(20, 200)), person, pc, "File Open", path)
                t = rec.file(
                    t + int(rng.integers(5, 60)), person, pc, "File Copy", path, to_rm=True
                )
            if k == len(chosen) - 1 or rng.random() < 0.4:
                t = rec.http(
                    t + int(rng.integers(60, 300)),
                    person,
                    pc,
                    f"http://www.{site}/submit/index.html",
                )
                for path in docs[: int(rng.integers(1, 3))]:
                    t = rec.http(
                        t + int(rng.integers(30, 200)),
                        person,
                        pc,
                        f"http://www.{site}/submit/upload?file={_base(path)}",
                        "WWW Upload",
                    )
            t = rec.device(t + int(rng.integers(60, 600)), person, pc, "Disconnect")
            rec.logon(t + int(rng.integers(60, 900)), person, pc, "Logoff")
        _leave(w, person, leave)


def job_leaver(w: World, plan: Plan, rng: np.random.Generator, taken: set[int], count: int) -> None:
    """Scenario 2: job sites and a competitor, then much more USB copying, then leaving."""
    for person in _pick(rng, eligible(w, taken), count):
        taken.add(person)
        me = w.org.people[person]
        pc = me.host
        leave = departure_day(w, rng)
        ins = _new(plan, 2, person, leave_day=w.cal.iso(leave))
        rec = Recorder(w, plan, rng, 2, ins)
        competitor = COMPETITOR_DOMAINS[int(rng.integers(len(COMPETITOR_DOMAINS)))]
        recruiter = f"recruiting@{competitor}"
        search = _present_days(w, person, max(1, leave - 45), leave - 8)
        search_days = _pick(rng, search, max(3, int(len(search) * 0.45)))
        contact = set(_pick(rng, search_days, min(len(search_days), int(rng.integers(1, 4)))))
        for day in search_days:
            t = _at(rng, day, 10.0, 16.5)
            for _ in range(int(rng.integers(2, 7))):
                site = GENERATOR_SITES["job_search"][int(rng.integers(3))]
                page = (
                    "jobs/search.html",
                    "jobs/engineering.html",
                    "apply/form.html",
                    "profile/cv.html",
                )
                t = rec.http(
                    t + int(rng.integers(30, 400)),
                    person,
                    pc,
                    f"http://www.{site}/{page[int(rng.integers(len(page)))]}",
                )
            if day in contact:
                t = rec.http(
                    t + int(rng.integers(60, 600)),
                    person,
                    pc,
                    f"http://www.{competitor}/careers/openings.html",
                )
                cv = f"C:\\Users\\{me.user_id}\\Documents\\CV_{me.name.split()[-1]}.docx"
                t = rec.email(t + int(rng.integers(60, 900)), person, pc, recruiter, me.email, [cv])
                rec.email(
                    t + int(rng.integers(3600, 4 * 3600)),
                    person,
                    pc,
                    me.email,
                    recruiter,
                    activity="View",
                )
        theft = _present_days(w, person, leave - 12, leave - 1)
        copied = 0
        for day in _pick(rng, theft, int(rng.integers(2, 5))):
            t = rec.device(_at(rng, day, 9.0, 15.0), person, pc)
            for path in _docs(w, rng, person, int(rng.integers(6, 21))):
                t = rec.file(
                    t + int(rng.integers(5, 90)), person, pc, "File Copy", path, to_rm=True
                )
                copied += 1
            rec.device(t + int(rng.integers(60, 900)), person, pc, "Disconnect")
        ins.details.update(competitor=competitor, copied=copied)
        _leave(w, person, leave)


def colleague_snoop(
    w: World, plan: Plan, rng: np.random.Generator, taken: set[int], count: int
) -> None:
    """Scenario 4: logs on to a colleague's PC, opens their files, mails them home."""
    cal = w.cal
    pool = eligible(w, taken)
    per_team = Counter(w.org.people[p].team for p in pool)
    candidates = [p for p in pool if per_team[w.org.people[p].team] >= 2]
    for person in _pick(rng, candidates, count):
        me = w.org.people[person]
        mates = [q for q in eligible(w, taken) if q != person and w.org.people[q].team == me.team]
        if not mates:
            continue
        mate = w.org.people[mates[int(rng.integers(len(mates)))]]
        taken.update({person, mate.index})
        decoys = [
            f"C:\\Users\\{mate.user_id}\\Documents\\{name}"
            for name in ("salary_overview_2024.xlsx", "passwords_backup.txt", "private_notes.docx")
        ]
        plan.decoys.extend((d, mate.host) for d in decoys)
        dur = min(int(rng.integers(60, 91)), int(cal.days * 0.6))
        first = int(rng.integers(max(3, int(cal.days * 0.15)), max(4, cal.days - dur - 1)))
        days = _present_days(w, person, first, first + dur)
        ins = _new(
            plan, 4, person, colleague=mate.user_id, colleague_pc=w.org.hosts[mate.host].name
        )
        rec = Recorder(w, plan, rng, 4, ins)
        s, n = (int(x) for x in w.pools.local[mate.index])
        mailed = 0
        for day in _pick(rng, days, int(np.clip(dur // 8, 3, 10))):
            t = _at(rng, day, 12.1, 13.2) if rng.random() < 0.7 else _at(rng, day, 6.8, 7.5)
            t = rec.logon(t, person, mate.host)
            opened = [
                str(w.files[i]) for i in _pick(rng, np.arange(s, s + n), int(rng.integers(3, 9)))
            ]
            if rng.random() < 0.5:
                opened.append(decoys[int(rng.integers(len(decoys)))])
            for path in opened:
                t = rec.file(t + int(rng.integers(15, 120)), person, mate.host, "File Open", path)
            rec.logon(t + int(rng.integers(30, 300)), person, mate.host, "Logoff")
            sent = opened[: int(rng.integers(1, 4))]
            rec.email(_at(rng, day, 14.0, 17.0), person, me.host, me.personal_email, me.email, sent)
            mailed += len(sent)
        ins.details["mailed"] = mailed


def collector(w: World, plan: Plan, rng: np.random.Generator, taken: set[int], count: int) -> None:
    """Scenario 6: 20-40 classified documents, mostly outside need-to-know, low and slow."""
    cal = w.cal
    items = [i for i in w.reg.path_items() if i.level != "internal"]
    options: dict[int, list[int]] = {}
    pool = eligible(w, taken)
    for k in rng.permutation(len(pool)):  # enough candidates, in random order
        if len(options) >= 4 * count:
            break
        person = pool[int(k)]
        me = w.org.people[person]
        if me.kind != KIND_STAFF:
            continue
        outside = [
            i.index
            for i in items
            if i.dept != me.dept and not w.reg.covered(w.org, person, i.index)
        ]
        if len(outside) >= 2:
            options[person] = outside
    for person in _pick(rng, sorted(options), count):
        taken.add(person)
        me = w.org.people[person]
        pc = me.host
        total = int(rng.integers(20, 41))
        targets = _pick(rng, options[person], int(rng.integers(2, 5)))
        outside_docs: list[int] = []
        for item in targets:
            s, n = (int(x) for x in w.pools.item_docs[item])
            outside_docs.extend(range(s, s + n))
        own_items = [i.index for i in items if i.dept == me.dept]
        own_docs: list[int] = []
        for item in own_items:
            s, n = (int(x) for x in w.pools.item_docs[item])
            own_docs.extend(range(s, s + n))
        n_own = min(len(own_docs), round(total * rng.uniform(0.05, 0.25)))
        docs = _pick(rng, outside_docs, total - n_own) + _pick(rng, own_docs, n_own)
        docs = [docs[int(i)] for i in rng.permutation(len(docs))]
        dur = min(int(rng.integers(42, 85)), cal.days - 8)
        first = int(rng.integers(max(3, int(cal.days * 0.1)), max(4, cal.days - dur - 1)))
        days = _present_days(w, person, first, first + dur)
        n_days = int(np.clip(round(len(docs) / 1.8), math.ceil(len(docs) / 3), len(days)))
        chosen = _pick(rng, days, n_days)
        per_day = np.ones(len(chosen), dtype=np.int64)
        while per_day.sum() < len(docs):
            room = np.flatnonzero(per_day < 3)
            if not len(room):
                break
            per_day[int(room[int(rng.integers(len(room)))])] += 1
        docs = docs[: int(per_day.sum())]
        webmail = me.personal_email.split("@", 1)[1]
        outside_set = set(outside_docs)
        ins = _new(
            plan,
            6,
            person,
            documents=len(docs),
            outside_need_to_know=sum(1 for d in docs if d in outside_set),
            items=[w.reg.items[i].reference for i in targets],
        )
        rec = Recorder(w, plan, rng, 6, ins)
        channels = {"usb": 0, "webmail": 0, "email": 0}
        cursor = 0
        for day, k in zip(chosen, per_day.tolist(), strict=True):
            batch = [str(w.files[d]) for d in docs[cursor : cursor + k]]
            cursor += k
            t = _at(rng, day, 9.5, 15.5) if rng.random() < 0.85 else _at(rng, day, 16.5, 18.5)
            for path in batch:
                t = rec.file(t + int(rng.integers(60, 1800)), person, pc, "File Open", path)
            way = rng.random()
            t += int(rng.integers(300, 3600))
            if way < 0.55:
                t = rec.device(t, person, pc)
                for path in batch:
                    t = rec.file(
                        t + int(rng.integers(10, 90)), person, pc, "File Copy", path, to_rm=True
                    )
                rec.device(t + int(rng.integers(60, 480)), person, pc, "Disconnect")
                channels["usb"] += len(batch)
            elif way < 0.9:
                t = rec.http(t, person, pc, f"http://www.{webmail}/mail/inbox.html")
                for path in batch:
                    t = rec.http(
                        t + int(rng.integers(20, 240)),
                        person,
                        pc,
                        f"http://www.{webmail}/mail/attach?name={_base(path)}",
                        "WWW Upload",
                    )
                channels["webmail"] += len(batch)
            else:
                rec.email(t, person, pc, me.personal_email, me.email, batch)
                channels["email"] += len(batch)
        ins.details.update(documents=cursor, channels=channels)


def benign_leavers(w: World, plan: Plan, rng: np.random.Generator, taken: set[int]) -> None:
    """Ordinary departures (half of them after job-site browsing), no theft."""
    cal = w.cal
    count = max(1, round(w.params.users * 0.12 * cal.days / 365.0))
    pool = eligible(w, taken)
    browsers = [p for p in w.habits.lookalikes.get("job_site_browsing", []) if p in set(pool)]
    first = _pick(rng, browsers, count // 2 + count % 2 if browsers else 0)
    rest = _pick(rng, [p for p in pool if p not in set(first)], count - len(first))
    days = cal.workdays_between(min(10, cal.days // 3), cal.days - 2)
    leavers = sorted(first + rest)
    for person in leavers:
        _leave(w, person, int(days[int(rng.integers(len(days)))]))
        taken.add(person)
    plan.extra_lookalikes["leaver_without_theft"] = leavers
