"""Stage B of the CERT adapter: DuckDB SQL that checks and maps the fields stage A split
off (:mod:`keyguard.ingest.cert_split`) into pre-events (see :mod:`keyguard.ingest.enrich`),
turning the source's wall-clock time into UTC with the ``tz_src`` table.
"""

from __future__ import annotations

from keyguard.ingest import tz
from keyguard.ingest.cert_layout import Layout

DATE_FORMAT = "%m/%d/%Y %H:%M:%S"


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def shown(expr: str) -> str:
    """A field value for a reason: quoted when short, without quotes and with at most one
    space (it may be a shifted content column, which is never copied), else its length."""
    return (
        f"(CASE WHEN strlen({expr}) <= 24 AND NOT contains({expr}, '\"') "
        f"AND strlen({expr}) - strlen(replace({expr}, ' ', '')) <= 1 "
        f"THEN '''' || {expr} || '''' ELSE '(' || length({expr}) || ' characters)' END)"
    )


def field_names(layout: Layout) -> list[str]:
    return [f"f{i}" for i in range(1, layout.split_fields + 1)]


def _act(expr: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"WHEN {_q(k)} THEN {_q(v)}" for k, v in mapping.items())
    return f"(CASE lower({expr}) {whens} END)"


def _bool(expr: str) -> str:
    return f"(CASE lower({expr}) WHEN 'true' THEN true WHEN 'false' THEN false END)"


def _items(expr: str) -> str:
    """The non-empty, trimmed ``;``-separated items of ``expr``."""
    parts = f"list_transform(string_split({expr}, ';'), lambda x: trim(x))"
    return f"list_filter({parts}, lambda x: x <> '')"


def _attachments(expr: str) -> str:
    return (
        f"list_transform({_items(expr)}, lambda x: struct_pack("
        r"name := coalesce(nullif(regexp_extract(x, '^(.*)\((\d+)\)$', 1), ''), x), "
        r"size := TRY_CAST(nullif(regexp_extract(x, '\((\d+)\)$', 1), '') AS BIGINT)))"
    )


