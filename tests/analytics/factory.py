"""A small synthetic organization for analytics tests: people in departments with ordinary
daily habits (and benign look-alikes: a USB user, a manager's announcements, an
administrator on other machines), written as event-store Parquet and as people records.
Scenario helpers inject the behaviour each policy must catch."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from keyguard.events.schema import CLASS_UID, EVENT_SCHEMA
from keyguard.privacy.pseudonyms import pseudonym
from keyguard.records.org.models import OrgNode, Person, PersonVersion, Unit
from keyguard.records.register.imports import import_register

DOMAIN = "acme.example"
DEPTS = ("research", "engineering", "finance", "it")
NEWS = ("dailyherald.example", "worldwire.example", "findit.example", "partsupply.example")


@dataclass
class P:
    staff_id: str
    name: str
    dept: str
    title: str
    host: str
    usb: bool = False
    projects: list[str] = field(default_factory=list)

    @property
    def email(self) -> str:
        return f"{self.name.lower().replace(' ', '.')}@{DOMAIN}"


FIRST = (
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Erik",
    "Fiona",
    "Gustav",
    "Hanna",
    "Ivan",
    "Julia",
    "Karl",
    "Lena",
    "Marco",
    "Nina",
    "Oskar",
    "Paula",
    "Quentin",
    "Rosa",
    "Stefan",
    "Tina",
    "Uwe",
    "Vera",
    "Walter",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Alma",
    "Bruno",
    "Cora",
    "Dana",
    "Emil",
    "Frida",
)
LAST = (
    "Keller",
    "Brandt",
    "Vogel",
    "Roth",
    "Sommer",
    "Frank",
    "Berger",
    "Lang",
    "Huber",
    "Wolf",
    "Krause",
    "Schulz",
    "Neumann",
    "Peters",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Schmidt",
    "Bauer",
    "Werner",
    "Hartmann",
    "Lehmann",
    "Kaiser",
    "Fuchs",
    "Jung",
    "Hahn",
)


def finance_register(org: Org, tmp: Path, session: Session, unit: Unit, docs: range) -> list[str]:
    """Import a register of the Finance documents ``finance-p0/doc<n>`` for ``n`` in ``docs``
    (references ``F-100`` upwards) and one item for the whole project (``F-ALL``); returns the
    references."""
    refs = [f"F-{100 + i}" for i in range(len(docs))]
    lines = ["reference,title,level,owner_department,location"]
    for ref, n in zip(refs, docs, strict=True):
        lines.append(
            f"{ref},Finance document {ref[2:]},secret,Finance,"
            + org.share("finance", "finance-p0", n)
        )
    lines.append(
        "F-ALL,Finance project p0,confidential,Finance,\\\\fs1\\finance\\projects\\finance-p0\\*"
    )
    path = tmp / "register.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_register(session, unit=unit, path=path)
    return [*refs, "F-ALL"]


class Org:
    """Events and people of one synthetic unit."""

    def __init__(
        self,
        unit: str = "t1",
        users: int = 28,
        days: int = 70,
        start: dt.date = dt.date(2024, 1, 1),
        seed: int = 7,
    ):
        self.unit, self.start, self.days = unit, start, days
        self.rng = random.Random(seed)
        self.people: list[P] = []
        for i in range(users):
            dept = DEPTS[i % len(DEPTS)]
            title = (
                "IT Admin"
                if dept == "it" and i % 8 == 3
                else ("Manager" if i < len(DEPTS) else "Engineer")
            )
            self.people.append(
                P(
                    staff_id=f"{dept[:2].upper()}{i:04d}",
                    name=f"{FIRST[i % 32]} {LAST[i % 32]}",
                    dept=dept,
                    title=title,
                    host=f"PC-{100 + i}",
                    usb=(i % 5 == 1),
                    projects=[f"{dept}-p{i % 2}"],
                )
            )
        self.events: list[dict[str, Any]] = []
        self.versions: list[tuple[str, dict[str, Any], dt.date, dt.date]] = []
        self.personal: dict[str, list[str]] = {}
        self._seq = 0

    # helpers --------------------------------------------------------------------------------
    def day(self, i: int) -> dt.date:
        return self.start + dt.timedelta(days=i)

    def by_id(self, staff_id: str) -> P:
        return next(p for p in self.people if p.staff_id == staff_id)

    def share(self, dept: str, project: str, n: int) -> str:
        return f"\\\\fs1\\{dept}\\projects\\{project}\\doc{n:03d}.docx"

    def add(self, p: P, day: int, hour: int, category: str, activity: str, **kw: Any) -> None:
        self._seq += 1
        minute = self.rng.randrange(60)
        t = dt.datetime.combine(self.day(day), dt.time(hour, minute), tzinfo=dt.UTC)
        row = {
            "event_id": f"e{self._seq}",
            "unit": self.unit,
            "time_utc": t,
            "local_date": self.day(day),
            "local_hour": hour,
            "source_user": kw.pop("user", p.staff_id),
            "user_known": True,
            "host": kw.pop("host", p.host),
            "category": category,
            "class_uid": CLASS_UID.get(category),
            "activity": activity,
            "source_file": f"{category}.csv",
            "source_line": self._seq,
            "adapter": "test",
            "ingest_run": "run-1",
        }
        row.update(kw)
        self.events.append(row)

    def logon(self, p: P, day: int, hour: int, host: str | None = None) -> None:
        self.add(p, day, hour, "logon", "logon", host=host or p.host)

    def file(
        self, p: P, day: int, hour: int, path: str, *, to_usb: bool = False, host: str | None = None
    ) -> None:
        self.add(
            p,
            day,
            hour,
            "file",
            "copy" if to_usb else "open",
            object=path,
            to_removable=to_usb,
            from_removable=False,
            size=20000,
            host=host or p.host,
        )

    def mail(
        self, p: P, day: int, hour: int, to: list[str], attach: int = 0, sender: str | None = None
    ) -> None:
        outside = sum(1 for a in to if not a.endswith("@" + DOMAIN))
        self.add(
            p,
            day,
            hour,
            "email",
            "send",
            sender=sender or p.email,
            recipients=to,
            recipients_outside=outside,
            size=5000 + 100000 * attach,
            attachments=[{"name": f"a{k}.pdf", "size": 100000} for k in range(attach)],
            object=f"<m{self._seq}>",
        )

    def web(
        self, p: P, day: int, hour: int, host: str, category: str | None, activity: str = "view"
    ) -> None:
        self.add(
            p,
            day,
            hour,
            "http",
            activity,
            url_host=host,
            site_category=category,
            size=300000 if activity == "upload" else None,
        )

    def usb(self, p: P, day: int, hour: int, host: str | None = None) -> None:
        self.add(p, day, hour, "device", "connect", host=host or p.host)

    # ordinary life ---------------------------------------------------------------------------
    def working(self, day: int) -> bool:
        return self.day(day).isoweekday() <= 5

    def normal(self) -> Org:
        """Every person's ordinary working days, with the benign look-alikes."""
        for day in range(self.days):
            if not self.working(day):
                continue
            for i, p in enumerate(self.people):
                if self.rng.random() < 0.05:
                    continue  # a day off
                self.logon(p, day, 8 + self.rng.randrange(2))
                self.logon(p, day, 13)
                self.add(p, day, 17, "logon", "logoff")
                for _ in range(self.rng.randrange(4, 10)):
                    proj = p.projects[0]
                    self.file(
                        p,
                        day,
                        9 + self.rng.randrange(8),
                        self.share(p.dept, proj, self.rng.randrange(40)),
                    )
                colleagues = [q.email for q in self.people if q.dept == p.dept and q is not p]
                for _ in range(self.rng.randrange(2, 6)):
                    to = self.rng.sample(
                        colleagues, k=min(len(colleagues), 1 + self.rng.randrange(3))
                    )
                    self.mail(
                        p,
                        day,
                        10 + self.rng.randrange(6),
                        to,
                        attach=1 if self.rng.random() < 0.2 else 0,
                    )
                if self.rng.random() < 0.1:
                    self.mail(p, day, 11, ["orders@partsupply.example"], attach=1)
                for _ in range(self.rng.randrange(5, 12)):
                    self.web(p, day, 9 + self.rng.randrange(8), self.rng.choice(NEWS), "news")
                if self.rng.random() < 0.02:
                    self.web(p, day, 12, "jobhunter.example", "job_search")
                if p.usb and day % 3 == i % 3:
                    self.usb(p, day, 11)
                    for k in range(1 + self.rng.randrange(4)):
                        self.file(p, day, 11, f"E:\\backup\\f{k}.docx", to_usb=True)
                if p.title == "IT Admin":  # administrators work on others' machines
                    for q in self.rng.sample(self.people, k=2):
                        self.logon(p, day, 10 + self.rng.randrange(5), host=q.host)
                if p.title == "Manager" and day % 7 == 2:  # weekly announcement
                    self.mail(p, day, 9, [q.email for q in self.people if q.dept == p.dept])
        return self

    # records ----------------------------------------------------------------------------------
    def notice(self, staff_id: str, known: int) -> None:
        """A notice of departure recorded on day ``known``."""
        self.versions.append(
            (
                staff_id,
                {"status": "notice", "notice_date": self.day(known)},
                self.day(known),
                self.day(known),
            )
        )

    def write_events(self, home: Path, days: range | None = None) -> None:
        root = home / "events" / f"unit={self.unit}"
        by_day: dict[dt.date, list[dict[str, Any]]] = {}
        keep = {self.day(d) for d in days} if days is not None else None
        for e in self.events:
            if keep is None or e["local_date"] in keep:
                by_day.setdefault(e["local_date"], []).append(e)
        for d, rows in by_day.items():
            part = root / f"day={d.isoformat()}"
            part.mkdir(parents=True, exist_ok=True)
            cols = {n: [r.get(n) for r in rows] for n in EVENT_SCHEMA.names}
            pq.write_table(pa.table(cols, schema=EVENT_SCHEMA), part / "part-run1.parquet")

    def write_people(self, session: Session, *, known_before: int | None = None) -> Unit:
        """Unit, departments and people; versions known from the first day (later versions
        only when their known day is before ``known_before``)."""
        from sqlalchemy import select

        unit = session.scalar(select(Unit).where(Unit.code == self.unit))
        if unit is None:
            unit = Unit(code=self.unit, name="Test unit", timezone="UTC")
            session.add(unit)
            session.flush()
        nodes = {}
        for d in DEPTS:
            node = session.scalar(
                select(OrgNode).where(OrgNode.unit_id == unit.id, OrgNode.path == d.title())
            )
            if node is None:
                node = OrgNode(unit_id=unit.id, kind="department", name=d.title(), path=d.title())
                session.add(node)
                session.flush()
            nodes[d] = node.id
        for p in self.people:
            person = session.scalar(
                select(Person).where(Person.unit_id == unit.id, Person.staff_id == p.staff_id)
            )
            base = {
                "full_name": p.name,
                "email": p.email,
                "job_title": p.title,
                "projects": p.projects,
                "department_id": nodes[p.dept],
                "status": "active",
            }
            if person is None:
                person = Person(
                    unit_id=unit.id,
                    staff_id=p.staff_id,
                    pseudonym=pseudonym(self.unit, p.staff_id),
                    personal_emails=self.personal.get(p.staff_id, []),
                    **base,
                )
                session.add(person)
                session.flush()
                session.add(
                    PersonVersion(
                        unit_id=unit.id,
                        person_id=person.id,
                        valid_from=self.start,
                        known_from=self.start,
                        source="test",
                        **base,
                    )
                )
            for sid, change, valid, known in self.versions:
                if sid != p.staff_id or (
                    known_before is not None and known >= self.day(known_before)
                ):
                    continue
                exists = session.scalar(
                    select(PersonVersion).where(
                        PersonVersion.person_id == person.id,
                        PersonVersion.known_from == known,
                        PersonVersion.valid_from == valid,
                    )
                )
                if exists is None:
                    session.add(
                        PersonVersion(
                            unit_id=unit.id,
                            person_id=person.id,
                            valid_from=valid,
                            known_from=known,
                            source="test",
                            **{**base, **change},
                        )
                    )
        session.flush()
        return unit


