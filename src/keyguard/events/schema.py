"""One event schema for every source. Field meanings are documented in docs/events.md.

Events carry their OCSF ``class_uid`` where OCSF has a class: 3002 Authentication,
1001 File System Activity, 4009 Email Activity, 4002 HTTP Activity. Removable-device
connect/disconnect has no OCSF class: ``class_uid`` is null and ``category`` is ``device``.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = 1

#: OCSF class ids by keyguard category (None where OCSF has no class for it).
CLASS_UID: dict[str, int | None] = {
    "logon": 3002,  # Authentication
    "file": 1001,  # File System Activity
    "email": 4009,  # Email Activity
    "http": 4002,  # HTTP Activity
    "device": None,  # removable-device connect/disconnect: no OCSF class
    "decoy": 1001,
}

ATTACHMENT = pa.struct([("name", pa.string()), ("size", pa.int64())])

EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("unit", pa.string()),  # unit code
        ("time_utc", pa.timestamp("us", tz="UTC")),
        ("local_date", pa.date32()),
        ("local_hour", pa.int8()),
        ("source_user", pa.string()),  # the user exactly as in the source
        ("user_known", pa.bool_()),  # matches a known person of the unit
        ("host", pa.string()),
        ("category", pa.string()),  # logon | device | file | email | http | decoy ...
        ("class_uid", pa.int32()),
        ("activity", pa.string()),  # logon, logoff, connect, disconnect, open, write, copy,
        #                             delete, send, view, download, upload ...
        ("object", pa.string()),  # path, URL (only where kept) or message id
        ("url_host", pa.string()),
        ("site_category", pa.string()),
        ("size", pa.int64()),
        ("to_removable", pa.bool_()),
        ("from_removable", pa.bool_()),
        ("sender", pa.string()),
        ("recipients", pa.list_(pa.string())),
        ("recipients_outside", pa.int16()),
        ("attachments", pa.list_(ATTACHMENT)),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("adapter", pa.string()),
        ("ingest_run", pa.string()),
    ]
)

FIELDS = [f.name for f in EVENT_SCHEMA]
