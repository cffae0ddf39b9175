"""The file layouts of the CMU CERT Insider Threat Test Dataset, r4.2 to r6.2, and how a
file's layout is recognised: from its header, or — for a file without one — from the column
count of its first lines, confirmed by the activity column where the layouts differ.

``content`` layouts end with a free-text column (mail body, page words, file contents);
that column is never parsed or kept, and in r4.2 it is unquoted and may contain commas, so
a row is split at its first N-1 commas only.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from keyguard.errors import InputError
from keyguard.ingest.lines import head_lines


@dataclass(frozen=True)
class Layout:
    file: str
    kind: str
    variant: str
    columns: tuple[str, ...]
    content: bool
    #: (column, accepted values lower-cased) telling this layout apart without a header
    marker: tuple[str, frozenset[str]] | None = None

    @property
    def width(self) -> int:
        return len(self.columns)

    @property
    def split_fields(self) -> int:
        """Fields split off the front of a row (all but the content column)."""
        return self.width - 1 if self.content else self.width


_BASE = ("id", "date", "user", "pc")
_R6_FILE_ACTS = frozenset({"file open", "file write", "file copy", "file delete"})
_R6_HTTP_ACTS = frozenset({"www visit", "www download", "www upload"})
_DEVICE_ACTS = frozenset({"connect", "disconnect"})
_MAIL_ACTS = frozenset({"send", "view"})

LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "logon.csv",
        "logon",
        "r4.2-r6.2",
        (*_BASE, "activity"),
        False,
        ("activity", frozenset({"logon", "logoff"})),
    ),
    Layout("device.csv", "device", "r4.2", (*_BASE, "activity"), False, ("activity", _DEVICE_ACTS)),
    Layout(
        "device.csv",
        "device",
        "r5.x-r6.2",
        (*_BASE, "file_tree", "activity"),
        False,
        ("activity", _DEVICE_ACTS),
    ),
    Layout("file.csv", "file", "r4.2", (*_BASE, "filename", "content"), True),
    Layout(
        "file.csv",
        "file",
        "r5.x-r6.2",
        (*_BASE, "filename", "activity", "to_removable_media", "from_removable_media", "content"),
        True,
        ("activity", _R6_FILE_ACTS),
    ),
    Layout(
        "email.csv",
        "email",
        "r4.2",
        (*_BASE, "to", "cc", "bcc", "from", "size", "attachments", "content"),
        True,
    ),
    Layout(
        "email.csv",
        "email",
        "r5.x-r6.2",
        (*_BASE, "to", "cc", "bcc", "from", "activity", "size", "attachments", "content"),
        True,
        ("activity", _MAIL_ACTS),
    ),
    Layout("http.csv", "http", "r4.2", (*_BASE, "url", "content"), True),
    Layout(
        "http.csv",
        "http",
        "r5.x-r6.2",
        (*_BASE, "url", "activity", "content"),
        True,
        ("activity", _R6_HTTP_ACTS),
    ),
    Layout("decoy_file.csv", "decoy", "r6.x", ("decoy_filename", "pc"), False),
    Layout(
        "psychometric.csv",
        "psychometric",
        "r4.2-r6.2",
        ("employee_name", "user_id", "O", "C", "E", "A", "N"),
        False,
    ),
)

FILES = tuple(dict.fromkeys(layout.file for layout in LAYOUTS))
ACTIVITY_FILES = ("logon.csv", "device.csv", "file.csv", "email.csv", "http.csv")


def layouts_of(file: str) -> list[Layout]:
    return [layout for layout in LAYOUTS if layout.file == file]


def _split(line: str, layout: Layout) -> list[str] | None:
    """Fields of a sample line as the adapter will see them (quotes honoured)."""
    try:
        fields = next(csv.reader([line], strict=True))
    except (csv.Error, StopIteration):
        return None
    if layout.content and len(fields) > layout.width:
        fields = [*fields[: layout.width - 1], ",".join(fields[layout.width - 1 :])]
    return fields


def _fits(line: str, layout: Layout) -> bool:
    fields = _split(line, layout)
    if fields is None or len(fields) != layout.width:
        return False
    if layout.marker is None:
        return True
    column, values = layout.marker
    return fields[layout.columns.index(column)].strip().lower() in values


def _is_header(fields: list[str], layout: Layout) -> bool:
    return tuple(f.strip().lower() for f in fields) == tuple(c.lower() for c in layout.columns)


def detect(path: Path, name: str) -> tuple[Layout, int]:
    """The layout of CERT file ``name`` at ``path`` and how many header lines it has."""
    candidates = layouts_of(name)
    try:
        lines = head_lines(path)
    except OSError as exc:
        raise InputError(str(path), f"cannot read the file ({exc.strerror or exc})") from exc
    if not lines:
        raise InputError(str(path), "the file is empty")
    try:
        first = lines[0].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), "the first line is not UTF-8 text", line=1) from exc
    head = next(csv.reader([first]), [])
    for layout in candidates:
        if _is_header(head, layout):
            return layout, 1
    if head and head[0].strip().lower() in ("id", "decoy_filename", "employee_name"):
        releases = " or ".join(lt.variant for lt in candidates)
        raise InputError(str(path), f"not the header of a CERT {name} ({releases})", line=1)
    texts = [s.decode("utf-8", "replace") for s in lines]
    votes = Counter(lt.variant for lt in candidates for s in texts if _fits(s, lt))
    if not votes:
        widths = " or ".join(str(lt.width) for lt in candidates)
        raise InputError(
            str(path),
            f"no header and the first rows do not have the {widths} columns of a CERT {name}",
            line=1,
        )
    best = max(candidates, key=lambda lt: (votes.get(lt.variant, 0), lt.width))
    return best, 0
