"""Stage B: the daily indicators that need records or earlier days — usual hours, machine
owners, department/project shares, need-to-know, personal addresses, cumulative counts —
joined into one ``features`` row per person and day.

Each query gives rows for days ``lo..hi`` only and reads earlier stage-A rows no further back
than its documented window, so a day's value never depends on a later day (no look-ahead)
and an incremental run equals a full one. Written in DuckDB SQL, rendered for Spark.
"""

from __future__ import annotations

from typing import Any

from keyguard.analytics.days import NEVER
from keyguard.policies import catalog

CUM_WINDOWS = (30, 60, 90)
#: Ranges of at most this many days take the join form of :func:`hours_sql`.
SHORT_RANGE_DAYS = 7


def _week(col: str) -> str:
    return f"CAST(FLOOR({col} / 7) AS INTEGER)"


def off_cal_sql(cal: tuple[list[int], int, int], day: str, hour: str) -> str:
    """Whether ``(day, hour)`` lies outside the unit's working calendar (needs ``hol``)."""
    work_days, work_start, work_end = cal
    days = ", ".join(str(int(d)) for d in sorted(set(work_days))) or "0"
    return (
        f"((({day} + 3) % 7) + 1 NOT IN ({days}) OR hol.day_no IS NOT NULL "
        f"OR {hour} < {int(work_start)} OR {hour} >= {int(work_end)})"
    )


def hours_sql(
    lo: int,
    hi: int,
    cfg: dict[str, Any],
    cal: tuple[list[int], int, int],
    short: bool | None = None,
) -> str:
    """Logons and events outside the calendar and outside the person's own usual hours: an
    hour is usual when the person was active within one hour of it on at least 2 (and 5%)
    of their active days in the previous ``usual_hours_window_days``; with fewer than
    ``usual_hours_min_days`` earlier active days the calendar alone decides.

    A few days (``SHORT_RANGE_DAYS``, as when one new day arrives; ``short`` forces either
    form) count each of their hours' earlier near days by a join; a longer range by a window
    over every day, which is cheaper there. Both count the same days."""
    w, min_days = int(cfg["usual_hours_window_days"]), int(cfg["usual_hours_min_days"])
    win = f"RANGE BETWEEN {w} PRECEDING AND 1 PRECEDING"
    off = off_cal_sql(cal, "h.day_no", "h.hour")
    if hi - lo + 1 <= SHORT_RANGE_DAYS if short is None else short:
        pc = f"""pc AS (SELECT t.user_key, t.day_no, t.hour AS hh, COUNT(*) AS near_days
       FROM (SELECT DISTINCT user_key, day_no, hour FROM h WHERE day_no BETWEEN {lo} AND {hi}) t
       JOIN sm ON sm.user_key = t.user_key AND sm.hh = t.hour
            AND sm.day_no BETWEEN t.day_no - {w} AND t.day_no - 1
       GROUP BY t.user_key, t.day_no, t.hour)"""
    else:
        pc = f"""pc AS (SELECT user_key, day_no, hh,
         COUNT(*) OVER (PARTITION BY user_key, hh ORDER BY day_no {win}) AS near_days FROM sm)"""
    return f"""
WITH h AS (SELECT user_key, day_no, hour, logons, events FROM a_user_hour
           WHERE day_no BETWEEN {lo - w} AND {hi}),
k AS (SELECT -1 AS d UNION ALL SELECT 0 AS d UNION ALL SELECT 1 AS d),
sm AS (SELECT DISTINCT h.user_key, h.day_no, h.hour + k.d AS hh FROM h CROSS JOIN k),
{pc},
nd AS (SELECT user_key, day_no,
         COUNT(*) OVER (PARTITION BY user_key ORDER BY day_no {win}) AS n_days FROM a_user_day
       WHERE day_no BETWEEN {lo - w} AND {hi}),
cl AS (SELECT h.user_key, h.day_no, h.logons, h.events,
         CASE WHEN {off} AND (COALESCE(nd.n_days, 0) < {min_days}
                   OR COALESCE(pc.near_days, 0) < GREATEST(2, 0.05 * nd.n_days))
              THEN 1 ELSE 0 END AS odd
       FROM h JOIN nd ON nd.user_key = h.user_key AND nd.day_no = h.day_no
       LEFT JOIN pc ON pc.user_key = h.user_key AND pc.day_no = h.day_no AND pc.hh = h.hour
       LEFT JOIN holidays hol ON hol.day_no = h.day_no
       WHERE h.day_no BETWEEN {lo} AND {hi})
SELECT user_key, day_no, SUM(odd * logons) AS logons_off_hours,
       SUM(odd * events) AS events_off_hours
FROM cl GROUP BY user_key, day_no
"""


