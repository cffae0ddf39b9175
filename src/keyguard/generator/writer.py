"""Streaming CSV writers of the activity files: sort a block of events by time, give each row
a unique id, format CERT r6.2 rows, plant the planned malformed rows, and remember on which
line every scenario event landed.

Rows contain no commas or quotes, so no field is quoted (as in the CERT releases). Imports
only numpy and sibling modules of the generator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from keyguard.generator.calendar import TIME_OF_DAY, Calendar, shift_out_of_gaps
from keyguard.generator.params import ACTIVITY_FILES, HEADERS
from keyguard.generator.tables import ACTIVITIES, Table, rows, take

_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)
_GUID_POS = np.array(
    [*range(1, 9), *range(10, 14), *range(15, 19), *range(20, 24), *range(25, 37)], dtype=np.int64
)

DIRTY_KINDS: tuple[tuple[str, str], ...] = (
    ("logon.csv", "truncated"),
    ("logon.csv", "bad_date"),
    ("logon.csv", "empty_user"),
    ("device.csv", "bad_date"),
    ("file.csv", "truncated"),
    ("file.csv", "bad_date"),
    ("email.csv", "truncated"),
    ("email.csv", "bad_date"),
    ("http.csv", "truncated"),
    ("http.csv", "truncated"),
    ("http.csv", "bad_date"),
)
"""The malformed rows planted in every generated folder (file, kind)."""


def guids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random ids formatted ``{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`` (object array)."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    text = np.empty((n, 38), dtype=np.uint8)
    text[:, 0] = ord("{")
    text[:, 37] = ord("}")
    text[:, [9, 14, 19, 24]] = ord("-")
    digits = np.empty((n, 32), dtype=np.uint8)
    digits[:, 0::2] = _HEX[raw >> 4]
    digits[:, 1::2] = _HEX[raw & 15]
    text[:, _GUID_POS] = digits
    return np.frombuffer(text.tobytes(), dtype="S38").astype("U38").astype(object)


@dataclass
class DirtyRow:
    """One planted malformed row."""

    file: str
    line: int
    kind: str
    id: str
    text: str


@dataclass
class Writers:
    """The open activity files of one output folder and what was written to them."""

    out: Path
    cal: Calendar
    users: np.ndarray  # object array of user ids by person index
    hosts: np.ndarray  # object array of host names by host index
    handles: dict[str, IO[str]] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)
    event_lines: dict[int, tuple[str, int, str]] = field(
        default_factory=dict
    )  # tag -> (file, line, id)
    dirty: list[DirtyRow] = field(default_factory=list)
    pending_dirty: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._days = np.empty(self.cal.days, dtype=object)
        self._days[:] = [f"{d} " for d in self.cal.day_prefix]
        self._times = np.empty(len(TIME_OF_DAY), dtype=object)
        self._times[:] = TIME_OF_DAY
        self._acts = {f: np.array(a, dtype=object) for f, a in ACTIVITIES.items()}
        self._bools = np.array(["False", "True"], dtype=object)

    def open(self) -> None:
        """Create the activity files with their header rows."""
        for name in ACTIVITY_FILES:
            handle = (self.out / name).open("w", encoding="utf-8", newline="\n")
            handle.write(",".join(HEADERS[name]) + "\n")
            self.handles[name] = handle
            self.written[name] = 0

    def close(self) -> None:
        """Close every file."""
        for handle in self.handles.values():
            handle.close()
        self.handles.clear()

    def _columns(self, file: str, tab: Table, ids: np.ndarray) -> list[np.ndarray]:
        t = tab["t"]
        date = self._days[t // 86400] + self._times[t % 86400]
        cols = [ids, date, self.users[tab["user"]], self.hosts[tab["pc"]]]
        act = self._acts[file][tab["act"]]
        if file == "logon.csv":
            return [*cols, act]
        if file == "device.csv":
            return [*cols, tab["tree"], act]
        if file == "file.csv":
            b = self._bools
            return [
                *cols,
                tab["path"],
                act,
                b[tab["to_rm"].astype(np.int8)],
                b[tab["from_rm"].astype(np.int8)],
                tab["content"],
            ]
        if file == "email.csv":
            size = tab["size"].astype("U20").astype(object)
            return [
                *cols,
                tab["to"],
                tab["cc"],
                tab["bcc"],
                tab["frm"],
                act,
                size,
                tab["att"],
                tab["content"],
            ]
        return [*cols, tab["url"], act, tab["content"]]

    def write_block(
        self, file: str, tab: Table, rng: np.random.Generator, dirty_rng: np.random.Generator
    ) -> None:
        """Sort one block of rows by time, write it, record scenario lines and dirty rows."""
        n = rows(tab)
        if not n:
            return
        tab = dict(tab)
        tab["t"] = shift_out_of_gaps(self.cal, tab["t"])
        tab = take(tab, np.argsort(tab["t"], kind="stable"))
        ids = guids(rng, n)
        lines = [",".join(r) for r in zip(*self._columns(file, tab, ids), strict=True)]
        first_line = self.written[file] + 2  # line 1 is the header
        tags = tab["tag"]
        for pos in np.flatnonzero(tags >= 0).tolist():
            self.event_lines[int(tags[pos])] = (file, first_line + pos, str(ids[pos]))
        baseline = np.flatnonzero(tags < 0)
        still: list[tuple[str, str]] = []
        used: set[int] = set()
        for dfile, kind in self.pending_dirty:
            free = [int(i) for i in baseline[:: max(1, len(baseline) // 64)] if int(i) not in used]
            if dfile != file or not free:
                still.append((dfile, kind))
                continue
            pos = free[int(dirty_rng.integers(len(free)))]
            used.add(pos)
            lines[pos] = _spoil(lines[pos], kind, len(HEADERS[file]))
            self.dirty.append(DirtyRow(file, first_line + pos, kind, str(ids[pos]), lines[pos]))
        self.pending_dirty = still
        self.handles[file].write("\n".join(lines) + "\n")
        self.written[file] += n


def _spoil(line: str, kind: str, width: int) -> str:
    """The malformed version of a row."""
    fields = line.split(",")
    if kind == "truncated":
        cut = line[: max(len(line) // 2, len(fields[0]) + 12)]
        if cut.count(",") + 1 >= width:
            cut = ",".join(fields[:3])
        return cut
    if kind == "bad_date":
        fields[1] = "13" + fields[1][2:]  # month 13 does not exist
        return ",".join(fields)
    if kind == "empty_user":
        fields[2] = ""
        return ",".join(fields)
    raise ValueError(kind)