def _columns(layout: Layout) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Pre-event expressions over the (trimmed) fields ``f1..fk``, and (condition, reason)
    checks over those expressions' names (and the fields, for the messages)."""
    c: dict[str, str] = {
        "event_id": "nullif(f1, '')",
        "t_local": f"try_strptime(f2, '{DATE_FORMAT}')",
        "source_user": "nullif(f3, '')",
        "host": "nullif(f4, '')",
        "category": _q(layout.kind),
        "activity": "CAST(NULL AS VARCHAR)",
        "object": "CAST(NULL AS VARCHAR)",
        "url": "CAST(NULL AS VARCHAR)",
        "size": "CAST(NULL AS BIGINT)",
        "to_removable": "CAST(NULL AS BOOLEAN)",
        "from_removable": "CAST(NULL AS BOOLEAN)",
        "sender": "CAST(NULL AS VARCHAR)",
        "recipients": "CAST(NULL AS VARCHAR[])",
        "attachments": "CAST(NULL AS STRUCT(name VARCHAR, size BIGINT)[])",
        "attachment_count": "CAST(NULL AS SMALLINT)",
    }
    checks = [
        ("event_id IS NULL", "'missing id'"),
        ("t_local IS NULL", f"'bad date ' || {shown('f2')} || ' (expected MM/DD/YYYY HH:MM:SS)'"),
        ("source_user IS NULL", "'missing user'"),
    ]

    def activity(col: str, mapping: dict[str, str]) -> None:
        c["activity"] = _act(col, mapping)
        checks.append(("activity IS NULL", f"'unknown activity ' || {shown(col)}"))

    kind, r4 = layout.kind, layout.variant == "r4.2"
    if r4 and layout.content:
        # r4.2 content is unquoted and may hold commas: with a comma missing in front of it,
        # its first pieces slide into the kept columns. A row is kept only when the columns
        # have their shape — no address in the id, user or pc, a pc without ':', '/' or
        # spaces (so neither a URL nor a path nor words) — which a shifted row never has.
        checks.append(
            (
                "contains(f1, '://') OR contains(f3, '://') OR contains(f4, '://')",
                "'columns out of place (a web address in the id, user or pc column)'",
            )
        )
        checks.append(
            (
                r"regexp_matches(coalesce(host, ''), '[\s:/\\]')",
                "'bad pc (expected a machine name; columns out of place?)'",
            )
        )
    if kind == "logon":
        activity("f5", {"logon": "logon", "logoff": "logoff"})
    elif kind == "device":
        activity("f5" if r4 else "f6", {"connect": "connect", "disconnect": "disconnect"})
    elif kind == "file":
        c["object"] = "nullif(f5, '')"
        checks.append(("object IS NULL", "'missing filename'"))
        if r4:  # r4.2 lists copies to removable media only
            c.update(activity="'copy'", to_removable="true", from_removable="false")
        else:
            activity(
                "f6",
                {
                    "file open": "open",
                    "file write": "write",
                    "file copy": "copy",
                    "file delete": "delete",
                },
            )
            c["to_removable"], c["from_removable"] = _bool("f7"), _bool("f8")
            checks.append(("to_removable IS NULL", f"'bad to_removable_media ' || {shown('f7')}"))
            checks.append(
                ("from_removable IS NULL", f"'bad from_removable_media ' || {shown('f8')}")
            )
    elif kind == "email":
        size, att = ("f9", "f10") if r4 else ("f10", "f11")
        if r4:
            c["activity"] = "'send'"
            c["attachment_count"] = "TRY_CAST(f10 AS SMALLINT)"
            checks.append(
                (
                    "coalesce(attachment_count < 0, true)",
                    f"'bad attachments count ' || {shown('f10')}",
                )
            )
        else:
            activity("f9", {"send": "send", "view": "view"})
            c["attachments"] = f"CASE WHEN {att} = '' THEN [] ELSE {_attachments(att)} END"
        c["size"] = f"TRY_CAST({size} AS BIGINT)"
        checks.append(("coalesce(size < 0, true)", f"'bad size ' || {shown(size)}"))
        c["sender"] = "nullif(lower(f8), '')"
        c["recipients"] = _items("lower(f5 || ';' || f6 || ';' || f7)")
    elif kind == "http":
        c["url"] = "nullif(f5, '')"
        checks.append(("url IS NULL", "'missing url'"))
        checks.append(("contains(url, ' ')", "'bad url (it contains spaces)'"))
        if r4:  # the last column before the unquoted content: it must be an address
            c["activity"] = "'visit'"
            checks.append(
                (
                    r"NOT regexp_full_match(url, '[A-Za-z][A-Za-z0-9+.\-]*://[^\s,\x22]+')",
                    "'bad url (expected scheme://address; columns out of place?)'",
                )
            )
        else:
            activity(
                "f6", {"www visit": "visit", "www download": "download", "www upload": "upload"}
            )
    return c, checks


def stage_b_sql(layout: Layout, fields: str) -> str:
    """Pre-events from relation ``fields`` (stage A's columns), times turned into UTC."""
    cols, checks = _columns(layout)
    reasons = " ".join(f"WHEN {cond} THEN {why}" for cond, why in checks)
    select = ",\n        ".join(f"{expr} AS {name}" for name, expr in cols.items())
    offset = tz.offset_sql("b.t_local", "z", "b")
    count = (
        "CAST(len(b.attachments) AS SMALLINT)"
        if layout.kind == "email" and layout.variant != "r4.2"
        else "b.attachment_count"
    )
    return f"""
    SELECT b.line_no,
      coalesce(b.a_reason, CASE {reasons} END) AS reason,
      CAST(NULL AS VARCHAR) AS raw_kept,
      b.event_id, CAST(NULL AS VARCHAR) AS content_hash,
      b.t_local - to_seconds({offset}) AS time_utc,
      b.source_user, b.host, b.category, b.activity, b.object, b.url, b.size,
      b.to_removable, b.from_removable, b.sender, b.recipients, b.attachments,
      {count} AS attachment_count
    FROM (
      SELECT line_no, a_reason, {", ".join(field_names(layout))},
        {select}
      FROM {fields}
    ) b
    LEFT JOIN tz_src z ON z.d = CAST(b.t_local AS DATE)
    """


def decoy_sql(fields: str) -> str:
    """Decoy rows (``decoy_filename,pc``) from stage A's columns."""
    return f"""
    SELECT line_no, CAST(NULL AS VARCHAR) AS raw_kept,
      coalesce(a_reason, CASE WHEN f1 = '' THEN 'missing decoy_filename'
                              WHEN f2 = '' THEN 'missing pc' END) AS reason,
      nullif(f2, '') AS host, nullif(f1, '') AS path
    FROM {fields}
    """