def hosts_sql(lo: int, hi: int, cfg: dict[str, Any]) -> str:
    """Use of machines assigned to someone else (hosts register, else the main user)."""
    w, min_days = int(cfg["host_owner_window_days"]), int(cfg["host_owner_min_days"])
    return f"""
WITH hu AS (SELECT host, user_key, day_no, logons, connects FROM a_user_host
            WHERE day_no BETWEEN {lo - w - 7} AND {hi}),
bk AS (SELECT DISTINCT {_week("day_no")} AS b FROM hu WHERE day_no BETWEEN {lo} AND {hi}),
hd AS (SELECT bk.b, hu.host, hu.user_key, COUNT(*) AS days FROM bk
       JOIN hu ON hu.day_no >= bk.b * 7 - {w} AND hu.day_no < bk.b * 7
       WHERE hu.logons > 0 GROUP BY bk.b, hu.host, hu.user_key),
tot AS (SELECT b, host, SUM(days) AS total, MAX(days) AS top FROM hd GROUP BY b, host),
tops AS (SELECT hd.b, hd.host, MIN(hd.user_key) AS owner, COUNT(*) AS n_top FROM hd
         JOIN tot ON tot.b = hd.b AND tot.host = hd.host
         WHERE hd.days = tot.top AND hd.days >= {min_days} AND hd.days * 2 >= tot.total
         GROUP BY hd.b, hd.host),
cur AS (SELECT user_key, host, day_no, logons, connects, {_week("day_no")} AS b FROM hu
        WHERE day_no BETWEEN {lo} AND {hi}),
own AS (SELECT cur.user_key, cur.day_no, cur.host, cur.logons, cur.connects,
          CASE WHEN rec.host IS NOT NULL THEN (CASE WHEN rec.shared = 1 THEN NULL
               ELSE rec.owner END)
               WHEN tops.n_top = 1 THEN tops.owner END AS owner
        FROM cur LEFT JOIN tops ON tops.b = cur.b AND tops.host = cur.host
        LEFT JOIN host_records rec ON rec.host = cur.host AND cur.day_no >= rec.from_no
             AND cur.day_no < rec.to_no)
SELECT user_key, day_no,
  SUM(CASE WHEN owner IS NOT NULL AND owner <> user_key THEN logons ELSE 0 END)
    AS logons_other_host,
  COUNT(DISTINCT CASE WHEN owner IS NOT NULL AND owner <> user_key AND logons > 0
        THEN host END) AS hosts_other,
  SUM(CASE WHEN owner IS NOT NULL AND owner <> user_key THEN connects ELSE 0 END)
    AS removable_other_host
FROM own GROUP BY user_key, day_no
"""


def first_use_sql(lo: int, hi: int, cfg: dict[str, Any]) -> str:
    """The first day ever with removable media, after enough history (all earlier days)."""
    mh = int(cfg["first_use_min_history_days"])
    return f"""
WITH f AS (SELECT user_key, MIN(day_no) AS first_seen,
             MIN(CASE WHEN removable_connects > 0 THEN day_no END) AS first_connect
           FROM a_user_day WHERE day_no <= {hi} GROUP BY user_key)
SELECT d.user_key, d.day_no,
  CASE WHEN d.day_no = f.first_connect AND d.day_no - f.first_seen >= {mh} THEN 1 ELSE 0 END
    AS removable_first_use
FROM a_user_day d JOIN f ON f.user_key = d.user_key WHERE d.day_no BETWEEN {lo} AND {hi}
"""


