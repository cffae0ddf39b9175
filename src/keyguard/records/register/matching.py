"""The DuckDB API the analytics and loophole checks use: which register items each event
touches, and which of those accesses had no need-to-know grant on their day.

Matching joins each event's object (normalised as in :mod:`.patterns`) on the literal
anchor of every wildcard pattern — every folder prefix of the object is a candidate key, so
the join is an equality join — and then checks the pattern with ``LIKE``; exact patterns
and document ids join on the whole normalised object. An event that matches several items
gives one row per item, and every row carries the highest level among them (``level``,
``level_rank``) beside the item's own (``item_level``, ``item_level_rank``). Levels are the
item's level on the event's day (downgrades split an item's history).
"""

from __future__ import annotations

import re
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.records.org.models import Unit
from keyguard.records.register.common import level_rank
from keyguard.records.register.grants import grant_table
from keyguard.records.register.models import Item, ItemLocation
from keyguard.records.register.patterns import (
    like_pattern,
    sql_collapse,
    sql_lower_slashes,
    sql_prefixes,
)
from keyguard.records.register.service import level_periods

PATTERN_SCHEMA = pa.schema(
    [
        ("item_id", pa.int64()),
        ("anchor", pa.string()),
        ("like_pattern", pa.string()),
        ("normalised", pa.string()),
        ("exact", pa.bool_()),
    ]
)
ITEM_LEVEL_SCHEMA = pa.schema(
    [
        ("item_id", pa.int64()),
        ("reference", pa.string()),
        ("compartment", pa.string()),
        ("status", pa.string()),
        ("level", pa.string()),
        ("level_rank", pa.int32()),
        ("valid_from", pa.date32()),
        ("valid_to", pa.date32()),
    ]
)


def user_key(user: str) -> str:
    """The comparable form of a user name from the logs: no ``DOMAIN\\`` or ``DOMAIN/``
    prefix, no ``@domain`` suffix, lower case (``DTAA/ABC0123`` -> ``abc0123``)."""
    return re.sub(r"@.*$", "", re.sub(r"^.*[\\/]", "", user.strip())).lower()


def user_key_sql(expr: str) -> str:
    """:func:`user_key` as a DuckDB expression."""
    return f"lower(regexp_replace(regexp_replace(trim({expr}), '^.*[\\\\/]', ''), '@.*$', ''))"


def pattern_table(session: Session, unit_id: int) -> pa.Table:
    """The digital locations of the unit's items (destroyed items included: access to a
    copy of a destroyed item is worth knowing)."""
    rows = session.execute(
        select(
            ItemLocation.item_id, ItemLocation.anchor, ItemLocation.normalised, ItemLocation.exact
        ).where(ItemLocation.unit_id == unit_id)
    ).all()
    return pa.Table.from_pylist(
        [
            {
                "item_id": r.item_id,
                "anchor": r.anchor,
                "like_pattern": like_pattern(r.normalised),
                "normalised": r.normalised,
                "exact": r.exact,
            }
            for r in rows
        ],
        schema=PATTERN_SCHEMA,
    )


def item_level_table(session: Session, unit: Unit) -> pa.Table:
    """Each item's level over time with its rank in the unit's levels (0 = lowest)."""
    items = {i.id: i for i in session.scalars(select(Item).where(Item.unit_id == unit.id))}
    rows = [
        {
            "item_id": p.item_id,
            "reference": items[p.item_id].reference,
            "compartment": items[p.item_id].compartment,
            "status": items[p.item_id].status,
            "level": p.level,
            "level_rank": level_rank(unit, p.level),
            "valid_from": p.valid_from,
            "valid_to": p.valid_to,
        }
        for p in level_periods(session, unit_id=unit.id)
    ]
    return pa.Table.from_pylist(rows, schema=ITEM_LEVEL_SCHEMA)


def _name(prefix: str, unit_code: str) -> str:
    return f"kg_{prefix}_" + re.sub(r"[^a-z0-9_]", "_", unit_code.lower())


#: Events per partition of the matching: each partition (a slice of the events by a hash
#: of their id) is matched on its own, so the join, the de-duplication and the per-event
#: window need memory for one slice only; slices are disjoint in events, so the result is
#: the same as in one piece.
EVENTS_PER_PARTITION = 4_000_000


