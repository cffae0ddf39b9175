"""SQL backends: one policy compiles to one SELECT over the ``scored`` relation (one row per
person and day: each indicator's value and its baseline columns ``<id>__own_z`` ...).

Queries are written once in DuckDB SQL; a backend for another engine is a declarative
subclass naming its SQLGlot dialect and the few rewrites its functions need. Every query of
the analytics pipeline goes through :meth:`QueryBackend.render`, so the same text runs on
DuckDB and on Spark over the same Parquet layout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import sqlglot
from sqlglot import ErrorLevel, exp

from keyguard.policies import catalog
from keyguard.policies.condition import And, Count, Node, Not, Or, Sel, walk
from keyguard.policies.model import Clause, Policy, Selection

KEYS = ("user_key", "day_no")


def referenced_columns(policy: Policy) -> list[str]:
    """The ``<indicator>__<stat>`` columns of ``scored`` a policy reads."""
    out: list[str] = []
    for sel in policy.selections.values():
        for alt in sel.alternatives:
            for c in alt:
                if c.modifier in ("above_own_p90", "above_peer_p90"):
                    col = f"{c.field}__{c.modifier.removeprefix('above_')}"
                elif c.modifier.endswith("_gte") and c.modifier != "gte":
                    col = f"{c.field}__{c.modifier.removesuffix('_gte')}"
                else:
                    continue
                if col not in out:
                    out.append(col)
    return out


def _num(value: float | bool) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def clause_sql(c: Clause) -> str:
    """Boolean SQL of one clause (NULL baselines make it false)."""
    f = c.field
    ops = {"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
    if c.modifier in ops:
        return f"({f} {ops[c.modifier]} {_num(c.value)})"
    if c.modifier in ("above_own_p90", "above_peer_p90"):
        stat = "own_p90" if c.modifier == "above_own_p90" else "peer_p90"
        op = ">" if c.value else "<="
        return f"COALESCE({f} {op} {f}__{stat}, FALSE)"
    stat = c.modifier.removesuffix("_gte")
    return f"COALESCE({f}__{stat} >= {_num(c.value)}, FALSE)"


def clause_strength_sql(c: Clause) -> str:
    """How far past its threshold a holding clause is, 1 to 3."""
    if c.modifier in ("gt", "gte") and float(c.value) > 0:
        expr = f"{c.field} / {_num(float(c.value))}"
    elif c.modifier.endswith("_gte") and c.modifier != "gte" and float(c.value) > 0:
        stat = c.modifier.removesuffix("_gte")
        expr = f"{c.field}__{stat} / {_num(float(c.value))}"
    else:
        return "1.0"
    return f"LEAST(3.0, GREATEST(1.0, COALESCE(CAST({expr} AS DOUBLE), 1.0)))"


def _alt_sql(alt: tuple[Clause, ...]) -> str:
    return "(" + " AND ".join(clause_sql(c) for c in alt) + ")"


def _selection_columns(sel: Selection) -> list[str]:
    held = " OR ".join(_alt_sql(a) for a in sel.alternatives)
    strengths = [
        f"CASE WHEN {_alt_sql(a)} THEN GREATEST("
        + ", ".join([clause_strength_sql(c) for c in a] + ["1.0"])
        + ") ELSE 0.0 END"
        for a in sel.alternatives
    ]
    strength = strengths[0] if len(strengths) == 1 else "GREATEST(" + ", ".join(strengths) + ")"
    # Evidence of activity: the selection held, or for cumulative fields a base item that day.
    bases = sorted({catalog.indicators()[f].base or "" for f in sel.fields()} - {""})
    ev = f"({held})"
    if bases:
        ev = "(" + ev + " OR " + " OR ".join(f"{b} > 0" for b in bases) + ")"
    return [
        f"CASE WHEN {held} THEN 1 ELSE 0 END AS s_{sel.name}",
        f"{strength} AS str_{sel.name}",
        f"{ev} AS ev_{sel.name}",
    ]


def _window(days: int) -> str:
    if days <= 1:
        return "(PARTITION BY user_key ORDER BY day_no RANGE BETWEEN CURRENT ROW AND CURRENT ROW)"
    return (
        f"(PARTITION BY user_key ORDER BY day_no RANGE BETWEEN {days - 1} PRECEDING "
        "AND CURRENT ROW)"
    )


def _sel_windows(cond: Node) -> dict[str, int]:
    out: dict[str, int] = {}
    for n in walk(cond):
        if isinstance(n, Sel | Count):
            out[n.name] = max(out.get(n.name, 1), n.days)
    return out


def _cond_sql(node: Node) -> str:
    if isinstance(node, Sel):
        return f"(w_{node.name}_{node.days} = 1)"
    if isinstance(node, Count):
        return f"(c_{node.name}_{node.days} {node.op} {node.value})"
    if isinstance(node, Not):
        return f"(NOT {_cond_sql(node.arg)})"
    if isinstance(node, And):
        return "(" + " AND ".join(_cond_sql(a) for a in node.args) + ")"
    assert isinstance(node, Or)
    return "(" + " OR ".join(_cond_sql(a) for a in node.args) + ")"


def evidence_lookback(policy: Policy, sel: Selection, days: int) -> int:
    extra = max((catalog.indicators()[f].window or 1) for f in sel.fields())
    return days + extra - 1


def policy_lookback(policy: Policy) -> int:
    """Days of scored rows before the first output day the query needs."""
    wins = _sel_windows(policy.condition)
    return max(evidence_lookback(policy, policy.selections[n], d) for n, d in wins.items())


def policy_sql(policy: Policy, first_day: int, last_day: int, source: str = "scored") -> str:
    """The query giving one row per person-day on which ``policy`` fires, for day numbers
    ``first_day..last_day`` (reading the earlier rows its windows need)."""
    wins = _sel_windows(policy.condition)
    lo = first_day - policy_lookback(policy) + 1
    sel_cols = [col for name in sorted(wins) for col in _selection_columns(policy.selections[name])]
    win_cols: list[str] = []
    for n in walk(policy.condition):
        if isinstance(n, Sel):
            win_cols.append(f"MAX(s_{n.name}) OVER {_window(n.days)} AS w_{n.name}_{n.days}")
        elif isinstance(n, Count):
            win_cols.append(f"SUM(s_{n.name}) OVER {_window(n.days)} AS c_{n.name}_{n.days}")
    win_cols = list(dict.fromkeys(win_cols))
    first_parts, str_parts = [], []
    for name, days in sorted(wins.items()):
        win_cols.append(f"MAX(s_{name}) OVER {_window(days)} AS h_{name}")
        if name in policy.context_selections:
            continue
        win_cols.append(f"MAX(str_{name}) OVER {_window(days)} AS ws_{name}")
        ev_days = evidence_lookback(policy, policy.selections[name], days)
        win_cols.append(
            f"MIN(CASE WHEN ev_{name} THEN day_no END) OVER {_window(ev_days)} AS f_{name}"
        )
        first_parts.append(f"CASE WHEN h_{name} = 1 THEN f_{name} END")
        str_parts.append(f"CASE WHEN h_{name} = 1 THEN ws_{name} END")
    strength = ("LEAST(3.0, GREATEST(1.0, " + ", ".join(str_parts) + "))") if str_parts else "1.0"
    first = (
        ("LEAST(" + ", ".join(first_parts) + ")")
        if len(first_parts) > 1
        else (first_parts[0] if first_parts else "day_no")
    )
    held = ", ".join(f"h_{name}" for name in sorted(wins))
    return (
        f"WITH sel AS (SELECT user_key, day_no, {', '.join(sel_cols)} FROM {source} "
        f"WHERE day_no BETWEEN {lo} AND {last_day}), "
        f"win AS (SELECT user_key, day_no, {', '.join(win_cols)} FROM sel) "
        f"SELECT user_key, day_no, '{policy.id}' AS policy_id, "
        f"CAST({strength} AS DOUBLE) AS strength, "
        f"CAST(COALESCE({first}, day_no) AS INTEGER) AS first_no, {held} "
        f"FROM win WHERE day_no BETWEEN {first_day} AND {last_day} "
        f"AND {_cond_sql(policy.condition)}"
    )


def _spark_percentile(node: exp.Expression) -> exp.Expression:
    """DuckDB ``quantile_cont(x, q)`` is Spark's exact ``percentile(x, q)``."""
    if isinstance(node, exp.PercentileCont):
        return exp.Anonymous(this="PERCENTILE", expressions=[node.this, node.expression])
    return node