def _prefixes(depths: list[int]) -> str:
    parts = []
    for k in sorted({int(d) for d in depths if 1 <= int(d) <= 8}):
        rx = "^/*(" + "/".join(["[^/]+"] * k) + ")/"
        parts.append(
            f"SELECT user_key, day_no, object, n, moved, {k} AS depth, "
            f"regexp_extract(path, '{rx}', 1) AS prefix FROM acc"
        )
    return " UNION ALL ".join(parts)


def share_lookback(cfg: dict[str, Any]) -> int:
    """Days of ``a_access`` before ``lo`` that :func:`share_access_sql` reads."""
    return (int(cfg["share_window_days"]) + 6) // 7 * 7 + 7


def share_access_sql(lo: int, hi: int, cfg: dict[str, Any]) -> str:
    """Without a register: each file access classified by the shares it lies in. A path
    prefix belongs to the department (or project) whose people made at least
    ``share_min_share`` of its user-days of access in the previous ``share_window_days``;
    an access is an item when some prefix of its path has an owner, and outside
    need-to-know when none of those owners is the person's department or project."""
    w = int(cfg["share_window_days"])
    wk = (w + 6) // 7
    share, min_days = float(cfg["share_min_share"]), int(cfg["share_min_days"])
    return f"""
WITH acc AS (SELECT user_key, day_no, object, n, moved,
               lower(replace(object, chr(92), '/')) AS path FROM a_access
             WHERE category IN ('file', 'decoy') AND day_no BETWEEN {lo - wk * 7 - 7} AND {hi}),
pre AS (SELECT * FROM ({_prefixes(cfg["share_depths"])}) x WHERE prefix <> ''),
ud AS (SELECT DISTINCT p.prefix, p.user_key, p.day_no, pe.department FROM pre p
       LEFT JOIN people pe ON pe.user_key = p.user_key AND p.day_no >= pe.from_no
            AND p.day_no < pe.to_no),
up AS (SELECT DISTINCT p.prefix, p.user_key, p.day_no, pp.project FROM pre p
       JOIN person_projects pp ON pp.user_key = p.user_key AND p.day_no >= pp.from_no
            AND p.day_no < pp.to_no),
wt AS (SELECT prefix, {_week("day_no")} AS w, COUNT(*) AS n FROM ud GROUP BY prefix, {
        _week("day_no")
    }),
wd AS (SELECT prefix, {_week("day_no")} AS w, department AS owner, COUNT(*) AS n FROM ud
       WHERE department IS NOT NULL GROUP BY prefix, {_week("day_no")}, department),
wp AS (SELECT prefix, {_week("day_no")} AS w, project AS owner, COUNT(*) AS n FROM up
       GROUP BY prefix, {_week("day_no")}, project),
need AS (SELECT DISTINCT prefix, {_week("day_no")} AS w FROM pre
         WHERE day_no BETWEEN {lo} AND {hi}),
tot AS (SELECT need.prefix, need.w, SUM(wt.n) AS total FROM need JOIN wt
        ON wt.prefix = need.prefix AND wt.w >= need.w - {wk} AND wt.w < need.w
        GROUP BY need.prefix, need.w),
cand AS (SELECT need.prefix, need.w, 'department' AS kind, wd.owner, SUM(wd.n) AS n FROM need
         JOIN wd ON wd.prefix = need.prefix AND wd.w >= need.w - {wk} AND wd.w < need.w
         GROUP BY need.prefix, need.w, wd.owner
         UNION ALL
         SELECT need.prefix, need.w, 'project' AS kind, wp.owner, SUM(wp.n) AS n FROM need
         JOIN wp ON wp.prefix = need.prefix AND wp.w >= need.w - {wk} AND wp.w < need.w
         GROUP BY need.prefix, need.w, wp.owner),
owners AS (SELECT cand.prefix, cand.w, cand.kind, cand.owner FROM cand
           JOIN tot ON tot.prefix = cand.prefix AND tot.w = cand.w
           WHERE cand.n >= {min_days} AND cand.n >= {share} * tot.total),
cls AS (SELECT p.user_key, p.day_no, p.object, p.n, p.moved, o.kind, o.owner,
          CASE WHEN o.kind = 'department' AND o.owner = pe.department THEN 1
               WHEN o.kind = 'project' AND pp.project IS NOT NULL THEN 1 ELSE 0 END AS mine
        FROM pre p JOIN owners o ON o.prefix = p.prefix AND o.w = {_week("p.day_no")}
        LEFT JOIN people pe ON pe.user_key = p.user_key AND p.day_no >= pe.from_no
             AND p.day_no < pe.to_no
        LEFT JOIN person_projects pp ON pp.user_key = p.user_key AND pp.project = o.owner
             AND o.kind = 'project' AND p.day_no >= pp.from_no AND p.day_no < pp.to_no
        WHERE p.day_no BETWEEN {lo} AND {hi})
SELECT user_key, day_no, lower(replace(object, chr(92), '/')) AS item_id,
  CAST(NULL AS VARCHAR) AS level, 0 AS top_level, MAX(n) AS n,
  CASE WHEN MAX(mine) = 1 THEN 0 ELSE 1 END AS outside,
  MIN(CASE WHEN mine = 0 THEN owner END) AS owner, MAX(moved) AS moved
FROM cls GROUP BY user_key, day_no, lower(replace(object, chr(92), '/'))
"""