def _partitions(con: duckdb.DuckDBPyConnection, events_view: str) -> int:
    rows = con.sql(f"SELECT count(*) FROM {events_view}").fetchall()
    n = int(rows[0][0]) if rows else 0
    return max(1, -(-n // EVENTS_PER_PARTITION))


def match_relation(
    con: duckdb.DuckDBPyConnection,
    *,
    patterns: str,
    item_levels: str,
    levels: list[str],
    events_view: str = "events",
    partitions: int | None = None,
) -> duckdb.DuckDBPyRelation:
    """The event → item relation over registered tables ``patterns`` and ``item_levels``
    (schemas :data:`PATTERN_SCHEMA`, :data:`ITEM_LEVEL_SCHEMA`). ``partitions`` slices the
    events by ``hash(event_id)`` (default: one slice per :data:`EVENTS_PER_PARTITION`
    events); every event is in exactly one slice, so the rows are the same for any count."""
    level_list = "[" + ", ".join("'" + lv.replace("'", "''") + "'" for lv in levels) + "]"
    depths = [
        int(r[0])
        for r in con.sql(
            f"SELECT DISTINCT length(anchor) - length(replace(anchor, '/', '')) FROM {patterns} "
            "WHERE NOT exact ORDER BY 1"
        ).fetchall()
    ] or [1]
    prefixes = ", ".join(f"array_to_string(parts[1:{d}], '/') || '/'" for d in depths)
    k = partitions if partitions is not None else _partitions(con, events_view)
    k = max(1, int(k))

    def one(i: int) -> str:
        where = f" AND hash(event_id) % {k} = {i}" if k > 1 else ""
        return f"""
        SELECT * FROM (
        WITH s1 AS (
            SELECT event_id, local_date, source_user, host, category, activity,
                   {sql_lower_slashes("object")} AS s
            FROM {events_view}
            WHERE object IS NOT NULL AND object <> ''{where}
        ),
        s2 AS (SELECT * EXCLUDE (s), {sql_prefixes("s")} AS t FROM s1),
        ev AS NOT MATERIALIZED (SELECT * EXCLUDE (t), {sql_collapse("t")} AS n FROM s2),
        wild AS (
            SELECT * FROM (
                SELECT event_id, local_date, source_user, host, category, activity, n,
                       unnest([{prefixes}]) AS anchor
                FROM (SELECT *, string_split(n, '/') AS parts FROM ev)
            )
        ),
        hits AS (
            SELECT w.event_id, w.local_date, w.source_user, w.host, w.category, w.activity,
                   p.item_id
            FROM wild w JOIN (SELECT * FROM {patterns} WHERE NOT exact) p
              ON p.anchor = w.anchor
            WHERE like_escape(w.n, p.like_pattern, '\\')
            UNION
            SELECT e.event_id, e.local_date, e.source_user, e.host, e.category, e.activity,
                   p.item_id
            FROM ev e JOIN (SELECT * FROM {patterns} WHERE exact) p ON p.normalised = e.n
        ),
        lv AS (
            SELECT h.*, i.reference, i.compartment, i.level AS item_level,
                   i.level_rank AS item_level_rank
            FROM hits h JOIN {item_levels} i
              ON i.item_id = h.item_id
             AND (i.valid_from IS NULL OR h.local_date >= i.valid_from)
             AND (i.valid_to IS NULL OR h.local_date < i.valid_to)
        )
        SELECT event_id, local_date, source_user, item_id, reference,
               {level_list}[max(item_level_rank) OVER (PARTITION BY event_id) + 1] AS level,
               max(item_level_rank) OVER (PARTITION BY event_id) AS level_rank,
               item_level, item_level_rank, compartment, host, category, activity
        FROM lv
        )"""

    return con.sql("\nUNION ALL\n".join(one(i) for i in range(k)))


def register_tables(
    con: duckdb.DuckDBPyConnection,
    session: Session,
    unit: Unit,
    *,
    grants: bool = False,
) -> tuple[str, str, str]:
    """Register the unit's pattern and item-level tables (and with ``grants`` the grant
    table) in ``con``; returns their names. The export is audited."""
    names = (
        _name("patterns", unit.code),
        _name("item_levels", unit.code),
        _name("grants", unit.code),
    )
    con.register(names[0], pattern_table(session, unit.id))
    con.register(names[1], item_level_table(session, unit))
    if grants:
        con.register(names[2], grant_table(session, unit.id))
    audit.record(
        session,
        "export",
        "register",
        None,
        {"purpose": "event matching (analytics)", "tables": list(names if grants else names[:2])},
        unit_id=unit.id,
    )
    return names


def _with_session(session: Session | None, fn: Any) -> Any:
    if session is not None:
        return fn(session)
    from keyguard.db.session import session_scope

    with session_scope() as own:
        return fn(own)


def _unit(session: Session, unit_code: str) -> Unit:
    from keyguard.records.org.service import get_unit

    return get_unit(session, unit_code)


def event_items(
    con: duckdb.DuckDBPyConnection,
    unit_code: str,
    events_view: str = "events",
    *,
    session: Session | None = None,
) -> duckdb.DuckDBPyRelation:
    """Every (event, item) pair where the event's object lies in a location of the item:
    ``event_id, local_date, source_user, item_id, reference, level, level_rank, item_level,
    item_level_rank, compartment, host, category, activity``. ``events_view`` is any view or
    table with the event-store columns; the records come from ``session`` (or the
    configured database), and the export is audited."""

    def run(s: Session) -> duckdb.DuckDBPyRelation:
        unit = _unit(s, unit_code)
        patterns, item_levels, _ = register_tables(con, s, unit)
        return match_relation(
            con,
            patterns=patterns,
            item_levels=item_levels,
            levels=list(unit.classification_levels),
            events_view=events_view,
        )

    rel: duckdb.DuckDBPyRelation = _with_session(session, run)
    return rel


def outside_need_to_know(
    con: duckdb.DuckDBPyConnection,
    unit_code: str,
    events_view: str = "events",
    *,
    session: Session | None = None,
) -> duckdb.DuckDBPyRelation:
    """The rows of :func:`event_items` with no grant in force for that user, item and day
    (grants valid on the event's local day and known by then: no look-ahead). Users join on
    :func:`user_key` of ``source_user`` = lower-case staff id."""

    def add_grants(s: Session) -> None:
        con.register(_name("grants", unit_code), grant_table(s, _unit(s, unit_code).id))

    _with_session(session, add_grants)
    rel = event_items(con, unit_code, events_view, session=session)
    grants = _name("grants", unit_code)
    items_view = _name("event_items", unit_code)
    rel.create_view(items_view, replace=True)
    return con.sql(f"""
        SELECT e.* FROM {items_view} e
        ANTI JOIN {grants} g
          ON lower(g.staff_id) = {user_key_sql("e.source_user")}
         AND g.item_id = e.item_id
         AND g.valid_from <= e.local_date
         AND (g.valid_to IS NULL OR e.local_date < g.valid_to)
         AND g.known_from <= e.local_date
    """)
