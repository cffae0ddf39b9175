"""Stage A: per-day aggregates computed from one day's events alone (no records, no other
days), cached as Parquet per day so later runs never rescan old events.

:func:`ev_sql` reads the relation ``events`` (the event store's columns) joined to
``user_map`` (``source_user`` -> ``user_key``) for local days ``lo..hi``; the engine keeps
it as ``ev``, which every other stage-A query reads (with ``competitors``, the unit's
competitor domains). Written in DuckDB SQL, rendered for Spark by the backends.
"""

from __future__ import annotations

from keyguard.analytics.days import iso

#: The stage-A tables, each computed from ``ev`` alone.
TABLES = ("a_user_day", "a_user_hour", "a_user_host", "a_access", "a_email", "a_addr")


def ev_sql(lo: int, hi: int) -> str:
    """Events of the range with ``user_key`` and ``day_no`` (the base of every stage-A query)."""
    return (
        "SELECT m.user_key, CAST(date_diff('day', DATE '1970-01-01', e.local_date) AS INTEGER)"
        " AS day_no, CAST(e.local_hour AS INTEGER) AS hour, lower(e.host) AS host,"
        " lower(e.category) AS category, lower(e.activity) AS activity, e.object,"
        " lower(e.url_host) AS url_host, e.site_category, e.size, e.to_removable,"
        " e.from_removable, lower(e.sender) AS sender, e.recipients, e.recipients_outside,"
        " e.attachments, e.event_id"
        " FROM events e JOIN user_map m ON e.source_user = m.source_user"
        f" WHERE e.local_date BETWEEN DATE '{iso(lo)}' AND DATE '{iso(hi)}'"
    )


def _flag(cond: str) -> str:
    return f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)"


_LOGON = "category = 'logon' AND activity = 'logon'"
_CONNECT = "category = 'device' AND activity = 'connect'"
_SEND = "category = 'email' AND activity = 'send'"
_CLOUD = "category = 'http' AND site_category IN ('cloud_storage', 'file_sharing')"


def user_day_sql() -> str:
    """One row per person and day: the indicators that need only that day's events."""
    return f"""
WITH web AS (
  SELECT user_key, day_no, url_host, COUNT(*) AS n FROM ev
  WHERE category = 'http' AND url_host IS NOT NULL GROUP BY user_key, day_no, url_host
),
comp AS (
  SELECT w.user_key, w.day_no, SUM(w.n) AS competitor_visits
  FROM web w JOIN competitors c ON w.url_host = c.domain OR w.url_host LIKE '%.' || c.domain
  GROUP BY w.user_key, w.day_no
),
base AS (
  SELECT user_key, day_no,
    COUNT(*) AS events_total,
    {_flag(_LOGON)} AS logons,
    COUNT(DISTINCT CASE WHEN {_LOGON} THEN host END) AS logon_hosts,
    {_flag(_CONNECT)} AS removable_connects,
    {_flag("category = 'file' AND to_removable")} AS files_to_removable,
    {_flag("category = 'file' AND from_removable")} AS files_from_removable,
    SUM(CASE WHEN category = 'file' AND (to_removable OR from_removable)
        THEN COALESCE(size, 0) ELSE 0 END) AS removable_bytes,
    {_flag("category = 'file'")} AS file_events,
    {_flag("category = 'decoy'")} AS decoy_access,
    {_flag(_SEND)} AS emails_sent,
    {_flag(_CLOUD + " AND activity = 'upload'")} AS cloud_uploads,
    SUM(CASE WHEN {_CLOUD} AND activity = 'upload' THEN COALESCE(size, 0) ELSE 0 END)
      AS cloud_upload_bytes,
    {_flag("category = 'http' AND site_category = 'webmail' AND activity = 'upload'")}
      AS webmail_uploads,
    {_flag("category = 'http' AND site_category = 'leak_site'")} AS leak_site_events,
    {_flag("category = 'http' AND site_category = 'leak_site' AND activity = 'upload'")}
      AS leak_site_uploads,
    {_flag("category = 'http' AND site_category = 'hacking_tools'")} AS hacking_tools,
    {_flag("category = 'http' AND site_category = 'hacking_tools' AND activity = 'download'")}
      AS hacking_downloads,
    {_flag("category = 'http' AND site_category = 'job_search'")} AS job_search
  FROM ev GROUP BY user_key, day_no
)
SELECT base.*, CAST(COALESCE(comp.competitor_visits, 0) AS BIGINT) AS competitor_visits
FROM base LEFT JOIN comp ON comp.user_key = base.user_key AND comp.day_no = base.day_no
"""