def items_sql(lo: int, hi: int) -> str:
    """Daily item counts and distinct items outside need-to-know over 30/60/90 days."""
    big = max(CUM_WINDOWS)
    cums = ", ".join(f"SUM(d{w}) AS d{w}" for w in CUM_WINDOWS)
    deltas_in = ", ".join(f"1 AS d{w}" for w in CUM_WINDOWS)
    zero = ", ".join(f"0 AS d{w}" for w in CUM_WINDOWS)
    runs = ", ".join(
        f"SUM(d{w}) OVER (PARTITION BY user_key ORDER BY day_no ROWS BETWEEN UNBOUNDED "
        f"PRECEDING AND CURRENT ROW) AS items_outside_ntk_{w}d"
        for w in CUM_WINDOWS
    )
    ends = " UNION ALL ".join(
        f"SELECT user_key, LEAST(day_no + {w}, COALESCE(next_no, day_no + {w})) AS day_no, "
        + ", ".join(("-1" if v == w else "0") + f" AS d{v}" for v in CUM_WINDOWS)
        + " FROM nx"
        for w in CUM_WINDOWS
    )
    return f"""
WITH grid AS (SELECT user_key, day_no FROM a_user_day WHERE day_no BETWEEN {lo} AND {hi}),
daily AS (SELECT user_key, day_no, SUM(n) AS items_accessed, COUNT(*) AS items_distinct,
            SUM(outside) AS items_outside_ntk, SUM(top_level) AS items_top_level
          FROM b_item_access WHERE day_no BETWEEN {lo} AND {hi} GROUP BY user_key, day_no),
o AS (SELECT DISTINCT user_key, item_id, day_no FROM b_item_access
      WHERE outside = 1 AND day_no BETWEEN {lo - big + 1} AND {hi}),
nx AS (SELECT user_key, item_id, day_no,
         LEAD(day_no) OVER (PARTITION BY user_key, item_id ORDER BY day_no) AS next_no FROM o),
dl AS (SELECT user_key, day_no, {deltas_in} FROM nx UNION ALL {ends}
       UNION ALL SELECT user_key, day_no, {zero} FROM grid),
sm AS (SELECT user_key, day_no, {cums} FROM dl GROUP BY user_key, day_no),
run AS (SELECT user_key, day_no, {runs} FROM sm)
SELECT g.user_key, g.day_no,
  COALESCE(daily.items_accessed, 0) AS items_accessed,
  COALESCE(daily.items_distinct, 0) AS items_distinct,
  COALESCE(daily.items_outside_ntk, 0) AS items_outside_ntk,
  {
        ", ".join(
            f"COALESCE(run.items_outside_ntk_{w}d, 0) AS items_outside_ntk_{w}d"
            for w in CUM_WINDOWS
        )
    },
  COALESCE(daily.items_top_level, 0) AS items_top_level
FROM grid g LEFT JOIN daily ON daily.user_key = g.user_key AND daily.day_no = g.day_no
LEFT JOIN run ON run.user_key = g.user_key AND run.day_no = g.day_no
"""


