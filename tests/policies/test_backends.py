"""Every indicator and detector query renders for Spark; the condition language."""

from __future__ import annotations

import sqlglot
from sqlglot import ErrorLevel

from keyguard.analytics import sql_baselines, sql_stage_a, sql_stage_b
from keyguard.analytics.config import load_config
from keyguard.policies import catalog
from keyguard.policies.backends import DuckDBBackend, SparkBackend, policy_sql
from keyguard.policies.condition import Count, Sel, lookback, parse, satisfiable_with
from keyguard.policies.loader import load_policies


def pipeline_queries() -> dict[str, str]:
    cfg = load_config(None)
    cal = ([1, 2, 3, 4, 5], 8, 18)
    lo, hi = 19800, 19830
    out = {"ev": sql_stage_a.ev_sql(lo, hi), **sql_stage_a.stage_a()}
    out.update(
        {
            "b_hours": sql_stage_b.hours_sql(lo, hi, cfg, cal),
            "b_hosts": sql_stage_b.hosts_sql(lo, hi, cfg),
            "b_first": sql_stage_b.first_use_sql(lo, hi, cfg),
            "b_item_access": sql_stage_b.share_access_sql(lo, hi, cfg),
            "b_items": sql_stage_b.items_sql(lo, hi),
            "b_rare_access": sql_stage_b.rarity_sql(lo, hi),
            "b_rare": sql_stage_b.rare_sql(lo, hi),
            "outside_rcpt": sql_stage_b.outside_recipients_sql(lo, hi),
            "personal": sql_stage_b.personal_sql(hi),
            "b_email": sql_stage_b.email_sql(lo, hi, cfg),
            "b_person": sql_stage_b.person_sql(lo, hi),
            "features": sql_stage_b.features_sql(lo, hi),
            "scored": sql_baselines.scored_sql(lo, hi, cfg),
        }
    )
    return out


def test_every_indicator_query_renders_for_spark() -> None:
    spark = SparkBackend()
    for name, sql in pipeline_queries().items():
        rendered = spark.render(sql)
        assert rendered, name
        # The Spark text parses back as Spark SQL.
        sqlglot.parse_one(rendered, read="spark", error_level=ErrorLevel.RAISE)
        assert "QUANTILE" not in rendered.upper() and "UNNEST" not in rendered.upper()


def test_every_detector_query_renders_for_spark() -> None:
    spark = SparkBackend()
    for policy in load_policies(include_deprecated=True):
        sql = policy_sql(policy, 19800, 19830)
        assert DuckDBBackend().render(sql) == sql
        rendered = spark.policy_query(policy, 19800, 19830)
        sqlglot.parse_one(rendered, read="spark", error_level=ErrorLevel.RAISE)
        assert policy.id in rendered


def test_features_have_every_catalog_indicator_in_order() -> None:
    tree = sqlglot.parse_one(sql_stage_b.features_sql(1, 2), read="duckdb")
    names = [e.alias_or_name for e in tree.expressions]
    assert names[:7] == [
        "user_key",
        "day_no",
        "department",
        "job_title",
        "top_level_flag",
        "seen_from",
        "unit_from",
    ]
    assert names[7:] == list(catalog.indicators())


def test_condition_language() -> None:
    node = parse("(a or b@14d) and count(c, 30d) >= 3 and not d")
    assert lookback(node) == 30
    assert Sel("b", 14) in list(_walk(node)) and Count("c", 30, ">=", 3) in list(_walk(node))
    assert satisfiable_with(parse("a and b"), {"a"}) is False
    assert satisfiable_with(parse("a or b"), {"a"}) is True
    assert satisfiable_with(parse("a and count(b, 7d) <= 1"), {"a"}) is True
    assert satisfiable_with(parse("a and count(b, 7d) >= 1"), {"a"}) is False


def _walk(node):  # type: ignore[no-untyped-def]
    from keyguard.policies.condition import walk

    return walk(node)
