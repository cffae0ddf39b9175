"""Reading a file as numbered physical lines, in bounded chunks, on a reader thread.

A line ends at ``\\n``; a ``\\r`` just before it is not part of the line; a final line
without ``\\n`` counts. A UTF-8 byte-order mark at the start is skipped. Bytes are not
decoded here — each adapter decides what a non-UTF-8 line means (a reject). A line longer
than :data:`MAX_LINE` bytes is cut to its first :data:`KEEP_OF_LONG` bytes and flagged
``too_long`` (never held whole in memory). The SHA-256 of the whole file is computed on
the way, so every byte is read exactly once.

A chunk is one buffer plus the start and end offset of each line in it (numpy arrays), so
adapters can split fields with vectorised byte operations instead of a loop per line.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

#: Bytes read at a time. Small reads keep less in the reader's and the split's queues (the
#: DuckDB batches combine chunks anyway): 2 MB instead of 8 MB took the 500 MB bench's peak
#: from about 556 to 480 MB at the same speed (docs/ingest.md).
BLOCK = 2 << 20
MAX_LINE = 4 << 20
KEEP_OF_LONG = 4096
BOM = b"\xef\xbb\xbf"
NL, CR = 10, 13
T = TypeVar("T")
R = TypeVar("R")


def is_blank(line: bytes) -> bool:
    """A line of nothing but spaces and tabs is not a row (it is not counted as read)."""
    return not line.strip(b" \t")


def too_long_reason() -> str:
    """The reject reason of a line over :data:`MAX_LINE` bytes."""
    return f"line longer than {MAX_LINE:,} bytes"


@dataclass
class LineChunk:
    """Consecutive lines ``first, first+1, ...``: line ``i`` is ``data[starts[i]:ends[i]]``
    (no line break); ``offset`` is how many bytes of the file were consumed so far."""

    data: bytes
    starts: np.ndarray
    ends: np.ndarray
    too_long: np.ndarray
    first: int
    offset: int

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def line_no(self) -> np.ndarray:
        return np.arange(self.first, self.first + len(self.starts), dtype=np.int64)

    def line(self, i: int) -> bytes:
        return self.data[int(self.starts[i]) : int(self.ends[i])]

    @classmethod
    def concat(cls, chunks: list[LineChunk]) -> LineChunk:
        """Consecutive chunks as one (their bytes copied into one buffer)."""
        if len(chunks) == 1:
            return chunks[0]
        shifts = np.cumsum([0, *(len(c.data) for c in chunks[:-1])])
        return cls(
            b"".join(c.data for c in chunks),
            np.concatenate([c.starts + s for c, s in zip(chunks, shifts, strict=True)]),
            np.concatenate([c.ends + s for c, s in zip(chunks, shifts, strict=True)]),
            np.concatenate([c.too_long for c in chunks]),
            chunks[0].first,
            chunks[-1].offset,
        )

    def lines(self) -> list[bytes]:
        data = self.data
        return [data[s:e] for s, e in zip(self.starts.tolist(), self.ends.tolist(), strict=True)]


def _bounds(buf: bytes, nl: np.ndarray, base: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (without ``\\r\\n``) of the lines ending at newline positions ``nl``."""
    arr = np.frombuffer(buf, dtype=np.uint8)
    starts = np.empty(len(nl), dtype=np.int64)
    if len(nl):
        starts[0] = base
        starts[1:] = nl[:-1] + 1
    ends = nl.astype(np.int64)
    cr = (ends > starts) & (arr[np.maximum(ends - 1, 0)] == CR)
    return starts, ends - cr