def rarity_sql(
    lo: int,
    hi: int,
    window: int = 90,
    min_history: int | None = None,
    since: int | None = None,
) -> str:
    """Accesses outside need-to-know (days ``since..hi``, by default ``lo - 89..hi``, the
    days the 90-day counts of ``lo..hi`` read) flagged ``rare`` when no one else of the
    person's department touched the same item (register item, or the other department's or
    project's share) in the ``window`` days before — once the data covers ``min_history``
    days (before, every item would look rare) and the department is known. A day's rows
    depend only on that day and the ``window`` days before it."""
    big = max(CUM_WINDOWS)
    since = lo - big + 1 if since is None else since
    if min_history is None:  # as the catalog declares it (own baselines rely on it)
        min_history = catalog.indicators()["items_outside_ntk_rare"].counted_after_days
    return f"""
WITH a AS (SELECT b.user_key, b.day_no, b.item_id, b.outside, COALESCE(b.owner, '') AS ref,
             p.department FROM b_item_access b
           LEFT JOIN people p ON p.user_key = b.user_key AND b.day_no >= p.from_no
                AND b.day_no < p.to_no
           WHERE b.day_no BETWEEN {since - window} AND {hi}),
r AS (SELECT DISTINCT department, ref, user_key, day_no FROM a
      WHERE department IS NOT NULL AND ref <> ''),
t AS (SELECT DISTINCT user_key, day_no, item_id, department, ref FROM a
      WHERE outside = 1 AND day_no BETWEEN {since} AND {hi}),
seen AS (SELECT t.user_key, t.day_no, t.item_id, COUNT(*) AS n FROM t JOIN r
         ON r.department = t.department AND r.ref = t.ref AND r.user_key <> t.user_key
         AND r.day_no >= t.day_no - {window} AND r.day_no < t.day_no
         GROUP BY t.user_key, t.day_no, t.item_id)
SELECT t.user_key, t.day_no, t.item_id,
  CASE WHEN COALESCE(seen.n, 0) = 0 AND t.department IS NOT NULL
       AND t.day_no >= f.d0 + {min_history} THEN 1 ELSE 0 END AS rare
FROM t CROSS JOIN (SELECT MIN(day_no) AS d0 FROM a_user_day) f
LEFT JOIN seen ON seen.user_key = t.user_key AND seen.day_no = t.day_no
  AND seen.item_id = t.item_id
"""


