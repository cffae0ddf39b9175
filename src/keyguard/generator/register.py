"""The classified-information register, its documents, and the need-to-know grants.

Items belong to a department (often to one team in it) and live in a share folder
(``\\\\fsNN\\<dept>\\projects\\<codename>\\*``) or on an intranet URL. Grants are deliberately
imperfect: team-only grants while the whole department reads the item, missing personal
grants, expired grants for people who keep reading, single approvals where two are due,
grants of leavers that nobody revoked.

Imports only numpy and sibling modules of the generator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from keyguard.generator.calendar import Calendar
from keyguard.generator.names import CODENAMES, DOC_EXTENSIONS, DOC_WORDS, SUBFOLDERS
from keyguard.generator.org import KIND_STAFF, Org
from keyguard.generator.params import STREAM_REGISTER, rng_for

LEVELS = ("internal", "confidential", "secret", "top secret")
_RESEARCH_LEVELS = ("secret", "confidential", "top secret", "confidential", "secret", "internal")
_ADMIN_ITEMS: dict[str, list[tuple[str, str, str]]] = {
    "security": [
        ("vetting", "Vetting records", "secret"),
        ("incidents", "Incident reports", "confidential"),
    ],
    "hr": [("personnel", "Personnel files", "confidential")],
    "finance": [("contracts", "Contracts and pricing", "confidential")],
    "legal": [("licences", "Export control licences", "confidential")],
    "assembly": [("drawings", "Production drawings", "confidential")],
    "sales": [("bids", "Bid documents", "confidential")],
    "quality": [("certification", "Certification records", "internal")],
    "programmes": [("plans", "Programme plans", "secret")],
}


@dataclass
class Item:
    """A register item and the documents (paths or URLs) it covers."""

    index: int
    reference: str
    title: str
    level: str
    dept: int
    team: int  # owning team or -1
    location: str
    kind: str  # "path" or "url"
    compartment: str
    custodian: int
    owner: int
    review_date: dt.date
    docs: list[str] = field(default_factory=list)


@dataclass
class Grant:
    """One need-to-know grant (``target`` is a person/team/department index or a role)."""

    grantee_type: str  # person | team | department | position
    target: int | str
    item: int
    purpose: str
    start: dt.date
    end: dt.date | None
    approved_by: list[int]


@dataclass
class Register:
    """Items, grants and the people who legitimately read other departments' items."""

    items: list[Item]
    grants: list[Grant]
    cross_readers: dict[int, list[int]]  # person -> items of other departments
    ungranted_cross: list[int]  # cross readers with at least one item and no grant

    def path_items(self) -> list[Item]:
        """Items located on file shares."""
        return [i for i in self.items if i.kind == "path"]

    def covered(self, org: Org, person: int, item: int) -> bool:
        """Whether any grant (ever, of any type) gives ``person`` access to ``item``."""
        p = org.people[person]
        for g in self.grants:
            if g.item != item:
                continue
            if g.grantee_type == "person" and g.target == person:
                return True
            if g.grantee_type == "team" and g.target == p.team:
                return True
            if g.grantee_type == "department" and g.target == p.dept:
                return True
            if g.grantee_type == "position" and g.target == p.role:
                return True
        return False


def _docs(rng: np.random.Generator, folder: str, tag: str, count: int) -> list[str]:
    out = []
    for n in range(count):
        sub = SUBFOLDERS[int(rng.integers(len(SUBFOLDERS)))]
        w1 = DOC_WORDS[int(rng.integers(len(DOC_WORDS)))]
        w2 = DOC_WORDS[int(rng.integers(len(DOC_WORDS)))]
        ext = DOC_EXTENSIONS[int(rng.integers(len(DOC_EXTENSIONS)))]
        out.append(f"{folder}\\{sub}\\{w1}_{w2}_{tag}_{n + 1:03d}.{ext}")
    return out


def _staff_of(org: Org, dept: int, team: int = -1) -> list[int]:
    return [
        p.index
        for p in org.people
        if p.dept == dept and (team < 0 or p.team == team) and p.start_day <= 0
    ]


