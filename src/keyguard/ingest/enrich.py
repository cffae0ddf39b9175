"""The shared last stage of every adapter: from "pre-events" (UTC time, user, host,
category, activity, object, URL, mail fields) to stored rows — the unit's local day and
hour, whether the user is known, the OCSF class, the URL host and site category, which
URLs are kept, and how many recipients are outside the unit's domains.

Pre-event relation columns (adapters produce them, in SQL or as an Arrow table):
``line_no, reason, raw_kept, event_id, content_hash, time_utc`` (naive UTC
``TIMESTAMP``), ``source_user, host, category, activity, object, url, size, to_removable,
from_removable, sender, recipients, attachments, attachment_count``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc

from keyguard.events.schema import ATTACHMENT, CLASS_UID, EVENT_SCHEMA
from keyguard.ingest import tz
from keyguard.ingest.context import RunContext

#: Host part of a URL (scheme and user optional, no trailing dot), as RE2.
URL_HOST_RE = r"^(?:[A-Za-z][A-Za-z0-9+.\-]*://)?(?:[^@/?#]*@)?([^:/?#]*[^:/?#.])"
#: The same host for the usual ``http(s)://host[:port]`` URL (no user part), several times
#: faster: where it finds a host that is not empty and does not end with a dot, that host is
#: what :data:`URL_HOST_RE` finds; elsewhere :data:`URL_HOST_RE` is asked.
URL_HOST_FAST_RE = r"^https?://([^/?#:@]*)(?::[^/?#@]*)?(?:[/?#]|$)"

PRE_SCHEMA = pa.schema(
    [
        ("line_no", pa.int64()),
        ("reason", pa.string()),
        ("raw_kept", pa.string()),
        ("event_id", pa.string()),
        ("content_hash", pa.string()),
        ("time_utc", pa.timestamp("us")),
        ("source_user", pa.string()),
        ("host", pa.string()),
        ("category", pa.string()),
        ("activity", pa.string()),
        ("object", pa.string()),
        ("url", pa.string()),
        ("size", pa.int64()),
        ("to_removable", pa.bool_()),
        ("from_removable", pa.bool_()),
        ("sender", pa.string()),
        ("recipients", pa.list_(pa.string())),
        ("attachments", pa.list_(ATTACHMENT)),
        ("attachment_count", pa.int16()),
    ]
)

#: Rows still without an event id are staged with the hash of their source record.
STAGE_SCHEMA = pa.schema([*EVENT_SCHEMA, ("content_hash", pa.string())])


def _class_uid_sql() -> str:
    whens = " ".join(
        f"WHEN '{cat}' THEN {uid}" for cat, uid in CLASS_UID.items() if uid is not None
    )
    return f"CAST(CASE p.category {whens} END AS INTEGER)"


def enrich_sql(pre: str, ctx: RunContext) -> str:
    """SQL over relation ``pre`` giving enriched rows; parameters: ``$unit``, ``$file``,
    ``$adapter``, ``$run``, ``$inside`` (see :func:`enrich_params`)."""
    inside = ctx.inside_regex()
    outside = (
        "CASE WHEN p.recipients IS NULL THEN NULL ELSE CAST(len(list_filter(p.recipients, "
        "lambda r: NOT regexp_matches(r, $inside))) AS SMALLINT) END"
        if inside
        else "CAST(NULL AS SMALLINT)"
    )
    if ctx.url_rules is not None and ctx.url_rules.table.num_rows:
        norm = _normalise_url_sql("p.url")
        register_join = f"""
        LEFT JOIN (
          SELECT DISTINCT p.line_no FROM pre_host p JOIN reg_urls r ON r.host = p.url_host
          WHERE (r.exact AND r.normalised = {norm})
             OR (NOT r.exact AND like_escape({norm}, r.like_pattern, '\\'))
        ) hit ON hit.line_no = p.line_no"""
        register_hit = "hit.line_no IS NOT NULL"
    else:
        register_join, register_hit = "", "false"
    local = f"p.time_utc + to_seconds({tz.offset_sql('p.time_utc', 'u', 't')})"
    return f"""
    WITH pre_host AS (
      SELECT * EXCLUDE (kg_host), CASE WHEN url IS NOT NULL THEN nullif(lower(
               CASE WHEN kg_host <> '' AND NOT ends_with(kg_host, '.') THEN kg_host
                    ELSE regexp_extract(url, '{URL_HOST_RE}', 1) END), '') END AS url_host
      FROM (SELECT *, regexp_extract(url, '{URL_HOST_FAST_RE}', 1) AS kg_host FROM {pre})
    )
    SELECT
      p.line_no,
      coalesce(p.reason, CASE WHEN p.local_time IS NULL
          THEN 'time outside the years 1900-2100 or missing' END) AS reason,
      p.raw_kept,
      p.event_id, p.content_hash,
      $unit AS unit,
      p.time_utc,
      CAST(p.local_time AS DATE) AS local_date,
      CAST(hour(p.local_time) AS TINYINT) AS local_hour,
      p.source_user,
      lower(trim(p.source_user)) IN (SELECT k FROM known_users) AS user_known,
      p.host, p.category, {_class_uid_sql()} AS class_uid, p.activity,
      CASE WHEN p.category <> 'http' THEN p.object
           WHEN p.url IS NOT NULL AND (p.activity = 'upload' OR p.register_hit) THEN p.url
      END AS object,
      p.url, p.url_host,
      p.size, p.to_removable, p.from_removable, p.sender, p.recipients,
      {outside} AS recipients_outside,
      p.attachments, p.attachment_count,
      $file AS source_file, p.line_no AS source_line, $adapter AS adapter, $run AS ingest_run
    FROM (
      SELECT p.*, {local} AS local_time, {register_hit} AS register_hit
      FROM pre_host p
      LEFT JOIN tz_unit u ON u.d = CAST(p.time_utc AS DATE){register_join}
    ) p
    """


def _normalise_url_sql(expr: str) -> str:
    try:
        from keyguard.records.register.patterns import normalise_sql
    except ImportError:  # register domain not installed: lower case, https read as http
        return f"regexp_replace(lower(trim({expr})), '^https://', 'http://')"
    return normalise_sql(expr)


def enrich_params(ctx: RunContext, file: str) -> dict[str, object]:
    params: dict[str, object] = {
        "unit": ctx.unit,
        "file": file,
        "adapter": ctx.adapter,
        "run": ctx.run_uid,
    }
    inside = ctx.inside_regex()
    if inside:
        params["inside"] = inside
    return params


@lru_cache(maxsize=1)
def _category_function() -> Callable[[str], str | None] | None:
    try:
        from keyguard.library.site_categories import category_of
    except ImportError:
        return None
    return category_of


class Categoriser:
    """Site category per host, asked once per distinct host of a run."""

    def __init__(self) -> None:
        self.cache: dict[str, str | None] = {}
        self.fn = _category_function()

    def column(self, hosts: pa.Array) -> pa.Array:
        if self.fn is None or len(hosts) == 0:
            return pa.nulls(len(hosts), pa.string())
        encoded = hosts.dictionary_encode()  # distinct hosts once; nulls stay null
        uniq = encoded.dictionary.to_pylist()
        for h in uniq:
            if h not in self.cache:
                self.cache[h] = self.fn(h)
        cats = pa.array([self.cache[h] for h in uniq], pa.string())
        return pc.take(cats, encoded.indices)


def keep_predicate_urls(table: pa.Table, predicate: Callable[[str], bool]) -> pa.Array:
    """``object`` with the URLs the predicate accepts filled in (web events only)."""
    obj = table["object"].combine_chunks()
    url = table["url"].combine_chunks()
    wanted = pc.and_(pc.equal(table["category"], "http"), pc.is_null(obj))
    wanted = pc.and_(pc.fill_null(wanted, False), pc.is_valid(url))
    if not pc.any(wanted).as_py():
        return obj
    cands = pc.unique(pc.filter(url, wanted)).to_pylist()
    keep = pa.array([u for u in cands if predicate(u)], pa.string())
    hit = pc.and_(wanted, pc.is_in(url, value_set=keep))
    return pc.if_else(hit, url, obj)