def distinct_window_sql(
    lo: int, hi: int, source: str, where: str, daily: str, cumulative: str, window: int = 90
) -> str:
    """Daily and ``window``-day distinct counts of the items of ``source`` (``user_key``,
    ``item_id``, ``day_no``) that meet ``where``: ``daily`` on the day, ``cumulative`` over
    the ``window`` days ending on it."""
    return f"""
WITH grid AS (SELECT user_key, day_no FROM a_user_day WHERE day_no BETWEEN {lo} AND {hi}),
o AS (SELECT DISTINCT user_key, item_id, day_no FROM {source}
      WHERE ({where}) AND day_no BETWEEN {lo - window + 1} AND {hi}),
daily AS (SELECT user_key, day_no, COUNT(*) AS n FROM o WHERE day_no BETWEEN {lo} AND {hi}
          GROUP BY user_key, day_no),
nx AS (SELECT user_key, item_id, day_no,
         LEAD(day_no) OVER (PARTITION BY user_key, item_id ORDER BY day_no) AS next_no FROM o),
dl AS (SELECT user_key, day_no, 1 AS d FROM nx
       UNION ALL SELECT user_key, LEAST(day_no + {window}, COALESCE(next_no, day_no + {window}))
         AS day_no, -1 AS d FROM nx
       UNION ALL SELECT user_key, day_no, 0 AS d FROM grid),
sm AS (SELECT user_key, day_no, SUM(d) AS d FROM dl GROUP BY user_key, day_no),
run AS (SELECT user_key, day_no, SUM(d) OVER (PARTITION BY user_key ORDER BY day_no
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS v FROM sm)
SELECT g.user_key, g.day_no, COALESCE(daily.n, 0) AS {daily},
  COALESCE(run.v, 0) AS {cumulative}
FROM grid g LEFT JOIN daily ON daily.user_key = g.user_key AND daily.day_no = g.day_no
LEFT JOIN run ON run.user_key = g.user_key AND run.day_no = g.day_no
"""


def rare_sql(lo: int, hi: int, window: int = 90) -> str:
    """Daily and 90-day distinct counts of rare accesses outside need-to-know (needs
    ``b_rare_access``)."""
    return distinct_window_sql(
        lo,
        hi,
        "b_rare_access",
        "rare = 1",
        "items_outside_ntk_rare",
        "items_outside_ntk_rare_90d",
        window,
    )


def moved_sql(lo: int, hi: int, window: int = 90) -> str:
    """Daily and 90-day distinct counts of classified items outside need-to-know the person
    moved out (copied to removable media, or attached to an e-mail leaving the
    organization; needs ``b_item_access`` with the days ``lo - window + 1 .. hi``)."""
    return distinct_window_sql(
        lo,
        hi,
        "b_item_access",
        "moved = 1 AND outside = 1",
        "items_outside_ntk_moved",
        "items_outside_ntk_moved_90d",
        window,
    )


def personal_sql(hi: int) -> str:
    """Each person's personal addresses with the day each became known: outside addresses
    they send from or receive at (only while nobody else uses the same address), recorded
    personal addresses, and outside addresses bearing their name (``name_personal``)."""
    return f"""
WITH s AS (SELECT user_key, address, MIN(day_no) AS fs FROM a_addr
           WHERE day_no <= {hi} AND address IS NOT NULL GROUP BY user_key, address),
sd AS (SELECT s.*, regexp_extract(address, '@([^@]+)$', 1) AS domain FROM s),
org AS (SELECT DISTINCT sd.address FROM sd JOIN org_domains o
        ON sd.domain = o.domain OR sd.domain LIKE '%.' || o.domain),
so AS (SELECT sd.* FROM sd LEFT JOIN org ON org.address = sd.address
       WHERE org.address IS NULL AND sd.domain <> ''),
rk AS (SELECT user_key, address, fs,
         ROW_NUMBER() OVER (PARTITION BY address ORDER BY fs, user_key) AS rn,
         LEAD(fs) OVER (PARTITION BY address ORDER BY fs, user_key) AS next_fs FROM so)
SELECT user_key, address, fs AS from_no, COALESCE(next_fs, {NEVER}) AS to_no FROM rk
WHERE rn = 1
UNION ALL SELECT user_key, address, from_no, {NEVER} AS to_no FROM declared_personal
UNION ALL SELECT user_key, address, from_no, {NEVER} AS to_no FROM name_personal
"""