class _Reader:
    def __init__(self, path: Path, block: int, max_line: int) -> None:
        self.path = path
        self.block = max(block, len(BOM))
        self.max_line = max_line
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.next_line = 1

    def _make(
        self, data: bytes, starts: np.ndarray, ends: np.ndarray, long: np.ndarray
    ) -> LineChunk:
        chunk = LineChunk(data, starts, ends, long, self.next_line, self.size)
        self.next_line += len(starts)
        return chunk

    def _pieces(self, pieces: list[tuple[bytes, bool]]) -> LineChunk:
        """A chunk built from separate lines (rare: the last line, or very long lines)."""
        texts = []
        for text, long in pieces:
            if not long:
                text = text.removesuffix(b"\n").removesuffix(b"\r")
            texts.append(text)
        lengths = np.array([len(t) for t in texts], dtype=np.int64)
        ends = np.cumsum(lengths)
        long_flags = np.array([lg for _, lg in pieces], dtype=bool)
        return self._make(b"".join(texts), ends - lengths, ends, long_flags)

    def chunks(self) -> Iterator[LineChunk]:
        carry = b""
        skipping = False  # inside a line already reported as too long
        first = True
        with self.path.open("rb") as fh:
            while True:
                data = fh.read(self.block)
                self.sha256.update(data)
                self.size += len(data)
                if not data:
                    if carry and not skipping:
                        yield self._pieces([(carry, False)])
                    return
                if first:
                    first = False
                    if data.startswith(BOM):
                        data = data[len(BOM) :]
                if skipping:
                    cut = data.find(b"\n")
                    if cut < 0:
                        continue
                    data = data[cut + 1 :]
                    skipping = False
                buf = carry + data if carry else data
                nl = np.flatnonzero(np.frombuffer(buf, dtype=np.uint8) == NL)
                if len(nl) == 0:
                    if len(buf) > self.max_line:
                        yield self._pieces([(buf[:KEEP_OF_LONG], True)])
                        carry, skipping = b"", True
                    else:
                        carry = buf
                    continue
                end = int(nl[-1]) + 1
                body, carry = buf[:end], buf[end:]
                starts, ends = _bounds(body, nl)
                long = (ends - starts) > self.max_line
                if long.any():
                    yield self._pieces(
                        [
                            (body[s : s + KEEP_OF_LONG], True) if lg else (body[s : e + 1], False)
                            for s, e, lg in zip(
                                starts.tolist(), nl.tolist(), long.tolist(), strict=True
                            )
                        ]
                    )
                else:
                    yield self._make(body, starts, ends, long)
                if len(carry) > self.max_line:
                    yield self._pieces([(carry[:KEEP_OF_LONG], True)])
                    carry, skipping = b"", True


class LineSource:
    """Iterate a file's line chunks (read ahead on a thread); afterwards ``sha256``,
    ``size`` and ``lines`` describe the whole file."""

    def __init__(
        self, path: Path, *, block: int | None = None, max_line: int | None = None
    ) -> None:
        self._reader = _Reader(path, block or BLOCK, max_line or MAX_LINE)

    @property
    def sha256(self) -> str:
        return self._reader.sha256.hexdigest()

    @property
    def size(self) -> int:
        return self._reader.size

    @property
    def lines(self) -> int:
        return self._reader.next_line - 1

    def __iter__(self) -> Iterator[LineChunk]:
        q: queue.Queue[LineChunk | BaseException | None] = queue.Queue(maxsize=1)
        stop = threading.Event()

        def work() -> None:
            try:
                for chunk in self._reader.chunks():
                    while not stop.is_set():
                        try:
                            q.put(chunk, timeout=0.2)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
                q.put(None)
            except BaseException as exc:  # handed to the consumer, re-raised there
                q.put(exc)

        thread = threading.Thread(target=work, name=f"read {self._reader.path.name}", daemon=True)
        thread.start()
        try:
            while True:
                item = q.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            while thread.is_alive():
                try:
                    q.get_nowait()
                except queue.Empty:
                    thread.join(0.05)


def prefetch(items: Iterator[T], fn: Callable[[T], R], depth: int = 1) -> Iterator[R]:
    """``fn`` applied to ``items`` on a helper thread, ``depth`` results ahead of the
    consumer (numpy and Arrow release the GIL, so this overlaps with the consumer's work)."""
    q: queue.Queue[tuple[R] | BaseException | None] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in items:
                result = (fn(item),)
                while not stop.is_set():
                    try:
                        q.put(result, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(None)
        except BaseException as exc:  # handed to the consumer, re-raised there
            q.put(exc)

    thread = threading.Thread(target=work, name="ingest prepare", daemon=True)
    thread.start()
    try:
        while True:
            got = q.get()
            if got is None:
                return
            if isinstance(got, BaseException):
                raise got
            yield got[0]
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.05)


def head_lines(path: Path, limit: int = 20, max_bytes: int = 1 << 20) -> list[bytes]:
    """The first non-blank lines of a file (BOM removed, ``\\r\\n`` stripped)."""
    with path.open("rb") as fh:
        data = fh.read(max_bytes)
    if data.startswith(BOM):
        data = data[len(BOM) :]
    pieces = data.split(b"\n")
    if len(data) == max_bytes:
        pieces = pieces[:-1]  # the last one may be cut
    out = []
    for line in pieces:
        line = line.rstrip(b"\r\n")
        if line.strip():
            out.append(line)
        if len(out) >= limit:
            break
    return out
