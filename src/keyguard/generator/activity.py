"""Baseline (benign) activity of every person for a block of days, fully vectorised.

Sessions first (office day, after-hours, weekend, an admin's visits to other machines, a
shared lab machine), then the events inside them: logons and screen unlocks, removable
media, file operations, e-mail and web. Everything is drawn from the person's habits.

Imports only numpy and sibling modules of the generator.
"""

from __future__ import annotations

import numpy as np

from keyguard.generator.habits import CAT
from keyguard.generator.tables import Table, concat, empty
from keyguard.generator.world import World

DAY = 86400
HOUR = 3600
K_MAIN, K_AFTER, K_WEEKEND, K_ADMIN, K_SHARED = 0, 1, 2, 3, 4


def _sessions(w: World, d0: int, d1: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    h = w.habits
    days = np.arange(d0, d1)
    start = np.array([p.start_day for p in w.org.people])
    end = np.array([p.end_day for p in w.org.people])
    own_pc = np.array([p.host for p in w.org.people], dtype=np.int64)
    employed = (start[:, None] <= days[None, :]) & (end[:, None] >= days[None, :])
    here = employed & ~h.absent[:, d0:d1]
    work = w.cal.workday[d0:d1]
    parts: list[dict[str, np.ndarray]] = []

    pi, di = np.nonzero(here & work[None, :])
    day = days[di]
    n = len(pi)
    s = day * DAY + ((h.start_h[pi] + rng.normal(0, 0.33, n)) * HOUR).astype(np.int64)
    s = np.maximum(s, day * DAY + 5 * HOUR)
    length = ((h.len_h[pi] + rng.normal(0, 0.5, n)) * HOUR).astype(np.int64)
    e = np.minimum(s + np.maximum(length, HOUR), day * DAY + DAY - 120)
    main = {"p": pi, "day": day, "s": s, "e": e, "pc": own_pc[pi], "kind": np.full(n, K_MAIN)}
    main["w"] = (e - s) / (h.len_h[pi] * HOUR)
    parts.append(main)

    go = rng.random(n) < h.after_hours_p[pi]
    if go.any():
        a_s = np.maximum(
            e[go] + 1800, day[go] * DAY + (rng.uniform(19, 22.2, go.sum()) * HOUR).astype(np.int64)
        )
        a_e = np.minimum(
            a_s + (rng.uniform(0.3, 2.0, go.sum()) * HOUR).astype(np.int64),
            day[go] * DAY + DAY - 60,
        )
        ok = a_e - a_s > 600
        p_a = pi[go][ok]
        parts.append(
            {
                "p": p_a,
                "day": day[go][ok],
                "s": a_s[ok],
                "e": a_e[ok],
                "pc": own_pc[p_a],
                "kind": np.full(ok.sum(), K_AFTER),
                "w": 0.8 * (a_e[ok] - a_s[ok]) / (h.len_h[p_a] * HOUR),
            }
        )

    wi, wd = np.nonzero(here & ~work[None, :])
    go = rng.random(len(wi)) < h.weekend_p[wi]
    if go.any():
        p_w, day_w = wi[go], days[wd[go]]
        w_s = day_w * DAY + (rng.uniform(9, 14, go.sum()) * HOUR).astype(np.int64)
        w_e = w_s + (rng.uniform(1, 4, go.sum()) * HOUR).astype(np.int64)
        parts.append(
            {
                "p": p_w,
                "day": day_w,
                "s": w_s,
                "e": w_e,
                "pc": own_pc[p_w],
                "kind": np.full(go.sum(), K_WEEKEND),
                "w": (w_e - w_s) / (h.len_h[p_w] * HOUR),
            }
        )

    k = rng.poisson(h.admin_rate[pi])
    if k.sum():
        src = np.repeat(np.arange(n), k)
        span = np.maximum(e[src] - s[src] - 1800, 60)
        r_s = s[src] + (rng.random(len(src)) * span).astype(np.int64)
        r_e = np.minimum(r_s + rng.integers(120, 1500, len(src)), e[src])
        pc = rng.integers(0, len(w.org.hosts), len(src))
        pc = np.where(pc == own_pc[pi[src]], (pc + 1) % len(w.org.hosts), pc)
        parts.append(
            {
                "p": pi[src],
                "day": day[src],
                "s": r_s,
                "e": r_e,
                "pc": pc,
                "kind": np.full(len(src), K_ADMIN),
                "w": np.zeros(len(src)),
            }
        )

    shared = h.shared_host[pi]
    go = (shared >= 0) & (rng.random(n) < h.shared_p[pi])
    if go.any():
        span = np.maximum(e[go] - s[go] - HOUR, 60)
        x_s = s[go] + (rng.random(go.sum()) * span).astype(np.int64)
        x_e = np.minimum(x_s + (rng.uniform(0.5, 2, go.sum()) * HOUR).astype(np.int64), e[go])
        p_x = pi[go]
        parts.append(
            {
                "p": p_x,
                "day": day[go],
                "s": x_s,
                "e": x_e,
                "pc": shared[go],
                "kind": np.full(go.sum(), K_SHARED),
                "w": 0.3 * (x_e - x_s) / (h.len_h[p_x] * HOUR),
            }
        )
    return {key: np.concatenate([part[key] for part in parts]) for key in main}


def _spread(
    ses: dict[str, np.ndarray], counts: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Session index and time of ``counts[i]`` events spread uniformly in session ``i``."""
    idx = np.repeat(np.arange(len(counts)), counts)
    s, e = ses["s"][idx], ses["e"][idx]
    t = s + 30 + (rng.random(len(idx)) * np.maximum(e - s - 60, 1)).astype(np.int64)
    return idx, t


def _table(
    file: str, t: np.ndarray, user: np.ndarray, pc: np.ndarray, act: np.ndarray, **cols: np.ndarray
) -> Table:
    table: Table = {
        "t": t.astype(np.int64),
        "user": user.astype(np.int32),
        "pc": pc.astype(np.int32),
        "act": act.astype(np.int8),
        "tag": np.full(len(t), -1, dtype=np.int32),
    }
    ref = empty(file)
    for name in ref:
        if name not in table:
            table[name] = cols[name].astype(ref[name].dtype)
    return table


def _logons(w: World, ses: dict[str, np.ndarray], rng: np.random.Generator) -> Table:
    h = w.habits
    p = ses["p"]
    n = len(p)
    keep_off = ~((ses["kind"] == K_MAIN) & (rng.random(n) < h.forget_p[p]))
    t = [ses["s"], ses["e"][keep_off]]
    user = [p, p[keep_off]]
    pc = [ses["pc"], ses["pc"][keep_off]]
    act = [np.zeros(n), np.ones(keep_off.sum())]
    locks = np.where(
        (ses["kind"] == K_MAIN) & (ses["e"] - ses["s"] > 2 * HOUR), rng.poisson(h.lock_rate[p]), 0
    )
    idx = np.repeat(np.arange(n), locks)
    if len(idx):
        s, e = ses["s"][idx], ses["e"][idx]
        off = s + 1800 + (rng.random(len(idx)) * (e - s - 3600)).astype(np.int64)
        on = np.minimum(off + rng.integers(180, 3600, len(idx)), e - 60)
        t += [off, on]
        user += [p[idx], p[idx]]
        pc += [ses["pc"][idx], ses["pc"][idx]]
        act += [np.ones(len(idx)), np.zeros(len(idx))]
    return _table(
        "logon.csv",
        np.concatenate(t),
        np.concatenate(user),
        np.concatenate(pc),
        np.concatenate(act),
    )


def pick_files(
    w: World, person: np.ndarray, rng: np.random.Generator, segments: int | None = None
) -> np.ndarray:
    """Pool indices of files the people would touch (by their file-choice segments)."""
    h = w.habits
    u = rng.random(len(person))
    if segments is None:
        seg = (h.seg_cum[person] < u[:, None]).sum(axis=1)
    else:
        seg = (u * segments).astype(np.int64)
    seg = np.minimum(seg, h.seg_cum.shape[1] - 1)
    start = h.seg_start[person, seg]
    size = h.seg_size[person, seg]
    out: np.ndarray = start + (rng.random(len(person)) * size).astype(np.int64)
    return out


def _devices(w: World, ses: dict[str, np.ndarray], rng: np.random.Generator) -> tuple[Table, Table]:
    h = w.habits
    p = ses["p"]
    kind = ses["kind"]
    chance = np.where(
        kind == K_ADMIN, 0.1 * (h.usb_p[p] > 0), np.where(kind == K_MAIN, h.usb_p[p], 0.0)
    )
    k = np.where(rng.random(len(p)) < chance, 1 + (rng.random(len(p)) < 0.3), 0)
    idx = np.repeat(np.arange(len(p)), k)
    if not len(idx):
        return empty("device.csv"), empty("file.csv")
    s, e = ses["s"][idx], ses["e"][idx]
    on = s + (rng.random(len(idx)) * np.maximum(e - s - 600, 60)).astype(np.int64)
    off = np.minimum(on + rng.integers(300, 5400, len(idx)), e - 1)
    off = np.maximum(off, on + 60)
    person = p[idx]
    own_tree = (person * 7) % len(w.trees)
    tree = np.where(rng.random(len(idx)) < 0.7, own_tree, rng.integers(0, len(w.trees), len(idx)))
    n = len(idx)
    dev = _table(
        "device.csv",
        np.concatenate([on, off]),
        np.concatenate([person, person]),
        np.concatenate([ses["pc"][idx]] * 2),
        np.concatenate([np.zeros(n), np.ones(n)]),
        tree=np.concatenate([w.trees[tree], np.full(n, "", dtype=object)]),
    )
    m = rng.poisson(np.where(kind[idx] == K_ADMIN, 0.5, h.usb_files[person]))
    fi = np.repeat(np.arange(n), m)
    if not len(fi):
        return dev, empty("file.csv")
    ft = on[fi] + 5 + (rng.random(len(fi)) * np.maximum(off[fi] - on[fi] - 10, 1)).astype(np.int64)
    fp = person[fi]
    what = rng.random(len(fi))
    usb0, usb_n = w.pools.usb
    usb_path = usb0 + rng.integers(0, usb_n, len(fi))
    src_path = pick_files(w, fp, rng, segments=2)
    copy = what < 0.6
    path = np.where(copy, src_path, usb_path)
    act = np.where(copy, 2, np.where(what < 0.85, 0, 1))
    files = _table(
        "file.csv",
        ft,
        fp,
        ses["pc"][idx][fi],
        act,
        path=w.files[path],
        to_rm=copy | (what >= 0.85),
        from_rm=(what >= 0.6) & (what < 0.85),
        content=w.content[rng.integers(0, len(w.content), len(fi))],
    )
    return dev, files


def _files(w: World, ses: dict[str, np.ndarray], rng: np.random.Generator) -> Table:
    p = ses["p"]
    idx, t = _spread(ses, rng.poisson(w.habits.file_rate[p] * ses["w"]), rng)
    person = p[idx]
    path = pick_files(w, person, rng)
    act = np.searchsorted(np.array([0.62, 0.84, 0.92]), rng.random(len(idx)), side="right")
    no = np.zeros(len(idx), dtype=bool)
    return _table(
        "file.csv",
        t,
        person,
        ses["pc"][idx],
        act,
        path=w.files[path],
        to_rm=no,
        from_rm=no,
        content=w.content[rng.integers(0, len(w.content), len(idx))],
    )


def colleagues(w: World, person: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random colleague of each person (team, else department, else anyone)."""
    team = w.team_of[person]  # -1 indexes the extra empty group
    dept = w.dept_of[person]
    tsz = w.team_size[team]
    dsz = w.dept_size[dept]
    u = rng.random(len(person))
    v = rng.random(len(person))
    out = rng.integers(0, w.people, len(person))
    in_team = (u < 0.6) & (tsz > 1)
    in_dept = ~in_team & (u < 0.85) & (dsz > 1)
    t_pick = w.team_off[team] + (v * tsz).astype(np.int64)
    d_pick = w.dept_off[dept] + (v * dsz).astype(np.int64)
    out[in_team] = w.team_flat[t_pick[in_team]]
    out[in_dept] = w.dept_flat[d_pick[in_dept]]
    return np.where(out == person, (out + 1) % w.people, out)


def _join(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = a.copy()
    out[mask] = a[mask] + ";" + b[mask]
    return out


def _attachments(
    w: World, person: np.ndarray, rng: np.random.Generator, p: float, segments: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    n = len(person)
    att = np.full(n, "", dtype=object)
    size = np.zeros(n, dtype=np.int64)
    has = np.flatnonzero(rng.random(n) < p)
    for j in range(2):
        if j == 1:
            has = has[rng.random(len(has)) < 0.3]
        if not len(has):
            break
        path = w.files[pick_files(w, person[has], rng, segments)]
        sz = rng.lognormal(np.log(120_000), 1.0, len(has)).astype(np.int64) + 2000
        text = [f"{a}({b})" for a, b in zip(path, sz.tolist(), strict=True)]
        cur = att[has]
        att[has] = [f"{c};{x}" if c else x for c, x in zip(cur, text, strict=True)]
        size[has] += sz
    return att, size


def _emails(w: World, ses: dict[str, np.ndarray], rng: np.random.Generator) -> Table:
    h = w.habits
    p = ses["p"]
    i0 = w.pools.internal_addr[0]
    p0 = w.pools.personal_addr[0]
    e0, en = w.pools.external_addr
    tables = []
    for act, rate in ((0, h.send_rate), (1, h.view_rate)):
        idx, t = _spread(ses, rng.poisson(rate[p] * ses["w"]), rng)
        person = p[idx]
        n = len(idx)
        own = w.addresses[i0 + person]

        def other(mask_external: np.ndarray, person: np.ndarray = person, n: int = n) -> np.ndarray:
            mate = w.addresses[i0 + colleagues(w, person, rng)]
            ext = w.addresses[e0 + rng.integers(0, en, n)]
            return np.where(mask_external, ext, mate)

        external = rng.random(n) < h.external_p[person]
        cc = np.where(rng.random(n) < 0.25, other(np.zeros(n, dtype=bool)), "")
        bcc = np.where(rng.random(n) < 0.02, other(np.zeros(n, dtype=bool)), "")
        if act == 0:
            to = other(external)
            count = 1 + np.minimum(rng.poisson(0.5, n), 3)
            for j in range(1, 4):
                to = _join(to, other(rng.random(n) < h.external_p[person]), count > j)
            self_mail = rng.random(n) < h.self_mail_p[person]
            to = np.where(self_mail, w.addresses[p0 + person], to)
            frm = own
            att, att_size = _attachments(w, person, rng, 0.18)
        else:
            to = own
            frm = other(rng.random(n) < 0.25)
            att, att_size = _attachments(w, person, rng, 0.1, segments=2)
        size = rng.integers(1500, 60_000, n) + att_size
        tables.append(
            _table(
                "email.csv",
                t,
                person,
                ses["pc"][idx],
                np.full(n, act),
                to=to,
                cc=cc,
                bcc=bcc,
                frm=frm,
                size=size,
                att=att,
                content=w.content[rng.integers(0, len(w.content), n)],
            )
        )
    return concat("email.csv", tables)


def _http(w: World, ses: dict[str, np.ndarray], rng: np.random.Generator) -> Table:
    h = w.habits
    p = ses["p"]
    idx, t = _spread(ses, rng.poisson(h.web_rate[p] * ses["w"]), rng)
    person = p[idx]
    n = len(idx)
    cat = np.minimum(
        (h.browse_cum[person] < rng.random(n)[:, None]).sum(axis=1), h.browse_cum.shape[1] - 1
    )
    pools = w.pools
    u = rng.random(n)
    url = pools.url_cat[cat, 0] + (u * pools.url_cat[cat, 1]).astype(np.int64)
    act = np.zeros(n, dtype=np.int64)
    download = rng.random(n) < 0.04
    url = np.where(
        download,
        pools.url_download[cat, 0] + (u * pools.url_download[cat, 1]).astype(np.int64),
        url,
    )
    act[download] = 1
    upload = (cat == CAT["cloud_storage"]) & (rng.random(n) < h.upload_p[person]) & ~download
    act[upload] = 2
    wiki = (cat == CAT["intranet"]) & (w.url_item[person, 1] > 0) & (rng.random(n) < 0.3)
    url = np.where(wiki, w.url_item[person, 0] + (u * w.url_item[person, 1]).astype(np.int64), url)
    return _table(
        "http.csv",
        t,
        person,
        ses["pc"][idx],
        act,
        url=w.urls[url],
        content=w.content[rng.integers(0, len(w.content), n)],
    )


def baseline(w: World, d0: int, d1: int, rng: np.random.Generator) -> dict[str, Table]:
    """Benign activity of everyone employed on days ``[d0, d1)``, per activity file."""
    ses = _sessions(w, d0, d1, rng)
    dev, usb_files = _devices(w, ses, rng)
    return {
        "logon.csv": _logons(w, ses, rng),
        "device.csv": dev,
        "file.csv": concat("file.csv", [_files(w, ses, rng), usb_files]),
        "email.csv": _emails(w, ses, rng),
        "http.csv": _http(w, ses, rng),
    }
