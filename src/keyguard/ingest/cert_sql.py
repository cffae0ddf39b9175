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
    """A field value for a reason: quoted when short, else only its length (it may be a
    shifted content column, which is never copied)."""
    return (
        f"(CASE WHEN strlen({expr}) <= 24 AND NOT contains({expr}, '\"') "
        f"THEN '''' || {expr} || '''' ELSE '(' || length({expr}) || ' characters)' END)"
    )


def field_names(layout: Layout) -> list[str]:
    return [f"f{i}" for i in range(1, layout.split_fields + 1)]


def _act(expr: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"WHEN {_q(k)} THEN {_q(v)}" for k, v in mapping.items())
    return f"(CASE lower(trim({expr})) {whens} END)"


def _bool(expr: str) -> str:
    return f"(CASE lower(trim({expr})) WHEN 'true' THEN true WHEN 'false' THEN false END)"


def _items(expr: str) -> str:
    """The non-empty, trimmed ``;``-separated items of ``expr``."""
    parts = f"list_transform(string_split({expr}, ';'), lambda x: trim(x))"
    return f"list_filter({parts}, lambda x: x <> '')"


def _recipients() -> str:
    return _items("lower(f5 || ';' || f6 || ';' || f7)")


def _attachments(expr: str) -> str:
    items = _items(expr)
    return (
        f"list_transform({items}, lambda x: struct_pack("
        r"name := coalesce(nullif(regexp_extract(x, '^(.*)\((\d+)\)$', 1), ''), x), "
        r"size := TRY_CAST(nullif(regexp_extract(x, '\((\d+)\)$', 1), '') AS BIGINT)))"
    )


def _columns(layout: Layout) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Pre-event expressions and (condition, reason) checks of a layout, over f1..fk."""
    c: dict[str, str] = {
        "event_id": "nullif(trim(f1), '')",
        "t_local": f"try_strptime(trim(f2), '{DATE_FORMAT}')",
        "source_user": "nullif(trim(f3), '')",
        "host": "nullif(trim(f4), '')",
        "category": _q(layout.kind),
        "activity": "NULL",
        "object": "NULL",
        "url": "NULL",
        "size": "NULL",
        "to_removable": "NULL",
        "from_removable": "NULL",
        "sender": "NULL",
        "recipients": "NULL",
        "attachments": "NULL",
        "attachment_count": "NULL",
    }
    checks = [
        ("nullif(trim(f1), '') IS NULL", "'missing id'"),
        (
            f"try_strptime(trim(f2), '{DATE_FORMAT}') IS NULL",
            f"'bad date ' || {shown('f2')} || ' (expected MM/DD/YYYY HH:MM:SS)'",
        ),
        ("nullif(trim(f3), '') IS NULL", "'missing user'"),
    ]

    def activity(col: str, mapping: dict[str, str]) -> None:
        c["activity"] = _act(col, mapping)
        checks.append((f"{c['activity']} IS NULL", f"'unknown activity ' || {shown(col)}"))

    kind, r4 = layout.kind, layout.variant == "r4.2"
    if kind == "logon":
        activity("f5", {"logon": "logon", "logoff": "logoff"})
    elif kind == "device":
        activity("f5" if r4 else "f6", {"connect": "connect", "disconnect": "disconnect"})
    elif kind == "file":
        c["object"] = "nullif(trim(f5), '')"
        checks.append(("nullif(trim(f5), '') IS NULL", "'missing filename'"))
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
            checks.append((f"{_bool('f7')} IS NULL", f"'bad to_removable_media ' || {shown('f7')}"))
            checks.append(
                (f"{_bool('f8')} IS NULL", f"'bad from_removable_media ' || {shown('f8')}")
            )
    elif kind == "email":
        size, att = ("f9", "f10") if r4 else ("f10", "f11")
        if r4:
            c["activity"] = "'send'"
            c["attachment_count"] = "TRY_CAST(trim(f10) AS SMALLINT)"
            checks.append(
                (
                    "coalesce(TRY_CAST(trim(f10) AS SMALLINT) < 0, true)",
                    f"'bad attachments count ' || {shown('f10')}",
                )
            )
        else:
            activity("f9", {"send": "send", "view": "view"})
            c["attachments"] = _attachments(att)
            c["attachment_count"] = f"CAST(len({_attachments(att)}) AS SMALLINT)"
        c["size"] = f"TRY_CAST(trim({size}) AS BIGINT)"
        checks.append(
            (
                f"coalesce(TRY_CAST(trim({size}) AS BIGINT) < 0, true)",
                f"'bad size ' || {shown(size)}",
            )
        )
        c["sender"] = "nullif(lower(trim(f8)), '')"
        c["recipients"] = _recipients()
    elif kind == "http":
        c["url"] = "nullif(trim(f5), '')"
        checks.append(("nullif(trim(f5), '') IS NULL", "'missing url'"))
        checks.append(("contains(trim(f5), ' ')", "'bad url (it contains spaces)'"))
        if r4:
            c["activity"] = "'visit'"
        else:
            activity(
                "f6", {"www visit": "visit", "www download": "download", "www upload": "upload"}
            )
    return c, checks


def stage_b_sql(layout: Layout, fields: str) -> str:
    """Pre-events from relation ``fields`` (stage A's columns), times turned into UTC."""
    cols, checks = _columns(layout)
    reasons = " ".join(f"WHEN {cond} THEN {why}" for cond, why in checks)
    select = ",\n      ".join(f"{expr} AS {name}" for name, expr in cols.items())
    offset = tz.offset_sql("b.t_local", "z", "b")
    return f"""
    SELECT b.line_no, b.reason, CAST(NULL AS VARCHAR) AS raw_kept,
      b.event_id, CAST(NULL AS VARCHAR) AS content_hash,
      b.t_local - to_seconds({offset}) AS time_utc,
      b.source_user, b.host, b.category, b.activity, b.object, b.url, b.size,
      b.to_removable, b.from_removable, b.sender, b.recipients,
      CAST(b.attachments AS STRUCT(name VARCHAR, size BIGINT)[]) AS attachments,
      CAST(b.attachment_count AS SMALLINT) AS attachment_count
    FROM (
      SELECT line_no, coalesce(a_reason, CASE {reasons} END) AS reason,
      {select}
      FROM {fields}
    ) b
    LEFT JOIN tz_src z ON z.d = CAST(b.t_local AS DATE)
    """


def decoy_sql(fields: str) -> str:
    """Decoy rows (``decoy_filename,pc``) from stage A's columns."""
    return f"""
    SELECT line_no, CAST(NULL AS VARCHAR) AS raw_kept,
      coalesce(a_reason, CASE WHEN nullif(trim(f1), '') IS NULL THEN 'missing decoy_filename'
                              WHEN nullif(trim(f2), '') IS NULL THEN 'missing pc' END) AS reason,
      nullif(trim(f2), '') AS host, nullif(trim(f1), '') AS path
    FROM {fields}
    """