#: Scenario name -> (index of the person, what they do). Each built-in policy has one.
SCENARIOS = {
    "departure": 5,
    "low_and_slow": 8,
    "collect_exfil": 9,
    "other_machine": 12,
    "credential_misuse": 14,
    "admin_planting": 19,
    "leak_upload": 17,
    "hacking_download": 10,
    "first_removable": 20,
    "decoy": 22,
    "personal_mail": 24,
    "removable_spike": 6,
    "mass_email": 13,
    "steady_reader_moving_out": 15,
    "collect_and_move_out": 25,
}
#: Benign look-alikes: heavy job-site browsing alone; a notice of departure and nothing else;
#: someone who reads another department's documents every day from the first day on (their
#: 90-day count fills up over the first months: a window filling is not a rise).
LOOKALIKES = {"job_browsing": 21, "quiet_leaver": 23, "steady_cross_reader": 18}


def inject(org: Org) -> dict[str, str]:
    """Every scenario (and look-alike) into ``org``; returns scenario -> staff id."""
    pp = org.people

    def p(name: str) -> P:
        return pp[{**SCENARIOS, **LOOKALIKES}[name]]

    d = p("departure")
    org.notice(d.staff_id, 50)
    org.usb(d, 53, 16)
    for k in range(30):
        org.file(d, 53, 16, f"E:\\take\\{k}.docx", to_usb=True)
    s = p("low_and_slow")
    n = 0
    for day in range(30, org.days):
        if org.working(day):
            for _ in range(2):
                org.file(s, day, 14, org.share("finance", "finance-p0", 100 + n))
                n += 1
    c = p("collect_exfil")
    home_addr = c.name.lower().replace(" ", ".") + "77@mailbox.example"
    org.mail(c, 10, 20, [c.email], sender=home_addr)
    for k in range(6):
        org.file(c, 50, 10, org.share("research", "research-p1", 200 + k))
    for _ in range(2):
        org.mail(c, 53, 18, [home_addr], attach=2)
    o = p("other_machine")
    victim_host = pp[13].host
    for day in (55, 56):
        org.logon(o, day, 12, host=victim_host)
        for k in range(30):
            org.file(o, day, 12, org.share(pp[13].dept, pp[13].projects[0], k), host=victim_host)
        org.usb(o, day, 12, host=victim_host)
        for k in range(3):
            org.file(o, day, 12, f"E:\\x\\{k}.docx", to_usb=True, host=victim_host)
    v = p("credential_misuse")
    org.logon(v, 60, 21)
    org.mail(v, 60, 22, [q.email for q in pp if q is not v] + [f"x{k}@{DOMAIN}" for k in range(40)])
    a = p("admin_planting")
    org.web(a, 57, 15, "keyspy-tools.example", "hacking_tools", "download")
    org.usb(a, 58, 12, host=pp[14].host)
    org.web(p("leak_upload"), 62, 15, "leakdrop.example", "leak_site", "upload")
    org.web(p("hacking_download"), 45, 11, "crackworks.example", "hacking_tools", "download")
    f = p("first_removable")
    org.usb(f, 61, 15)
    for k in range(8):
        org.file(f, 61, 15, f"E:\\new\\{k}.docx", to_usb=True)
    org.add(p("decoy"), 47, 11, "decoy", "open", object="\\\\fs1\\finance\\payroll_master.xlsx")
    m = p("personal_mail")
    org.personal[m.staff_id] = ["rosie.home@postbox.example"]
    for _ in range(4):
        org.mail(m, 63, 19, ["rosie.home@postbox.example"], attach=1)
    r = p("removable_spike")
    org.usb(r, 64, 15)
    for k in range(80):
        org.file(r, 64, 15, f"E:\\bulk\\{k}.docx", to_usb=True)
    mm = p("mass_email")
    org.mail(
        mm, 66, 14, [q.email for q in pp if q is not mm] + [f"y{k}@{DOMAIN}" for k in range(40)]
    )
    j = p("job_browsing")
    for day in range(40, org.days):
        if org.working(day):
            for _ in range(5):
                org.web(j, day, 12, "careerladder.example", "job_search")
    org.notice(p("quiet_leaver").staff_id, 45)
    # Two steady readers of the research department's documents, new ones each working day
    # from the first day; from day 56 the second also copies two of them a day to removable
    # media (a steady level of reading, and collection moved out that stays under every
    # per-day threshold).
    reader, mover = p("steady_cross_reader"), p("steady_reader_moving_out")
    for day in range(org.days):
        if org.working(day):
            for k in range(2):
                doc = org.share("research", "research-p0", 300 + 2 * day + k)
                org.file(reader, day, 15, doc)
                org.file(mover, day, 15, doc)
                if day >= 56:
                    org.usb(mover, day, 16)
                    org.file(mover, day, 16, doc, to_usb=True)
    # A collector: from day 35 one or two of another department's documents a working day,
    # each copied to removable media the same day (nothing before: collection moved out).
    cm = p("collect_and_move_out")
    n = 0
    for day in range(35, org.days):
        if org.working(day):
            org.usb(cm, day, 11)
            for _ in range(1 + day % 2):
                doc = org.share("finance", "finance-p1", 500 + n)
                n += 1
                org.file(cm, day, 11, doc)
                org.file(cm, day, 11, doc, to_usb=True)
    return {name: pp[i].staff_id for name, i in {**SCENARIOS, **LOOKALIKES}.items()}
