"""The detection pipeline over the cache: stage A for given days, then for a range of days
stage B, baselines, policies and the anomaly score — each writing its per-day partitions.

The same function computes a full run and an incremental one: every query for day ``d``
reads only cached rows of days up to ``d`` within its window.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from keyguard.analytics import anomaly, baselines, sql_baselines, sql_stage_a, sql_stage_b
from keyguard.analytics.days import NEVER
from keyguard.analytics.engine import DuckEngine
from keyguard.analytics.history import RARE_WINDOW_DAYS as RARE_WINDOW
from keyguard.analytics.inputs import Inputs
from keyguard.analytics.store import Cache
from keyguard.policies.backends import (
    QueryBackend,
    policy_lookback,
    policy_sql,
    referenced_columns,
)
from keyguard.policies.model import Policy

Progress = Callable[[str, int], None]
#: Indicators whose baselines every explanation shows (the chart's usual band).
EXPLAINED = ("events_total",)
#: Cache tables :func:`run_range` writes per day (a run recomputing from day ``lo`` drops
#: their days from ``lo`` on first).
DERIVED_TABLES = (
    "hits",
    "anomaly",
    "features",
    "baselines",
    "scored",
    "b_item_access",
    "b_rare_access",
)
HIT_COLUMNS = ("user_key", "day_no", "policy_id", "strength", "first_no", "held")
HIT_SCHEMA = pa.schema(
    [
        ("user_key", pa.string()),
        ("day_no", pa.int32()),
        ("policy_id", pa.string()),
        ("strength", pa.float64()),
        ("first_no", pa.int32()),
        ("held", pa.string()),
    ]
)


@dataclass(frozen=True)
class ItemAccess:
    """How accesses to classified items are found for days ``lo..hi``: ``rows(eng, lo, hi)``
    gives the ``b_item_access`` rows of those days, reading ``a_access`` from
    ``lo - lookback`` on."""

    rows: Callable[[DuckEngine, int, int], pa.Table]
    lookback: int


def lookback_a(cfg: dict[str, Any], item_lookback: int) -> dict[str, int | None]:
    """Days of each stage-A table that stage B reads before its first output day (``None``:
    every earlier day), as its queries filter them; ``item_lookback`` is the item access's
    (:class:`ItemAccess`). A one-day run reads only these, not the longest window for all."""
    return {
        "a_user_hour": int(cfg["usual_hours_window_days"]),  # usual hours
        "a_user_host": int(cfg["host_owner_window_days"]) + 7,  # machine owners, weekly
        "a_access": item_lookback,  # shares (no register), else the days themselves
        "a_email": 0,  # outside recipients and e-mail indicators of the days only
        "a_user_day": None,  # first-ever use, first day in the data
        "a_addr": None,  # first-seen addresses
    }


def lookback_features(cfg: dict[str, Any]) -> int:
    """Days of feature rows the baselines and the anomaly model read before the range."""
    return (
        max(
            int(cfg["own_window_days"]),
            int(cfg["peer_window_days"]) + 7,
            int(cfg["anomaly_train_days"]) + int(cfg["anomaly_period_days"]),
        )
        + 1
    )


def lookback_baselines(cfg: dict[str, Any]) -> int:
    """Days of feature rows the baselines read before the range: the own window, and the
    peer windows before the first week of the range."""
    return (
        max(
            int(cfg["own_window_days"]),
            int(cfg["peer_window_days"]) + 7,
            baselines.CUMULATIVE_PEER_DAYS + 7,
        )
        + 1
    )


def chunks(days: list[int], size: int) -> list[list[int]]:
    return [days[i : i + size] for i in range(0, len(days), size)]


def run_stage_a(
    eng: DuckEngine, cache: Cache, be: QueryBackend, days: list[int], tick: Progress
) -> int:
    """Compute stage-A tables for ``days`` (events view registered by the caller)."""
    if not days:
        return 0
    rows = 0
    eng.materialize("ev", be.render(sql_stage_a.ev_sql(min(days), max(days))))
    for name, sql in sql_stage_a.stage_a().items():
        tbl = eng.arrow(be.render(sql))
        cache.write(name, tbl, days)
        rows += tbl.num_rows
    tick("stage A", len(days))
    return rows


_NAME_CLEAN = re.compile(r"[^a-z]")


def name_personal(outside: pa.Table, names: pa.Table) -> pa.Table:
    """Outside addresses whose name part is the sender's own name (``first.last``,
    ``flast``, ``lastf`` ...), known from the day the name was known."""
    by_user: dict[str, list[tuple[str, str, int]]] = {}
    for r in names.to_pylist():
        if len(r["last"]) >= 3:
            by_user.setdefault(r["user_key"], []).append((r["first"], r["last"], r["from_no"]))
    out: dict[str, list[Any]] = {"user_key": [], "address": [], "from_no": []}
    seen: set[tuple[str, str]] = set()
    for r in outside.select(["user_key", "addr"]).to_pylist():
        key = (r["user_key"], r["addr"])
        if key in seen or r["user_key"] not in by_user:
            continue
        seen.add(key)
        local = _NAME_CLEAN.sub("", r["addr"].split("@", 1)[0])
        for first, last, from_no in by_user[r["user_key"]]:
            if last in local and (
                first in local or local.startswith((first[0] + last, last + first[0]))
            ):
                out["user_key"].append(r["user_key"])
                out["address"].append(r["addr"])
                out["from_no"].append(from_no)
                break
    return pa.table(
        out,
        schema=pa.schema(
            [("user_key", pa.string()), ("address", pa.string()), ("from_no", pa.int32())]
        ),
    )


#: Stage-A tables one stage-B query reads once: a view over the cache, so that only the
#: columns and rows the query needs are read (the others are read once into memory).
READ_ONCE = ("a_addr",)


def _load(eng: DuckEngine, cache: Cache, name: str, lo: int | None, hi: int) -> None:
    if not cache.has(name):
        return
    if name in READ_ONCE:
        eng.drop_temp(name)
        eng.view_cached(name, cache, lo, hi)
    else:
        eng.load_cached(name, cache, lo, hi)


def _with_history(
    eng: DuckEngine, cache: Cache, name: str, new: str, since: int, first_new: int
) -> None:
    """``name`` := cached rows of days ``since..first_new - 1`` plus table ``new``."""
    if cache.has(name):
        eng.load_cached(name, cache, since, first_new - 1)
        eng.append(name, new)
    else:
        eng.materialize(name, f"SELECT * FROM {new}")


def run_range(
    eng: DuckEngine,
    cache: Cache,
    be: QueryBackend,
    inputs: Inputs,
    cfg: dict[str, Any],
    policies: list[Policy],
    lo: int,
    hi: int,
    item_access: ItemAccess,
) -> dict[str, int]:
    """Stage B, baselines, policies and anomaly for days ``lo..hi``; returns row counts.

    The cache must hold stage A up to ``hi`` and every later stage up to ``lo - 1``."""
    days = list(range(lo, hi + 1))
    counts: dict[str, int] = {}
    for name, back in lookback_a(cfg, item_access.lookback).items():
        _load(eng, cache, name, None if back is None else lo - back, hi)
    back = lookback_features(cfg)
    longest = max([policy_lookback(p) for p in policies] + [1])
    cal = (inputs.work_days, inputs.work_start, inputs.work_end)

    def put(name: str, sql: str, *, cached: bool = False) -> None:
        eng.materialize(name, be.render(sql))
        if cached:
            cache.write(name, eng.table(name), days)
            counts[name] = eng.count(name)

    # Items: per-access classification, cached so cumulative counts reuse earlier days.
    eng.register("_item_access_new", item_access.rows(eng, lo, hi))
    cache.write("b_item_access", eng.table("_item_access_new"), days)
    # Rare accesses are cached per day: each depends only on its own and earlier days, so
    # only the new days are classified, once the cache holds the window before them (else
    # the whole window is, and cached).
    counted = max(sql_stage_b.CUM_WINDOWS)  # days of rare accesses the 90-day counts read
    rare_from = lo if cache.has("b_rare_access") else lo - counted + 1
    _with_history(eng, cache, "b_item_access", "_item_access_new", rare_from - RARE_WINDOW, lo)
    put("b_hours", sql_stage_b.hours_sql(lo, hi, cfg, cal))
    put("b_hosts", sql_stage_b.hosts_sql(lo, hi, cfg))
    put("b_first", sql_stage_b.first_use_sql(lo, hi, cfg))
    put("b_items", sql_stage_b.items_sql(lo, hi))
    put("b_rare_new", sql_stage_b.rarity_sql(lo, hi, window=RARE_WINDOW, since=rare_from))
    cache.write("b_rare_access", eng.table("b_rare_new"), list(range(rare_from, hi + 1)))
    _with_history(eng, cache, "b_rare_access", "b_rare_new", lo - counted, rare_from)
    put("b_rare", sql_stage_b.rare_sql(lo, hi))
    put("b_moved", sql_stage_b.moved_sql(lo, hi))
    put("outside_rcpt", sql_stage_b.outside_recipients_sql(lo, hi))
    eng.register(
        "name_personal", name_personal(eng.table("outside_rcpt"), inputs.table("person_names"))
    )
    put("personal", sql_stage_b.personal_sql(hi))
    put("b_email", sql_stage_b.email_sql(lo, hi, cfg))
    put("b_person", sql_stage_b.person_sql(lo, hi))
    put("features_new", sql_stage_b.features_sql(lo, hi))
    cache.write("features", eng.table("features_new"), days)
    counts["features"] = eng.count("features_new")
    # Earlier days' rows straight from the cache (they were written like these).
    eng.drop_temp("features")
    eng.view_cached("features", cache, lo - max(longest, back), hi)
    hist = eng.arrow(f"SELECT * FROM features WHERE day_no >= {lo - back}")
    # Baselines only of what reads them: the policies' fields and the explanation's chart.
    wanted = {f for p in policies for sel in p.selections.values() for f in sel.fields()}
    own = hist.filter(pc.greater_equal(hist.column("day_no"), lo - lookback_baselines(cfg)))
    base = baselines.baselines(own, lo, hi, cfg, wanted | set(EXPLAINED))
    cache.write("baselines", base, days)
    eng.drop_temp("baselines")
    eng.view_cached("baselines", cache, lo - longest, hi)
    # ``scored`` (each person-day's features and baseline statistics, a function of that
    # row alone) is cached per day like the baselines: only the new days are joined, once
    # the cache holds the policies' look-back (else the look-back is joined too, and
    # cached). The policies read the columns they need from the cache.
    needed = sorted({c for p in policies for c in referenced_columns(p)})
    scored_from = lo if cache.has("scored") else lo - longest
    put("scored_new", sql_baselines.scored_sql(scored_from, hi, cfg, needed))
    cache.write("scored", eng.table("scored_new"), list(range(scored_from, hi + 1)))
    eng.drop_temp("scored")
    eng.view_cached("scored", cache, lo - longest, hi)
    hits = []
    for policy in policies:
        tbl = eng.arrow(be.render(policy_sql(policy, lo, hi)))
        held = [c for c in tbl.column_names if c.startswith("h_")]
        names = [",".join(h[2:] for h in held if row[h]) for row in tbl.select(held).to_pylist()]
        hits.append(
            pa.table(
                {
                    "user_key": tbl.column("user_key").cast(pa.string()),
                    "day_no": tbl.column("day_no").cast(pa.int32()),
                    "policy_id": tbl.column("policy_id").cast(pa.string()),
                    "strength": tbl.column("strength").cast(pa.float64()),
                    "first_no": tbl.column("first_no").cast(pa.int32()),
                    "held": pa.array(names, pa.string()),
                },
                schema=HIT_SCHEMA,
            )
        )
    hit_table = pa.concat_tables(hits) if hits else HIT_SCHEMA.empty_table()
    cache.write("hits", hit_table, days)
    counts["hits"] = hit_table.num_rows
    an = anomaly.score_range(hist, lo, hi, cfg, cache.root / "models")
    cache.write("anomaly", an, days)
    counts["anomaly"] = an.num_rows
    return counts


def share_item_access(be: QueryBackend, cfg: dict[str, Any]) -> ItemAccess:
    """Item accesses without a register: department and project shares from the data."""

    def run(eng: DuckEngine, lo: int, hi: int) -> pa.Table:
        return eng.arrow(be.render(sql_stage_b.share_access_sql(lo, hi, cfg)))

    return ItemAccess(run, sql_stage_b.share_lookback(cfg))


def register_item_access(session: Any, unit: Any, inputs: Inputs) -> ItemAccess:
    """Item accesses with a register: the register's matching of objects to items and its
    need-to-know check (grants in force and known on the access day). Each classified
    document (object in an item's location) counts once; it is outside need-to-know when
    any item covering it lacks a grant."""
    from keyguard.records.register.matching import event_items, outside_need_to_know

    top = max(len(inputs.levels) - 1, 0)

    def run(eng: DuckEngine, lo: int, hi: int) -> pa.Table:
        eng.con.execute(
            "CREATE OR REPLACE TEMP VIEW kg_access_ev AS SELECT user_key || '|' || "
            "CAST(day_no AS VARCHAR) || '|' || category || '|' || object AS event_id, "
            "CAST(DATE '1970-01-01' + day_no AS DATE) AS local_date, user_key AS source_user, "
            "host, category, 'open' AS activity, object, user_key, day_no, n, moved FROM a_access "
            f"WHERE day_no BETWEEN {lo} AND {hi}"
        )
        event_items(eng.con, unit.code, "kg_access_ev", session=session).create_view(
            "kg_items", replace=True
        )
        outside_need_to_know(eng.con, unit.code, "kg_access_ev", session=session).create_view(
            "kg_outside", replace=True
        )
        return eng.arrow(f"""
            WITH o AS (SELECT DISTINCT event_id, item_id FROM kg_outside)
            SELECT a.user_key, a.day_no, lower(replace(a.object, chr(92), '/')) AS item_id,
              MAX(i.item_level) AS level,
              MAX(CASE WHEN i.item_level_rank >= {top} THEN 1 ELSE 0 END) AS top_level,
              MAX(a.n) AS n, MAX(CASE WHEN o.event_id IS NOT NULL THEN 1 ELSE 0 END) AS outside,
              MIN(i.reference) AS owner, MAX(a.moved) AS moved
            FROM kg_items i JOIN kg_access_ev a ON a.event_id = i.event_id
            LEFT JOIN o ON o.event_id = i.event_id AND o.item_id = i.item_id
            GROUP BY a.user_key, a.day_no, lower(replace(a.object, chr(92), '/'))""")

    return ItemAccess(run, 0)


def register_inputs(eng: DuckEngine, inputs: Inputs) -> None:
    for name, table in inputs.tables.items():
        eng.register(name, table)


__all__ = ["NEVER", "ItemAccess", "chunks", "register_inputs", "run_range", "run_stage_a"]
