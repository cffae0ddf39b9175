"""Reading input files for the org imports: bytes and their SHA-256, text in a declared
encoding (a UTF-8 byte-order mark is accepted), CSV records with their first line, and the
audit-summary scope of a bulk import."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from keyguard.errors import InputError

#: ``progress(file_name, files_done, files_total)`` — called after each input file.
ProgressFn = Callable[[str, int, int], None]

_UNDECODABLE = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True)
class RawFile:
    path: Path
    name: str  # as shown in problems
    data: bytes
    sha256: str


def read_file(path: Path, name: str | None = None) -> RawFile:
    """The file's bytes; a missing or unreadable file is an :class:`InputError`."""
    shown = name or str(path)
    if not path.exists():
        raise InputError(shown, "no such file")
    if not path.is_file():
        raise InputError(shown, "is not a file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(shown, f"cannot read: {exc.strerror or exc}") from exc
    return RawFile(path=path, name=shown, data=data, sha256=hashlib.sha256(data).hexdigest())


def codec_name(encoding: str, file: str) -> str:
    """The codec to decode with; UTF-8 accepts (and drops) a byte-order mark."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError as exc:
        raise InputError(file, f"unknown encoding {encoding!r}") from exc
    return "utf-8-sig" if name in ("utf-8", "utf-8-sig") else name


def decode(raw: RawFile, encoding: str, *, strict: bool = False) -> str:
    """Text of the file. Bytes that are not valid in ``encoding`` survive as markers that
    :func:`undecodable` finds, so only the rows holding them are rejected (``strict``:
    the whole file is refused, naming the line)."""
    codec = codec_name(encoding, raw.name)
    if not strict:
        return raw.data.decode(codec, errors="surrogateescape")
    try:
        return raw.data.decode(codec)
    except UnicodeDecodeError as exc:
        line = raw.data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            raw.name,
            f"not valid {encoding} text (declare the file's encoding with --encoding)",
            line=line,
        ) from exc


def undecodable(values: list[str]) -> bool:
    return _UNDECODABLE.search("\x00".join(values)) is not None


def csv_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """``(first line, fields)`` of each non-blank CSV record; ``csv.Error`` propagates."""
    reader = csv.reader(io.StringIO(text, newline=""))
    prev = 0
    for fields in reader:
        line = prev + 1
        prev = reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue
        yield line, fields


def header_names(fields: list[str]) -> list[str]:
    return [f.strip().lstrip("\ufeff").strip().lower() for f in fields]


def parse_day(value: str, column: str) -> dt.date | None:
    """An ISO date or nothing; raises ``ValueError`` with a reason."""
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10] if "T" in value else value)
    except ValueError:
        raise ValueError(f"{column} {value!r} is not a date (YYYY-MM-DD)") from None


def combined_sha256(files: list[tuple[str, str]]) -> str:
    """One digest for several files: SHA-256 over ``name sha256`` lines, sorted."""
    text = "".join(f"{name} {sha}\n" for name, sha in sorted(files))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@contextmanager
def audit_summary(session: Session, *, action: str, source: str, unit_id: int) -> Iterator[None]:
    """Log one audit entry per flush listing the ids changed (bulk imports)."""
    before = session.info.get("audit_summary")
    session.info["audit_summary"] = {"action": action, "source": source, "unit_id": unit_id}
    try:
        yield
    finally:
        if before is None:
            session.info.pop("audit_summary", None)
        else:
            session.info["audit_summary"] = before
