"""Queries joining the event store with the register: access to classified items with no
grant in force that day, access above the person's clearance that day, and removable media
used on machines that should not allow it. Grants, clearances and hosts count on a day only
from the day they were known (the register's matching API)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyarrow as pa
from sqlalchemy import select

from keyguard.controls.context import QueryContext, event_row, event_select
from keyguard.controls.queries import Hit, Param, query
from keyguard.controls.queries.grants import items
from keyguard.records.personnel.service import accesses_above_clearance
from keyguard.records.register.matching import outside_need_to_know, user_key
from keyguard.records.register.models import Host


def _window_view(ctx: QueryContext, days: int) -> tuple[str, Any, Any]:
    d0, d1 = ctx.window(days)
    ctx.con().execute(
        f"CREATE OR REPLACE VIEW kg_window AS SELECT * FROM events "
        f"WHERE local_date BETWEEN DATE '{d0.isoformat()}' AND DATE '{d1.isoformat()}'"
    )
    return "kg_window", d0, d1


def _with_provenance(ctx: QueryContext, view: str) -> list[dict[str, Any]]:
    """Rows of a matched-events view joined back to their events for file and line."""
    return ctx.rows(
        f"""
        SELECT m.item_id, m.reference, m.item_level, m.item_level_rank, {event_select("e")}
        FROM {view} m JOIN kg_window e
          ON e.event_id = m.event_id AND e.local_date = m.local_date
        ORDER BY m.source_user, m.item_id, e.time_utc
        """
    )


def _group_hits(
    ctx: QueryContext,
    rows: list[dict[str, Any]],
    *,
    by_item: bool,
    what: str,
    period: str,
) -> list[Hit]:
    groups: dict[tuple[str, int | None], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(user_key(r["source_user"]), r["item_id"] if by_item else None)].append(r)
    hits = []
    for (k, item_id), evs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        label, masked, person = ctx.who_user(evs[0]["source_user"])
        refs = sorted({f"{e['reference']} ({e['item_level']})" for e in evs})
        days = len({e["local_date"] for e in evs})
        events = len({e["event_id"] for e in evs})
        text = f" {what} {', '.join(refs[:5])}{' …' if len(refs) > 5 else ''}: "
        text += f"{events} event(s) on {days} day(s) {period}"
        item = items(ctx).get(item_id) if item_id is not None else None
        capped, total = ctx.cap([{**event_row(e), "item": e["reference"]} for e in evs])
        hits.append(
            Hit(
                key=f"user:{k}:item:{item_id}" if by_item else f"user:{k}",
                subject=label + text,
                subject_masked=masked + text,
                evidence=capped,
                evidence_total=total,
                person_id=person.id if person else None,
                item_id=item_id,
                department_id=item.owner_department_id if item else None,
                owner={
                    "item_id": item_id,
                    "person_id": person.id if person else None,
                    "department_id": item.owner_department_id
                    if item
                    else (person.department_id if person else None),
                },
                details={"events": events, "days": days, "items": refs},
            )
        )
    return hits


@query(
    "access.ungranted",
    title="Access to classified items with no need-to-know grant in force that day",
    inputs=("register", "events"),
    params={
        "days": Param("int", 30, "Look at the last N days of events", 1, 3650),
        "min_rank": Param("int", 1, "Only items at this level rank or above (0 = lowest)", 0),
    },
)
def ungranted(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    view, d0, d1 = _window_view(ctx, p["days"])
    rel = outside_need_to_know(ctx.con(), ctx.unit.code, view, session=ctx.session)
    rel.filter(f"item_level_rank >= {int(p['min_rank'])}").create_view("kg_ungranted", replace=True)
    rows = _with_provenance(ctx, "kg_ungranted")
    return _group_hits(
        ctx, rows, by_item=True, what="used without a grant", period=f"between {d0} and {d1}"
    )


@query(
    "access.above_clearance",
    title="Access to classified items above the person's clearance that day",
    inputs=("register", "clearances", "events"),
    params={
        "days": Param("int", 30, "Look at the last N days of events", 1, 3650),
        "min_rank": Param("int", 1, "Only items at this level rank or above (0 = lowest)", 0),
    },
)
def above_clearance(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    view, d0, d1 = _window_view(ctx, p["days"])
    rel = accesses_above_clearance(ctx.con(), ctx.unit.code, view, session=ctx.session)
    rel.filter(f"item_level_rank >= {int(p['min_rank'])}").create_view("kg_above", replace=True)
    rows = _with_provenance(ctx, "kg_above")
    return _group_hits(
        ctx,
        rows,
        by_item=False,
        what="used items above their clearance:",
        period=f"between {d0} and {d1}",
    )


HOST_SCHEMA = pa.schema(
    [
        ("hk", pa.string()),
        ("known_from", pa.date32()),
        ("person_id", pa.int64()),
        ("source", pa.string()),
    ]
)


@query(
    "access.removable_media_locked_host",
    title="Removable media used on machines where the hosts register forbids it",
    inputs=("hosts", "events"),
    params={
        "days": Param("int", 30, "Look at the last N days of events", 1, 3650),
        "imported_only": Param(
            "bool", True, "Only hosts from the imported register (inferred ones set no policy)"
        ),
    },
)
def removable_media(ctx: QueryContext, p: dict[str, Any]) -> list[Hit]:
    q = select(Host).where(Host.unit_id == ctx.unit.id, Host.removable_media_allowed.is_(False))
    if p["imported_only"]:
        q = q.where(Host.assignment_source == "import")
    hosts = list(ctx.session.scalars(q))
    if not hosts:
        return []
    table = pa.Table.from_pylist(
        [
            {
                "hk": h.name_key,
                "known_from": h.known_from,
                "person_id": h.assigned_person_id,
                "source": h.source,
            }
            for h in hosts
        ],
        schema=HOST_SCHEMA,
    )
    ctx.con().register("kg_locked_hosts", table)
    d0, d1 = ctx.window(p["days"])
    rows = ctx.rows(
        f"""
        SELECT lower(e.host) AS hk, h.person_id, h.source AS host_source, {event_select("e")}
        FROM events e JOIN kg_locked_hosts h ON lower(e.host) = h.hk
        WHERE e.local_date BETWEEN $d0 AND $d1 AND e.local_date >= h.known_from
          AND ((e.category = 'device' AND e.activity = 'connect')
               OR coalesce(e.to_removable, false) OR coalesce(e.from_removable, false))
        ORDER BY hk, e.time_utc
        """,
        d0=d0,
        d1=d1,
    )
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r["hk"]].append(r)
    hits = []
    for hk, evs in sorted(groups.items()):
        holder = evs[0]["person_id"]
        owner = ctx.people().get(holder) if holder is not None else None
        users = sorted({ctx.who_user(e["source_user"] or "?")[0] for e in evs})
        masked_users = sorted({ctx.who_user(e["source_user"] or "?")[1] for e in evs})
        connects = sum(1 for e in evs if e["category"] == "device")
        copies = len(evs) - connects
        text = (
            f"Machine {evs[0]['host']} (removable media not allowed, register "
            f"{evs[0]['host_source'] or 'hosts'}): {connects} device connection(s) and {copies} "
            f"file transfer(s) to or from removable media between {d0} and {d1} by "
        )
        capped, total = ctx.cap([event_row(e) for e in evs])
        hits.append(
            Hit(
                key=f"host:{hk}",
                subject=text + ", ".join(users),
                subject_masked=text + ", ".join(masked_users),
                evidence=capped,
                evidence_total=total,
                department_id=owner.department_id if owner else None,
                owner={"person_id": holder},
                details={"connects": connects, "transfers": copies},
            )
        )
    return hits
