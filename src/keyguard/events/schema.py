"""One event schema for every source. Field meanings are documented in docs/events.md.

Events carry their OCSF ``class_uid`` where OCSF has a class: 3002 Authentication,
1001 File System Activity, 4009 Email Activity, 4002 HTTP Activity. Removable-device
connect/disconnect has no OCSF class: ``class_uid`` is null and ``category`` is ``device``.

Times: ``time_utc`` is the instant in UTC; ``local_date`` and ``local_hour`` are the wall
clock of the *unit* (not of the source) at that instant. Every file also holds ``unit``
and ``local_date``, so readers need no hive partitioning.
"""

from __future__ import annotations

import pyarrow as pa

#: Version of the layout and columns of the Parquet event store (``events/_schema.json``).
SCHEMA_VERSION = 1

#: OCSF class ids by keyguard category (None where OCSF has no class for it).
CLASS_UID: dict[str, int | None] = {
    "logon": 3002,  # Authentication
    "file": 1001,  # File System Activity
    "email": 4009,  # Email Activity
    "http": 4002,  # HTTP Activity
    "device": None,  # removable-device connect/disconnect: no OCSF class
}

CATEGORIES: tuple[str, ...] = tuple(CLASS_UID)

#: The activity vocabulary per category; adapters and mappings may only use these.
ACTIVITIES: dict[str, tuple[str, ...]] = {
    "logon": ("logon", "logoff", "logon_failed"),
    "device": ("connect", "disconnect"),
    "file": ("open", "write", "copy", "delete", "access"),
    "email": ("send", "view"),
    "http": ("visit", "download", "upload"),
}

ATTACHMENT = pa.struct([("name", pa.string()), ("size", pa.int64())])

EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("unit", pa.string()),
        ("time_utc", pa.timestamp("us", tz="UTC")),
        ("local_date", pa.date32()),
        ("local_hour", pa.int8()),
        ("source_user", pa.string()),
        ("user_known", pa.bool_()),
        ("host", pa.string()),
        ("category", pa.string()),
        ("class_uid", pa.int32()),
        ("activity", pa.string()),
        ("object", pa.string()),
        ("url_host", pa.string()),
        ("site_category", pa.string()),
        ("size", pa.int64()),
        ("to_removable", pa.bool_()),
        ("from_removable", pa.bool_()),
        ("sender", pa.string()),
        ("recipients", pa.list_(pa.field("element", pa.string()))),
        ("recipients_outside", pa.int16()),
        ("attachments", pa.list_(pa.field("element", ATTACHMENT))),
        ("attachment_count", pa.int16()),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("adapter", pa.string()),
        ("ingest_run", pa.string()),
    ]
)

FIELDS = [f.name for f in EVENT_SCHEMA]

#: What each column means (docs/events.md and the "What keyguard records" page read this).
FIELD_DOCS: dict[str, str] = {
    "event_id": "The source's own id (CERT `id`), else `<source>:<hash of source, row and "
    "its position among identical rows>`; unique per unit and local day.",
    "unit": "Code of the unit (organization) the event belongs to.",
    "time_utc": "When it happened, in UTC (microseconds).",
    "local_date": "The unit's local calendar day of `time_utc`.",
    "local_hour": "The unit's local hour (0-23) of `time_utc`.",
    "source_user": "The user exactly as written in the source.",
    "user_known": "Whether `source_user` is the staff id of a person of the unit "
    "(case-insensitive); unknown users are kept and flagged, never dropped.",
    "host": "Machine the activity happened on (CERT `pc`).",
    "category": "logon | device | file | email | http.",
    "class_uid": "OCSF class: 3002 Authentication, 1001 File System Activity, "
    "4009 Email Activity, 4002 HTTP Activity; null for device.",
    "activity": "What was done, from a fixed vocabulary per category (see ACTIVITIES).",
    "object": "File path for file events; for web events the full URL only for uploads "
    "and addresses that match a register item; null otherwise.",
    "url_host": "Host name of a web address (lower case).",
    "site_category": "Fixed site category of `url_host` (library/sites), null if none.",
    "size": "Bytes (e-mail size; file or transfer size where the source gives it).",
    "to_removable": "File written to removable media.",
    "from_removable": "File read from removable media.",
    "sender": "E-mail sender address (lower case).",
    "recipients": "E-mail recipients (to, cc and bcc; lower case).",
    "recipients_outside": "How many recipients are outside the unit's e-mail domains "
    "(null when the unit has no known domains).",
    "attachments": "E-mail attachments: file name and size, where the source lists them.",
    "attachment_count": "Number of e-mail attachments.",
    "source_file": "File the event was read from (name within the ingested folder).",
    "source_line": "Physical line of that file (1 = first line).",
    "adapter": "Adapter that read it (`cert`, `mapping:<name>`).",
    "ingest_run": "Id of the ingest run that stored it (records DB `ingest_run.uid`).",
}


def duckdb_type(t: pa.DataType) -> str:
    """The DuckDB SQL type of an Arrow type used in :data:`EVENT_SCHEMA`."""
    if pa.types.is_string(t):
        return "VARCHAR"
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ" if t.tz else "TIMESTAMP"
    if pa.types.is_date32(t):
        return "DATE"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    ints = {8: "TINYINT", 16: "SMALLINT", 32: "INTEGER", 64: "BIGINT"}
    if pa.types.is_integer(t):
        return ints[t.bit_width]
    if pa.types.is_list(t):
        return duckdb_type(t.value_type) + "[]"
    if pa.types.is_struct(t):
        inner = ", ".join(f"{f.name} {duckdb_type(f.type)}" for f in t)
        return f"STRUCT({inner})"
    raise TypeError(f"no DuckDB type for {t}")


def empty_events_sql() -> str:
    """A typed, empty ``SELECT`` with the event columns (a view over no files yet)."""
    cols = ", ".join(f"CAST(NULL AS {duckdb_type(f.type)}) AS {f.name}" for f in EVENT_SCHEMA)
    return f"SELECT {cols} WHERE false"
