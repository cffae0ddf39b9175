"""Queries over the event store alone (plus the people records where named): one account on
several machines at once, generic account names, accounts that match nobody, and monitoring
gaps (a log source that went silent, a busy machine with no events, a store that stopped).

Windows end at the horizon, the last day of events not after the scan day, so a historical
export is judged on its own last days; the staleness of the whole store is judged against
the scan day."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from typing import Any

import pyarrow as pa
from sqlalchemy import select

from keyguard.controls.context import EVENT_SELECT, USER_KEY, QueryContext, event_row, record_row
from keyguard.controls.queries import Hit, Param, query
from keyguard.controls.queries.people import leavers
from keyguard.records.personnel.jml import PRIVILEGED_TITLES
from keyguard.records.register.matching import user_key
from keyguard.records.register.models import Host

GENERIC_NAMES = [
    r"^(admin|administrator|root|test|tester|testuser|guest|shared|share|generic|temp|tmp"
    r"|service|svc|user|demo|operator|support|helpdesk|kiosk|lab|scanner|backup)[-_.]?[0-9]*$",
    r"^(svc|srv|test|tmp|shared|generic|admin)[-_.]",
    r"[-_.](shared|generic|test|admin|svc)[0-9]*$",
]


def _norm(text: str) -> str:
    """A job title compared without case, spaces or punctuation."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def _by_user(rows: list[dict[str, Any]], field: str = "k") -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r[field]].append(r)
    return out