class QueryBackend:
    """Renders pipeline SQL (written in DuckDB SQL) for one engine."""

    dialect: ClassVar[str] = "duckdb"
    rewrites: ClassVar[tuple[Callable[[exp.Expression], exp.Expression], ...]] = ()

    def render(self, sql: str) -> str:
        """``sql`` in this backend's dialect; raises on anything it cannot express."""
        trees = sqlglot.parse(sql, read="duckdb", error_level=ErrorLevel.RAISE)
        out = []
        for tree in trees:
            assert tree is not None
            for rewrite in self.rewrites:
                tree = tree.transform(rewrite)
            out.append(tree.sql(dialect=self.dialect, unsupported_level=ErrorLevel.RAISE))
        return ";\n".join(out)

    def policy_query(
        self, policy: Policy, first_day: int, last_day: int, source: str = "scored"
    ) -> str:
        return self.render(policy_sql(policy, first_day, last_day, source))


class DuckDBBackend(QueryBackend):
    """The embedded engine: queries run as written."""

    dialect = "duckdb"

    def render(self, sql: str) -> str:
        return sql


class SparkBackend(QueryBackend):
    """Apache Spark SQL over the same Parquet layout."""

    dialect = "spark"
    rewrites = (_spark_percentile,)


BACKENDS: dict[str, type[QueryBackend]] = {"duckdb": DuckDBBackend, "spark": SparkBackend}


def backend(name: str) -> QueryBackend:
    return BACKENDS[name]()
