"""Personal habits that persist from day to day: start time, day length, after-hours and
weekend work, removable media, e-mail/web/file volume, browsing mix, which files a person
works on, absences. Also marks the benign look-alikes (people whose normal behaviour
resembles an insider's) and which machines allow removable media.

Imports only numpy and sibling modules of the generator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from keyguard.generator.calendar import Calendar
from keyguard.generator.org import KIND_HEAD, KIND_LEAD, KIND_PRESIDENT, KIND_STAFF, KIND_VP, Org
from keyguard.generator.params import STREAM_HABITS, rng_for
from keyguard.generator.register import Register
from keyguard.generator.sites import BROWSE_CATEGORIES, BROWSE_WEIGHTS
from keyguard.generator.universe import Pools

SEGMENTS = 12  # file-choice segments per person
CAT = {name: i for i, name in enumerate(BROWSE_CATEGORIES)}


@dataclass
class Habits:
    """Per-person habit arrays (index = person index)."""

    start_h: np.ndarray
    len_h: np.ndarray
    after_hours_p: np.ndarray
    weekend_p: np.ndarray
    usb_p: np.ndarray
    usb_files: np.ndarray
    send_rate: np.ndarray
    view_rate: np.ndarray
    web_rate: np.ndarray
    file_rate: np.ndarray
    lock_rate: np.ndarray
    forget_p: np.ndarray
    external_p: np.ndarray
    self_mail_p: np.ndarray
    upload_p: np.ndarray
    admin_rate: np.ndarray
    shared_host: np.ndarray  # host index or -1
    shared_p: np.ndarray
    browse_cum: np.ndarray  # (people, categories) cumulative weights
    seg_start: np.ndarray  # (people, SEGMENTS)
    seg_size: np.ndarray
    seg_cum: np.ndarray
    absent: np.ndarray  # (people, days) bool
    lookalikes: dict[str, list[int]] = field(default_factory=dict)

    def set_browse(self, person: int, category: str, weight: float) -> None:
        """Give ``category`` the share ``weight`` of a person's visits (others rescaled)."""
        cum = self.browse_cum[person]
        w = np.diff(np.concatenate([[0.0], cum]))
        w[CAT[category]] = 0.0
        w = w / w.sum() * (1.0 - weight)
        w[CAT[category]] = weight
        self.browse_cum[person] = np.cumsum(w)
        self.browse_cum[person, -1] = 1.0


def _seg(span: np.ndarray, weight: float) -> tuple[int, int, float]:
    return int(span[0]), int(span[1]), weight