def build_register(org: Org, cal: Calendar) -> Register:
    """Create items for every department that holds classified information, and grants."""
    rng = rng_for(org.params.seed, STREAM_REGISTER)
    domain = org.params.domain
    items: list[Item] = []
    codenames = list(CODENAMES)
    rng.shuffle(codenames)
    research_count = 0

    def add_item(**kw: object) -> Item:
        item = Item(index=len(items), reference=f"REG-{len(items) + 1:04d}", **kw)  # type: ignore[arg-type]
        items.append(item)
        return item

    def review() -> dt.date:
        return cal.start + dt.timedelta(days=int(rng.integers(-400, 250)))

    for dept in org.departments:
        kind = dept.template.classified
        staff = _staff_of(org, dept.index) or [dept.head]
        if kind == "research":
            n_projects = int(np.clip(len(dept.teams) + 1, 2, 6))
            for j in range(n_projects):
                code = codenames.pop()
                team = dept.teams[j % len(dept.teams)]
                level = _RESEARCH_LEVELS[research_count % len(_RESEARCH_LEVELS)]
                research_count += 1
                folder = f"{dept.share}\\projects\\{code}"
                team_staff = _staff_of(org, dept.index, team) or staff
                add_item(
                    title=f"Project {code.capitalize()} technical data",
                    level=level,
                    dept=dept.index,
                    team=team,
                    location=f"{folder}\\*",
                    kind="path",
                    compartment=code.upper() if level in ("secret", "top secret") else "",
                    custodian=team_staff[int(rng.integers(len(team_staff)))],
                    owner=dept.head,
                    review_date=review(),
                    docs=_docs(rng, folder, code, int(rng.integers(25, 70))),
                )
                if j == 0 and research_count <= 6:
                    base = f"http://intranet.{domain}/wiki/{code}"
                    pages = [
                        f"{base}/{DOC_WORDS[int(rng.integers(len(DOC_WORDS)))]}_{n + 1}.html"
                        for n in range(12)
                    ]
                    add_item(
                        title=f"Project {code.capitalize()} wiki",
                        level="confidential",
                        dept=dept.index,
                        team=-1,
                        location=f"{base}/*",
                        kind="url",
                        compartment="",
                        custodian=team_staff[0],
                        owner=dept.head,
                        review_date=review(),
                        docs=pages,
                    )
        for folder_name, title, level in _ADMIN_ITEMS.get(dept.template.key, []):
            folder = f"{dept.share}\\{folder_name}"
            add_item(
                title=title,
                level=level,
                dept=dept.index,
                team=-1,
                location=f"{folder}\\*",
                kind="path",
                compartment="",
                custodian=staff[int(rng.integers(len(staff)))],
                owner=dept.head,
                review_date=review(),
                docs=_docs(rng, folder, dept.template.key, int(rng.integers(20, 50))),
            )
        if kind in ("research", "light"):
            folder = f"{dept.share}\\handbook"
            add_item(
                title=f"{dept.template.name} handbook",
                level="internal",
                dept=dept.index,
                team=-1,
                location=f"{folder}\\*",
                kind="path",
                compartment="",
                custodian=staff[0],
                owner=dept.head,
                review_date=review(),
                docs=_docs(rng, folder, "handbook", 12),
            )
    grants: list[Grant] = []
    _group_grants(org, cal, rng, items, grants)
    cross, ungranted = _cross_readers(org, cal, rng, items, grants)
    return Register(items=items, grants=grants, cross_readers=cross, ungranted_cross=ungranted)


def _security_officers(org: Org) -> list[int]:
    return [p.index for p in org.people if p.role == "SecurityOfficer" and p.start_day <= 0]


def _approvers(org: Org, rng: np.random.Generator, item: Item, two: bool) -> list[int]:
    officers = _security_officers(org) or [org.president]
    if two:
        return [item.owner, officers[int(rng.integers(len(officers)))]]
    return [item.owner]


def _grant_start(cal: Calendar, rng: np.random.Generator) -> dt.date:
    return cal.start - dt.timedelta(days=int(rng.integers(30, 900)))


