"""Column tables of generated events before they are written.

A table is a ``dict`` of equally long numpy arrays: numbers (``t`` seconds since the period
start in local time, ``user`` person index, ``pc`` host index, ``act`` activity code, ``tag``
scenario-event index or -1) and strings (numpy object arrays). Imports only numpy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Table = dict[str, np.ndarray]

ACTIVITIES: dict[str, tuple[str, ...]] = {
    "logon.csv": ("Logon", "Logoff"),
    "device.csv": ("Connect", "Disconnect"),
    "file.csv": ("File Open", "File Write", "File Copy", "File Delete"),
    "email.csv": ("Send", "View"),
    "http.csv": ("WWW Visit", "WWW Download", "WWW Upload"),
}
"""Activity names per file; a table's ``act`` column indexes into them."""

COLUMNS: dict[str, dict[str, object]] = {
    "logon.csv": {},
    "device.csv": {"tree": object},
    "file.csv": {"path": object, "to_rm": bool, "from_rm": bool, "content": object},
    "email.csv": {
        "to": object,
        "cc": object,
        "bcc": object,
        "frm": object,
        "size": np.int64,
        "att": object,
        "content": object,
    },
    "http.csv": {"url": object, "content": object},
}
"""Columns of each activity file beyond ``t, user, pc, act, tag``."""

BASE: dict[str, object] = {
    "t": np.int64,
    "user": np.int32,
    "pc": np.int32,
    "act": np.int8,
    "tag": np.int32,
}


def empty(file: str) -> Table:
    """A table of ``file`` with no rows."""
    cols = {**BASE, **COLUMNS[file]}
    return {name: np.zeros(0, dtype=dtype) for name, dtype in cols.items()}  # type: ignore[call-overload]


def concat(file: str, tables: Sequence[Table]) -> Table:
    """Rows of all tables, in order."""
    parts = [t for t in tables if len(t["t"])]
    if not parts:
        return empty(file)
    if len(parts) == 1:
        return parts[0]
    return {name: np.concatenate([t[name] for t in parts]) for name in parts[0]}


def take(table: Table, index: np.ndarray) -> Table:
    """The rows at ``index`` (an integer or boolean array)."""
    return {name: col[index] for name, col in table.items()}


def rows(table: Table) -> int:
    """Number of rows of a table."""
    return len(table["t"])


def obj(values: Sequence[str] | np.ndarray) -> np.ndarray:
    """A numpy object array of strings."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out