def _segments(
    org: Org, reg: Register, pools: Pools, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(org.people)
    start = np.zeros((n, SEGMENTS), dtype=np.int64)
    size = np.ones((n, SEGMENTS), dtype=np.int64)
    weight = np.zeros((n, SEGMENTS), dtype=float)
    path_items = reg.path_items()
    officers = {p.index for p in org.people if p.role == "SecurityOfficer"}
    for p in org.people:
        segs: list[tuple[int, int, float]] = []
        segs.append((int(pools.local[p.index, 0]), int(pools.local[p.index, 1]), 0.4))
        dept = org.work_dept(p.index)
        segs.append((int(pools.common[dept, 0]), int(pools.common[dept, 1]), 0.33))
        if p.kind in (KIND_PRESIDENT, KIND_VP):
            own = [
                i
                for i in path_items
                if p.kind == KIND_PRESIDENT or org.departments[i.dept].fu == p.fu
            ]
            picks = [own[int(k)] for k in rng.permutation(len(own))[:3]] if own else []
            for item in picks:
                segs.append(_seg(pools.item_docs[item.index], 0.04))
        else:
            own = [i for i in path_items if i.dept == p.dept]
            for item in own[: SEGMENTS - 5]:
                team_item = item.team < 0 or item.team == p.team or p.kind == KIND_HEAD
                w = 0.08 if team_item else 0.015
                if item.level == "internal":
                    w = 0.02
                segs.append(_seg(pools.item_docs[item.index], w))
        for item_index in reg.cross_readers.get(p.index, []):
            segs.append(_seg(pools.item_docs[item_index], 0.05))
        if p.index in officers and path_items:
            for k in rng.permutation(len(path_items))[:3]:
                segs.append(_seg(pools.item_docs[path_items[int(k)].index], 0.03))
        segs = segs[:SEGMENTS]
        for k, (s, z, w) in enumerate(segs):
            start[p.index, k], size[p.index, k], weight[p.index, k] = s, z, w
    cum = np.cumsum(weight, axis=1)
    cum /= cum[:, -1:]
    cum[:, -1] = 1.0
    return start, size, cum


def _absences(n: int, cal: Calendar, rng: np.random.Generator) -> np.ndarray:
    absent = rng.random((n, cal.days)) < 0.03  # sick days and single days off
    blocks = max(1, round(cal.days / 180))
    for p in range(n):
        for _ in range(blocks):
            if rng.random() < 0.8:
                first = int(rng.integers(0, cal.days))
                absent[p, first : first + int(rng.integers(3, 12))] = True
    return absent


def _some(
    rng: np.random.Generator, mask: np.ndarray, share: float, exclude: np.ndarray | None = None
) -> np.ndarray:
    """Exactly ``max(1, round(share * candidates))`` people among ``mask`` (minus ``exclude``)."""
    candidates = np.flatnonzero(mask if exclude is None else mask & ~exclude)
    out = np.zeros(len(mask), dtype=bool)
    if len(candidates):
        k = min(len(candidates), max(1, round(share * len(candidates))))
        out[rng.choice(candidates, size=k, replace=False)] = True
    return out


def build_habits(org: Org, reg: Register, pools: Pools, cal: Calendar) -> Habits:
    """Draw every person's habits and mark the benign look-alikes."""
    rng = rng_for(org.params.seed, STREAM_HABITS)
    n = len(org.people)
    roles = [p.role for p in org.people]
    staff = np.array([p.kind == KIND_STAFF for p in org.people])
    admin = np.array([r == "ITAdmin" for r in roles])
    helpdesk = np.array([r == "HelpDesk" for r in roles])
    leader = np.array(
        [p.kind in (KIND_PRESIDENT, KIND_VP, KIND_HEAD, KIND_LEAD) for p in org.people]
    )

    start_h = np.clip(rng.normal(8.2, 0.6, n), 6.0, 10.5)
    len_h = np.clip(rng.normal(8.6, 0.5, n), 6.5, 10.5)
    part_time = rng.random(n) < 0.07
    len_h[part_time] = rng.uniform(4.5, 6.0, int(part_time.sum()))
    len_h[leader] += 0.7

    draw = rng.random(n)
    after = np.zeros(n)
    weekend = np.zeros(n)
    night_owls = _some(rng, staff, 0.07)
    after[night_owls] = rng.uniform(0.15, 0.45, int(night_owls.sum()))
    weekend[night_owls] = rng.uniform(0.05, 0.3, int(night_owls.sum()))
    occasional = ~night_owls & (draw > 0.85)
    after[occasional] = rng.uniform(0.01, 0.04, int(occasional.sum()))
    after[admin] = rng.uniform(0.04, 0.15, int(admin.sum()))
    weekend[admin] = rng.uniform(0.02, 0.08, int(admin.sum()))
    after[leader] = np.maximum(after[leader], 0.05)

    draw = rng.random(n)
    usb = np.zeros(n)
    usb_files = np.ones(n)
    light = draw < 0.2
    usb[light] = rng.uniform(0.03, 0.15, int(light.sum()))
    heavy = _some(rng, staff, 0.05, exclude=night_owls)
    light &= ~heavy
    usb[heavy] = rng.uniform(0.6, 0.95, int(heavy.sum()))
    usb_files[heavy] = rng.uniform(2.0, 6.0, int(heavy.sum()))
    usb[admin] = rng.uniform(0.2, 0.5, int(admin.sum()))

    send = rng.lognormal(np.log(5.0), 0.5, n)
    view = send * rng.uniform(1.2, 2.2, n)
    web = rng.lognormal(np.log(26.0), 0.55, n)
    files = rng.lognormal(np.log(8.0), 0.5, n)
    files[admin | helpdesk] *= 0.5

    external = np.full(n, 0.12)
    for p in org.people:
        if p.dept >= 0 and org.departments[p.dept].template.key in (
            "sales",
            "legal",
            "supply",
            "support",
        ):
            external[p.index] = 0.4
    self_mail = np.zeros(n)
    self_mailers = _some(rng, staff, 0.04)
    self_mail[self_mailers] = rng.uniform(0.01, 0.04, int(self_mailers.sum()))

    base = np.array([BROWSE_WEIGHTS[c] for c in BROWSE_CATEGORIES])
    w = base[None, :] * rng.gamma(2.0, 0.5, (n, len(base)))
    job_browsers = _some(rng, staff, 0.03)
    w[job_browsers, CAT["job_search"]] = 0.08
    cloud_users = _some(rng, staff, 0.03, exclude=job_browsers)
    w[cloud_users, CAT["cloud_storage"]] = 0.05
    upload = np.zeros(n)
    upload[cloud_users] = rng.uniform(0.15, 0.35, int(cloud_users.sum()))
    cum = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    cum[:, -1] = 1.0

    admin_rate = np.zeros(n)
    admin_rate[admin] = rng.uniform(4, 12, int(admin.sum()))
    admin_rate[helpdesk] = rng.uniform(2, 6, int(helpdesk.sum()))

    shared_host = np.full(n, -1, dtype=np.int64)
    shared_p = np.zeros(n)
    shared_by_dept: dict[int, list[int]] = {}
    for h, host in enumerate(org.hosts):
        if host.shared:
            shared_by_dept.setdefault(host.dept, []).append(h)
            host.removable_allowed = bool(rng.random() < 0.5)
    for p in org.people:
        options = shared_by_dept.get(p.dept, [])
        if options and p.kind == KIND_STAFF and rng.random() < 0.3:
            shared_host[p.index] = options[int(rng.integers(len(options)))]
            shared_p[p.index] = rng.uniform(0.1, 0.4)

    for p in org.people:
        host = org.hosts[p.host]
        if admin[p.index] or heavy[p.index] or (light[p.index] and rng.random() < 0.5):
            host.removable_allowed = True

    seg_start, seg_size, seg_cum = _segments(org, reg, pools, rng)
    habits = Habits(
        start_h=start_h,
        len_h=len_h,
        after_hours_p=after,
        weekend_p=weekend,
        usb_p=usb,
        usb_files=usb_files,
        send_rate=send,
        view_rate=view,
        web_rate=web,
        file_rate=files,
        lock_rate=rng.uniform(0.3, 2.5, n),
        forget_p=rng.uniform(0.01, 0.06, n),
        external_p=external,
        self_mail_p=self_mail,
        upload_p=upload,
        admin_rate=admin_rate,
        shared_host=shared_host,
        shared_p=shared_p,
        browse_cum=cum,
        seg_start=seg_start,
        seg_size=seg_size,
        seg_cum=seg_cum,
        absent=_absences(n, cal, rng),
    )

    def ids(mask: np.ndarray) -> list[int]:
        return [int(i) for i in np.flatnonzero(mask)]

    habits.lookalikes = {
        "after_hours_worker": ids(night_owls),
        "heavy_removable_media": ids(heavy),
        "job_site_browsing": ids(job_browsers),
        "cloud_storage_uploads": ids(cloud_users),
        "admin_many_machines": ids(admin | helpdesk),
        "self_mail_to_personal": ids(self_mailers),
        "cross_department_reader_with_grant": sorted(
            p for p in reg.cross_readers if p not in reg.ungranted_cross
        ),
        "cross_department_reader_without_grant": sorted(reg.ungranted_cross),
    }
    return habits