def outside_recipients_sql(lo: int, hi: int) -> str:
    """Recipients of e-mails sent in ``lo..hi`` outside the organization's domains."""
    return f"""
WITH m AS (SELECT user_key, day_no, event_id, recipients FROM a_email
           WHERE day_no BETWEEN {lo} AND {hi}),
r0 AS (SELECT user_key, day_no, event_id, UNNEST(recipients) AS addr0 FROM m),
r AS (SELECT user_key, day_no, event_id, lower(trim(addr0)) AS addr FROM r0),
rd AS (SELECT r.*, regexp_extract(addr, '@([^@]+)$', 1) AS domain FROM r),
org AS (SELECT DISTINCT rd.addr FROM rd JOIN org_domains o
        ON rd.domain = o.domain OR rd.domain LIKE '%.' || o.domain)
SELECT rd.user_key, rd.day_no, rd.event_id, rd.addr FROM rd
LEFT JOIN org ON org.addr = rd.addr WHERE org.addr IS NULL AND rd.domain <> ''
"""


def email_sql(lo: int, hi: int, cfg: dict[str, Any]) -> str:
    """E-mail indicators per person-day (needs ``outside_rcpt`` and ``personal``)."""
    mass = int(cfg["mass_email_recipients"])
    return f"""
WITH m AS (SELECT user_key, day_no, event_id, n_recipients, n_attach, size FROM a_email
           WHERE day_no BETWEEN {lo} AND {hi}),
oc AS (SELECT event_id, COUNT(*) AS n_out FROM outside_rcpt GROUP BY event_id),
pc AS (SELECT DISTINCT o.event_id FROM outside_rcpt o JOIN personal p
       ON p.user_key = o.user_key AND p.address = o.addr AND o.day_no >= p.from_no
       AND o.day_no < p.to_no),
f AS (SELECT m.*, CASE WHEN oc.n_out > 0 THEN 1 ELSE 0 END AS is_out,
        CASE WHEN pc.event_id IS NOT NULL THEN 1 ELSE 0 END AS is_personal
      FROM m LEFT JOIN oc ON oc.event_id = m.event_id LEFT JOIN pc ON pc.event_id = m.event_id)
SELECT user_key, day_no,
  SUM(is_out) AS email_out,
  SUM(CASE WHEN is_out = 1 AND n_attach > 0 THEN 1 ELSE 0 END) AS email_out_attach,
  SUM(CASE WHEN is_out = 1 AND n_attach > 0 THEN size ELSE 0 END) AS email_out_attach_bytes,
  SUM(is_personal) AS email_personal,
  SUM(CASE WHEN is_personal = 1 AND n_attach > 0 THEN 1 ELSE 0 END) AS email_personal_attach,
  SUM(CASE WHEN is_personal = 1 AND n_attach > 0 THEN size ELSE 0 END) AS email_personal_bytes,
  SUM(CASE WHEN n_recipients >= {mass} THEN 1 ELSE 0 END) AS mass_emails,
  MAX(n_recipients) AS email_max_recipients
FROM f GROUP BY user_key, day_no
"""


def person_sql(lo: int, hi: int) -> str:
    """Department, job title, departing and privileged, as known on each day."""
    return f"""
WITH grid AS (SELECT user_key, day_no FROM a_user_day WHERE day_no BETWEEN {lo} AND {hi}),
pe AS (SELECT g.user_key, g.day_no, MAX(p.department) AS department,
         MAX(p.job_title) AS job_title, MAX(p.departing) AS departing,
         MAX(p.privileged) AS privileged
       FROM grid g LEFT JOIN people p ON p.user_key = g.user_key AND g.day_no >= p.from_no
            AND g.day_no < p.to_no GROUP BY g.user_key, g.day_no),
fl AS (SELECT g.user_key, g.day_no,
         MAX(CASE WHEN f.flag = 'departing' THEN 1 ELSE 0 END) AS departing,
         MAX(CASE WHEN f.flag = 'privileged' THEN 1 ELSE 0 END) AS privileged,
         MAX(CASE WHEN f.flag = 'top_level_access' THEN 1 ELSE 0 END) AS top_level
       FROM grid g JOIN flags f ON f.user_key = g.user_key AND g.day_no >= f.from_no
            AND g.day_no < f.to_no GROUP BY g.user_key, g.day_no)
SELECT pe.user_key, pe.day_no, pe.department, pe.job_title,
  GREATEST(COALESCE(pe.departing, 0), COALESCE(fl.departing, 0)) AS departing,
  GREATEST(COALESCE(pe.privileged, 0), COALESCE(fl.privileged, 0)) AS privileged,
  COALESCE(fl.top_level, 0) AS top_level
FROM pe LEFT JOIN fl ON fl.user_key = pe.user_key AND fl.day_no = pe.day_no
"""