def user_hour_sql() -> str:
    """Events and logons per person, day and local hour (for usual hours)."""
    return f"""
SELECT user_key, day_no, hour, {_flag(_LOGON)} AS logons, COUNT(*) AS events
FROM ev WHERE hour IS NOT NULL GROUP BY user_key, day_no, hour
"""


def user_host_sql() -> str:
    """Logons and removable-media connects per person, machine and day."""
    return f"""
SELECT user_key, host, day_no, {_flag(_LOGON)} AS logons, {_flag(_CONNECT)} AS connects
FROM ev WHERE host IS NOT NULL GROUP BY user_key, host, day_no
"""


def access_sql() -> str:
    """Distinct objects (paths, kept URLs, decoys) each person touched each day, and whether
    the person moved the object out that day (``moved``): a file written to removable media,
    or a document attached to an e-mail with a recipient outside the organization (its
    attachment name is the document's path, as in CERT's e-mail logs)."""
    return """
WITH sent AS (SELECT user_key, day_no, host, UNNEST(attachments) AS att FROM ev
              WHERE category = 'email' AND activity = 'send' AND attachments IS NOT NULL
              AND COALESCE(recipients_outside, 0) > 0),
x AS (SELECT user_key, day_no, category, object, host,
        CASE WHEN category = 'file' AND to_removable THEN 1 ELSE 0 END AS moved FROM ev
      WHERE object IS NOT NULL AND category IN ('file', 'http', 'decoy')
      UNION ALL
      SELECT user_key, day_no, 'file' AS category, att.name AS object, host, 1 AS moved
      FROM sent WHERE att.name IS NOT NULL AND att.name <> '')
SELECT user_key, day_no, category, object, MIN(host) AS host, COUNT(*) AS n,
  MAX(moved) AS moved
FROM x GROUP BY user_key, day_no, category, object
"""


def email_sql() -> str:
    """Every e-mail sent, with its recipients (for outside and personal addresses)."""
    return f"""
SELECT user_key, day_no, event_id, sender, recipients,
  CASE WHEN recipients IS NULL THEN 0 ELSE array_length(recipients) END AS n_recipients,
  CASE WHEN attachments IS NULL THEN 0 ELSE array_length(attachments) END AS n_attach,
  COALESCE(size, 0) AS size
FROM ev WHERE {_SEND}
"""


def addr_sql() -> str:
    """Addresses a person sends from, and receives at (messages with one recipient)."""
    return f"""
SELECT DISTINCT user_key, day_no, sender AS address, 'from' AS how FROM ev
WHERE {_SEND} AND sender IS NOT NULL
UNION ALL
SELECT DISTINCT user_key, day_no, lower(recipients[1]) AS address, 'to' AS how FROM ev
WHERE category = 'email' AND activity <> 'send' AND recipients IS NOT NULL
  AND array_length(recipients) = 1
"""


def stage_a() -> dict[str, str]:
    """Every stage-A query (over ``ev``)."""
    return {
        "a_user_day": user_day_sql(),
        "a_user_hour": user_hour_sql(),
        "a_user_host": user_host_sql(),
        "a_access": access_sql(),
        "a_email": email_sql(),
        "a_addr": addr_sql(),
    }