def _group_grants(
    org: Org, cal: Calendar, rng: np.random.Generator, items: list[Item], grants: list[Grant]
) -> None:
    """Department, team, personal and position grants of each item's owners."""
    for item in items:
        top = item.level == "top secret"
        two = top and rng.random() < 0.8  # some top-secret grants miss the second approver
        if item.level == "internal":
            if rng.random() < 0.5:
                grants.append(
                    Grant(
                        "department",
                        item.dept,
                        item.index,
                        "department work",
                        _grant_start(cal, rng),
                        None,
                        _approvers(org, rng, item, False),
                    )
                )
            continue
        draw = rng.random()
        if item.team < 0 or draw < 0.55:
            grants.append(
                Grant(
                    "department",
                    item.dept,
                    item.index,
                    "department work",
                    _grant_start(cal, rng),
                    None,
                    _approvers(org, rng, item, two),
                )
            )
        elif draw < 0.85:
            grants.append(
                Grant(
                    "team",
                    item.team,
                    item.index,
                    "project work",
                    _grant_start(cal, rng),
                    None,
                    _approvers(org, rng, item, two),
                )
            )
        else:
            for person in _staff_of(org, item.dept, item.team):
                if rng.random() < 0.8:
                    grants.append(
                        Grant(
                            "person",
                            person,
                            item.index,
                            "project work",
                            _grant_start(cal, rng),
                            None,
                            _approvers(org, rng, item, two),
                        )
                    )
        if item.level in ("secret", "top secret"):
            grants.append(
                Grant(
                    "position",
                    "SecurityOfficer",
                    item.index,
                    "security oversight",
                    _grant_start(cal, rng),
                    None,
                    _approvers(org, rng, item, two),
                )
            )


def _cross_readers(
    org: Org, cal: Calendar, rng: np.random.Generator, items: list[Item], grants: list[Grant]
) -> tuple[dict[int, list[int]], list[int]]:
    """People who legitimately read items of other departments; most have a grant."""
    candidates = [
        p.index
        for p in org.people
        if p.kind == KIND_STAFF and p.start_day <= 0 and p.role != "SecurityOfficer"
    ]
    shareable = [i for i in items if i.kind == "path" and i.level != "internal"]
    count = max(2, round(len(candidates) * 0.04))
    chosen = rng.choice(np.array(candidates), size=min(count, len(candidates)), replace=False)
    cross: dict[int, list[int]] = {}
    ungranted: list[int] = []
    for k, person in enumerate(sorted(int(x) for x in chosen)):
        own = org.people[person].dept
        options = [i.index for i in shareable if i.dept != own]
        if not options:
            continue
        n = min(len(options), 1 + int(rng.random() < 0.4))
        picked = sorted(int(x) for x in rng.choice(np.array(options), size=n, replace=False))
        cross[person] = picked
        missing = k % 4 == 1  # every fourth cross reader reads without any grant
        if missing:
            ungranted.append(person)
            continue
        for item_index in picked:
            item = items[item_index]
            end = None
            if rng.random() < 0.2:  # expired during the period; reading goes on
                end = cal.start + dt.timedelta(days=int(rng.integers(3, max(4, cal.days // 2))))
            grants.append(
                Grant(
                    "person",
                    person,
                    item_index,
                    "cross-department support",
                    _grant_start(cal, rng),
                    end,
                    _approvers(org, rng, item, item.level == "top secret"),
                )
            )
    return cross, ungranted


def register_rows(org: Org, reg: Register) -> list[list[str]]:
    """Rows of ``register.csv``."""
    return [
        [
            i.reference,
            i.title,
            i.level,
            org.departments[i.dept].label,
            i.location,
            i.compartment,
            org.people[i.custodian].user_id,
            org.people[i.owner].user_id,
            i.review_date.isoformat(),
        ]
        for i in reg.items
    ]


def grant_rows(org: Org, reg: Register) -> list[list[str]]:
    """Rows of ``grants.csv`` (grantee: user id, team/department label or role)."""
    rows = []
    for g in reg.grants:
        if g.grantee_type == "person":
            grantee = org.people[int(g.target)].user_id
        elif g.grantee_type == "team":
            grantee = org.teams[int(g.target)].label
        elif g.grantee_type == "department":
            grantee = org.departments[int(g.target)].label
        else:
            grantee = str(g.target)
        rows.append(
            [
                g.grantee_type,
                grantee,
                reg.items[g.item].reference,
                g.purpose,
                g.start.isoformat(),
                g.end.isoformat() if g.end else "",
                ";".join(org.people[a].user_id for a in g.approved_by),
            ]
        )
    return rows


def host_rows(org: Org) -> list[list[str]]:
    """Rows of ``hosts.csv``."""
    return [
        [
            h.name,
            org.people[h.owner].user_id if h.owner >= 0 else "",
            "True" if h.shared else "False",
            "True" if h.removable_allowed else "False",
        ]
        for h in org.hosts
    ]