#: Which stage-B relation gives each indicator that stage A does not.
SOURCES: dict[str, str] = {
    "logons_off_hours": "b_hours",
    "events_off_hours": "b_hours",
    "logons_other_host": "b_hosts",
    "hosts_other": "b_hosts",
    "removable_other_host": "b_hosts",
    "removable_first_use": "b_first",
    "items_accessed": "b_items",
    "items_distinct": "b_items",
    "items_outside_ntk": "b_items",
    "items_outside_ntk_30d": "b_items",
    "items_outside_ntk_60d": "b_items",
    "items_outside_ntk_90d": "b_items",
    "items_top_level": "b_items",
    "items_outside_ntk_rare": "b_rare",
    "items_outside_ntk_rare_90d": "b_rare",
    "items_outside_ntk_moved": "b_moved",
    "items_outside_ntk_moved_90d": "b_moved",
    "email_out": "b_email",
    "email_out_attach": "b_email",
    "email_out_attach_bytes": "b_email",
    "email_personal": "b_email",
    "email_personal_attach": "b_email",
    "email_personal_bytes": "b_email",
    "mass_emails": "b_email",
    "email_max_recipients": "b_email",
    "departing": "b_person",
    "privileged": "b_person",
}
DERIVED = {"after_notice_events": "d.events_total * COALESCE(b_person.departing, 0)"}


def features_sql(lo: int, hi: int) -> str:
    """One row per person-day: every indicator of the catalog, in catalog order."""
    cols = []
    exprs: dict[str, str] = {}
    for ind, spec in catalog.indicators().items():
        if ind in DERIVED:
            expr = DERIVED[ind]
        elif spec.kind == "share":
            # A share of two counts: of the denominator's items, how many are also the
            # numerator's (0 when there are none).
            num, den = exprs[str(spec.numerator)], exprs[str(spec.denominator)]
            expr = f"{num} / GREATEST({den}, 1)"
        elif ind in SOURCES:
            expr = f"COALESCE({SOURCES[ind]}.{ind}, 0)"
        else:
            expr = f"d.{ind}"
        exprs[ind] = f"CAST({expr} AS DOUBLE)"
        cols.append(f"{exprs[ind]} AS {ind}")
    joins = " ".join(
        f"LEFT JOIN {t} ON {t}.user_key = d.user_key AND {t}.day_no = d.day_no"
        for t in sorted(set(SOURCES.values()))
    )
    # ``seen_from``: the person's first day in the data, ``unit_from`` the unit's, so that own
    # baselines of counts over a window can tell a window still filling from a rising count.
    return (
        f"SELECT d.user_key, d.day_no, b_person.department, b_person.job_title, "
        "CAST(COALESCE(b_person.top_level, 0) AS INTEGER) AS top_level_flag, "
        "CAST(sf.seen_from AS INTEGER) AS seen_from, "
        "CAST(uf.unit_from AS INTEGER) AS unit_from, "
        f"{', '.join(cols)} FROM a_user_day d {joins} "
        "LEFT JOIN (SELECT user_key, MIN(day_no) AS seen_from FROM a_user_day "
        f"WHERE day_no <= {hi} GROUP BY user_key) sf ON sf.user_key = d.user_key "
        "CROSS JOIN (SELECT MIN(day_no) AS unit_from FROM a_user_day) uf "
        f"WHERE d.day_no BETWEEN {lo} AND {hi}"
    )