@query(
    "events.concurrent_hosts",
    title="One account logging on to different machines within minutes",
    inputs=("events",),
    params={
        "window_minutes": Param("int", 5, "Log-ons this close on two machines count", 1, 120),
        "min_occasions": Param("int", 2, "Occasions needed in the window", 1),
        "days": Param("int", 30, "Look at the last N days of events", 1, 3650),
        "exclude_job_titles": Param(
            "list",
            list(PRIVILEGED_TITLES),
            "People whose job title contains one of these log on to many machines by trade",
        ),
    },
)
def concurrent_hosts(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    d0, d1 = ctx.window(p["days"])
    skip = [_norm(t) for t in p["exclude_job_titles"] if _norm(t)]
    rows = ctx.rows(
        f"""
        WITH l AS (
            SELECT {USER_KEY} AS k, {EVENT_SELECT}, time_utc AS t
            FROM events
            WHERE category = 'logon' AND activity = 'logon' AND host IS NOT NULL
              AND source_user IS NOT NULL AND local_date BETWEEN $d0 AND $d1
        ),
        pairs AS (
            SELECT a.k, a.event_id AS a_id, a.local_date AS a_day, b.event_id AS b_id,
                   b.local_date AS b_day
            FROM l a JOIN l b
              ON a.k = b.k AND a.local_date = b.local_date
             AND b.t BETWEEN a.t - to_seconds($secs) AND a.t + to_seconds($secs)
             AND lower(a.host) < lower(b.host)
        ),
        hit AS (
            SELECT k, count(DISTINCT a_id) AS occasions FROM pairs GROUP BY k
            HAVING count(DISTINCT a_id) >= $min_occasions
        ),
        ids AS (
            SELECT k, a_id AS id, a_day AS d FROM pairs
            UNION SELECT k, b_id, b_day FROM pairs
        )
        SELECT l.*, hit.occasions FROM l JOIN hit USING (k)
        JOIN ids ON ids.k = l.k AND ids.id = l.event_id AND ids.d = l.local_date
        ORDER BY l.k, l.t
        """,
        d0=d0,
        d1=d1,
        secs=p["window_minutes"] * 60,
        min_occasions=p["min_occasions"],
    )
    hits = []
    for k, evs in sorted(_by_user(rows).items()):
        label, masked, person = ctx.who_user(evs[0]["source_user"])
        title = _norm(person.job_title or "") if person else ""
        if title and any(t in title for t in skip):
            continue
        hosts = sorted({e["host"] for e in evs})
        text = (
            f" logged on to {len(hosts)} machines within {p['window_minutes']} minutes on "
            f"{evs[0]['occasions']} occasion(s) between {d0} and {d1}"
        )
        capped, total = ctx.cap([event_row(e) for e in evs])
        hits.append(
            Hit(
                key=f"user:{k}",
                subject=f"Account {label}{text}",
                subject_masked=f"Account {masked}{text}",
                evidence=capped,
                evidence_total=total,
                person_id=person.id if person else None,
                department_id=person.department_id if person else None,
                owner={"person_id": person.id if person else None},
                details={"hosts": hosts},
            )
        )
    return hits


@query(
    "events.shared_hosts",
    title="Machines several people log on to",
    inputs=("events",),
    params={
        "min_users": Param("int", 3, "Distinct accounts logging on before it counts", 2),
        "days": Param("int", 30, "Look at the last N days of events", 1, 3650),
        "exclude_job_titles": Param(
            "list",
            list(PRIVILEGED_TITLES),
            "Accounts of people whose job title contains one of these are not counted",
        ),
    },
)
def shared_hosts(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    d0, d1 = ctx.window(p["days"])
    skip = [_norm(t) for t in p["exclude_job_titles"] if _norm(t)]
    rows = ctx.rows(
        f"""
        WITH l AS (
            SELECT lower(host) AS hk, {USER_KEY} AS k, {EVENT_SELECT}, time_utc AS t,
                   row_number() OVER (PARTITION BY lower(host), {USER_KEY} ORDER BY time_utc)
                       AS n,
                   count(*) OVER (PARTITION BY lower(host), {USER_KEY}) AS logons,
                   count(DISTINCT {USER_KEY}) OVER (PARTITION BY lower(host)) AS users
            FROM events
            WHERE category = 'logon' AND activity = 'logon' AND host IS NOT NULL
              AND source_user IS NOT NULL AND local_date BETWEEN $d0 AND $d1
        )
        SELECT * FROM l WHERE n = 1 AND users >= $min_users ORDER BY hk, logons DESC, k
        """,
        d0=d0,
        d1=d1,
        min_users=p["min_users"],
    )
    flagged = {
        h.name_key: h for h in ctx.session.scalars(select(Host).where(Host.unit_id == ctx.unit.id))
    }
    hits = []
    for hk, users in sorted(_by_user(rows, "hk").items()):
        counted = []
        for r in users:
            person = ctx.who_user(r["source_user"])[2]
            title = _norm(person.job_title or "") if person else ""
            if not (title and any(t in title for t in skip)):
                counted.append((r, person))
        if len(counted) < p["min_users"]:
            continue
        host = flagged.get(hk)
        main = counted[0][1]
        owner = (
            ctx.people().get(host.assigned_person_id) if host and host.assigned_person_id else main
        )
        note = " (registered as shared)" if host is not None and host.shared else ""
        text = (
            f"Machine {users[0]['host']}{note} was logged on to by {len(counted)} accounts "
            f"between {d0} and {d1}: "
        )
        labels = [ctx.who_user(r["source_user"])[:2] for r, _ in counted]
        capped, total = ctx.cap([{**event_row(r), "logons": int(r["logons"])} for r, _ in counted])
        hits.append(
            Hit(
                key=f"host:{hk}",
                subject=text + ", ".join(x for x, _ in labels[:8]),
                subject_masked=text + ", ".join(y for _, y in labels[:8]),
                evidence=capped,
                evidence_total=total,
                department_id=owner.department_id if owner else None,
                owner={"person_id": owner.id if owner else None},
                details={"users": len(counted), "registered_shared": bool(host and host.shared)},
            )
        )
    return hits


@query(
    "events.generic_names",
    title="Generic or shared account names in the logs",
    inputs=("events",),
    params={
        "patterns": Param("regexes", GENERIC_NAMES, "Regular expressions on the user name"),
        "days": Param("int", 30, "Look at the last N days of events", 1, 3650),
    },
)
def generic_names(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    if not p["patterns"]:
        return []
    d0, d1 = ctx.window(p["days"])
    pattern = "|".join(f"(?:{x})" for x in p["patterns"])
    rows = ctx.rows(
        f"""
        WITH u AS (
            SELECT {USER_KEY} AS k, {EVENT_SELECT}, time_utc AS t,
                   row_number() OVER (PARTITION BY {USER_KEY} ORDER BY time_utc) AS n,
                   count(*) OVER (PARTITION BY {USER_KEY}) AS events,
                   count(DISTINCT host) OVER (PARTITION BY {USER_KEY}) AS hosts
            FROM events
            WHERE source_user IS NOT NULL AND local_date BETWEEN $d0 AND $d1
              AND regexp_matches({USER_KEY}, $pattern)
        )
        SELECT * FROM u WHERE n <= $cap ORDER BY k, t
        """,
        d0=d0,
        d1=d1,
        pattern=pattern,
        cap=ctx.max_evidence,
    )
    hits = []
    for k, evs in sorted(_by_user(rows).items()):
        label, masked, person = ctx.who_user(evs[0]["source_user"])
        text = (
            f" has a generic name: {evs[0]['events']} event(s) on {evs[0]['hosts']} machine(s) "
            f"between {d0} and {d1}"
        )
        hits.append(
            Hit(
                key=f"user:{k}",
                subject=f"Account {label}{text}",
                subject_masked=f"Account {masked}{text}",
                evidence=[event_row(e) for e in evs],
                evidence_total=int(evs[0]["events"]),
                person_id=person.id if person else None,
                owner={"person_id": person.id if person else None},
                details={"events": int(evs[0]["events"])},
            )
        )
    return hits


@query(
    "events.unknown_users",
    title="Accounts in the logs that match no known person",
    inputs=("events", "people"),
    params={
        "days": Param("int", 30, "Look at the last N days of events", 1, 3650),
        "min_events": Param("int", 1, "Events needed before an account counts", 1),
    },
)
def unknown_users(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    d0, d1 = ctx.window(p["days"])
    known = pa.table({"k": pa.array(sorted(ctx.by_user_key()), pa.string())})
    ctx.con().register("kg_known_users", known)
    rows = ctx.rows(
        f"""
        WITH u AS (
            SELECT {USER_KEY} AS k, {EVENT_SELECT}, time_utc AS t,
                   row_number() OVER (PARTITION BY {USER_KEY} ORDER BY time_utc) AS n,
                   count(*) OVER (PARTITION BY {USER_KEY}) AS events,
                   count(DISTINCT host) OVER (PARTITION BY {USER_KEY}) AS hosts
            FROM events
            WHERE source_user IS NOT NULL AND trim(source_user) <> ''
              AND local_date BETWEEN $d0 AND $d1
              AND {USER_KEY} NOT IN (SELECT k FROM kg_known_users)
        )
        SELECT * FROM u WHERE n <= $cap AND events >= $min_events ORDER BY k, t
        """,
        d0=d0,
        d1=d1,
        cap=ctx.max_evidence,
        min_events=p["min_events"],
    )
    hits = []
    for k, evs in sorted(_by_user(rows).items()):
        label, masked, _ = ctx.who_user(evs[0]["source_user"])
        text = (
            f" matches no person of the unit: {evs[0]['events']} event(s) on "
            f"{evs[0]['hosts']} machine(s) between {d0} and {d1}"
        )
        hits.append(
            Hit(
                key=f"user:{k}",
                subject=f"Account {label}{text}",
                subject_masked=f"Account {masked}{text}",
                evidence=[event_row(e) for e in evs],
                evidence_total=int(evs[0]["events"]),
                details={"events": int(evs[0]["events"])},
            )
        )
    return hits


@query(
    "events.silent_sources",
    title="Log sources (adapter and kind of log) that went silent",
    inputs=("events",),
    params={
        "silent_days": Param("int", 3, "Working days without events before it counts", 1),
        "baseline_days": Param("int", 60, "Days before the last event that show it was busy", 1),
        "min_active_days": Param("int", 5, "Days with events needed in the baseline", 1),
    },
)
def silent_sources(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    if ctx.horizon is None:
        return []
    rows = ctx.rows(
        """
        WITH s AS (
            SELECT coalesce(adapter, '?') AS adapter, category, local_date, count(*) AS n,
                   min(source_file) AS source_file
            FROM events WHERE local_date <= $h GROUP BY ALL
        ),
        last AS (
            SELECT adapter, category, max(local_date) AS last_day FROM s GROUP BY ALL
        )
        SELECT last.adapter, last.category, last.last_day,
               count(*) FILTER (WHERE s.local_date > last.last_day - $base) AS active_days,
               sum(s.n) FILTER (WHERE s.local_date > last.last_day - $base) AS events,
               max(s.source_file) AS source_file
        FROM last JOIN s USING (adapter, category)
        GROUP BY ALL ORDER BY 1, 2
        """,
        h=ctx.horizon,
        base=p["baseline_days"],
    )
    hits = []
    for r in rows:
        silent = ctx.working_days(r["last_day"], ctx.horizon)
        if silent < p["silent_days"] or r["active_days"] < p["min_active_days"]:
            continue
        name = f"{r['adapter']}:{r['category']}"
        text = (
            f"Log source {name} ({r['source_file']}) has sent nothing since {r['last_day']}: "
            f"{silent} working day(s) before the last day of other logs ({ctx.horizon}); it "
            f"had events on {r['active_days']} day(s) in the {p['baseline_days']} days before"
        )
        hits.append(
            Hit(
                key=f"source:{name}",
                subject=text,
                subject_masked=text,
                evidence=[
                    record_row(
                        "event_store",
                        name,
                        last_day=r["last_day"],
                        horizon=ctx.horizon,
                        silent_working_days=silent,
                        events_in_baseline=int(r["events"] or 0),
                        active_days=int(r["active_days"]),
                        example_file=r["source_file"],
                    )
                ],
                details={"last_day": r["last_day"].isoformat(), "silent_working_days": silent},
            )
        )
    return hits


def _host_people(ctx: QueryContext) -> dict[str, int | None]:
    return {
        h.name_key: h.assigned_person_id
        for h in ctx.session.scalars(select(Host).where(Host.unit_id == ctx.unit.id))
    }


@query(
    "events.silent_hosts",
    title="Normally busy machines with no events for days",
    inputs=("events",),
    params={
        "silent_days": Param("int", 10, "Working days without events before it counts", 1),
        "baseline_days": Param("int", 30, "Days before its last event that show it was busy", 5),
        "min_active_share": Param(
            "float", 0.6, "Share of working days with events in the baseline", 0.05, 1.0
        ),
    },
)
def silent_hosts(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    if ctx.horizon is None:
        return []
    d0 = ctx.horizon - dt.timedelta(days=p["baseline_days"] + 366)
    rows = ctx.rows(
        f"""
        WITH h AS (
            SELECT lower(host) AS hk, min(host) AS host, local_date, count(*) AS n,
                   mode({USER_KEY}) AS main_user
            FROM events WHERE host IS NOT NULL AND local_date BETWEEN $d0 AND $h GROUP BY ALL
        ),
        last AS (SELECT hk, max(local_date) AS last_day FROM h GROUP BY hk)
        SELECT last.hk, min(h.host) AS host, last.last_day,
               count(*) FILTER (WHERE h.local_date > last.last_day - $base) AS active_days,
               mode(h.main_user) FILTER (WHERE h.local_date > last.last_day - $base) AS main_user,
               sum(h.n) FILTER (WHERE h.local_date > last.last_day - $base) AS events
        FROM last JOIN h USING (hk)
        WHERE last.last_day < $h
        GROUP BY ALL ORDER BY 1
        """,
        d0=d0,
        h=ctx.horizon,
        base=p["baseline_days"],
    )
    gone = leavers(ctx) if ctx.people() else {}
    assigned = _host_people(ctx)
    hits = []
    for r in rows:
        silent = ctx.working_days(r["last_day"], ctx.horizon)
        if silent < p["silent_days"]:
            continue
        base_from = r["last_day"] - dt.timedelta(days=p["baseline_days"])
        working = max(ctx.working_days(base_from, r["last_day"]), 1)
        if r["active_days"] / working < p["min_active_share"]:
            continue
        main = ctx.by_user_key().get(user_key(r["main_user"] or ""))
        holder = assigned.get(r["hk"]) or (main.id if main else None)
        if holder is not None and holder in gone and gone[holder].left_from <= ctx.horizon:
            continue  # its user left: silence is expected
        owner = ctx.people().get(holder) if holder is not None else None
        text = (
            f"Machine {r['host']} had events on {r['active_days']} of {working} working days "
            f"before {r['last_day']} and none for {silent} working day(s) up to {ctx.horizon}"
        )
        hits.append(
            Hit(
                key=f"host:{r['hk']}",
                subject=text,
                subject_masked=text,
                evidence=[
                    record_row(
                        "event_store",
                        r["host"],
                        last_day=r["last_day"],
                        horizon=ctx.horizon,
                        silent_working_days=silent,
                        active_days=int(r["active_days"]),
                        working_days=working,
                        events_in_baseline=int(r["events"] or 0),
                    )
                ],
                department_id=owner.department_id if owner else None,
                owner={"person_id": holder},
                details={"last_day": r["last_day"].isoformat()},
            )
        )
    return hits


@query(
    "events.store_stale",
    title="The unit's event store has received nothing recently",
    inputs=("events",),
    params={"max_age_days": Param("int", 3, "Working days without any event", 1)},
)
def store_stale(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    days = ctx.store.days(ctx.unit.code)
    if not days:
        return []
    last = days[-1]
    age = ctx.working_days(last, ctx.as_of)
    if last >= ctx.as_of or age < p["max_age_days"]:
        return []
    text = (
        f"The event store of {ctx.unit.code} holds nothing after {last}: {age} working day(s) "
        f"without any event up to {ctx.as_of}; monitoring is not live"
    )
    rows = ctx.rows(
        "SELECT coalesce(adapter, '?') AS adapter, category, max(local_date) AS last_day, "
        "count(*) AS events FROM events GROUP BY ALL ORDER BY 1, 2"
    )
    return [
        Hit(
            key="store",
            subject=text,
            subject_masked=text,
            evidence=[
                record_row(
                    "event_store",
                    f"{r['adapter']}:{r['category']}",
                    last_day=r["last_day"],
                    events=int(r["events"]),
                )
                for r in rows
            ],
            details={"last_day": last.isoformat(), "working_days": age},
        )
    ]
