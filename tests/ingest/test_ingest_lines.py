"""The line reader: physical lines, numbered, in bounded chunks, whatever the block size."""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keyguard.ingest.lines import BOM, LineChunk, LineSource, head_lines
from keyguard.ingest.staging import BackgroundWriter


def reference(data: bytes) -> list[bytes]:
    if data.startswith(BOM):
        data = data[len(BOM) :]
    pieces = data.split(b"\n")
    if pieces[-1] == b"":
        pieces.pop()
    return [p.removesuffix(b"\r") for p in pieces]


def read_all(path: Path, block: int, max_line: int) -> tuple[list[tuple[int, bytes, bool]], str]:
    src = LineSource(path, block=block, max_line=max_line)
    out = []
    for chunk in src:
        out += list(
            zip(chunk.line_no.tolist(), chunk.lines(), chunk.too_long.tolist(), strict=True)
        )
    return out, src.sha256


@settings(max_examples=150, deadline=None)
@given(
    data=st.binary(max_size=400).map(lambda b: b.replace(b"\x01", b"\n")),
    block=st.integers(min_value=1, max_value=64),
    bom=st.booleans(),
)
def test_lines_match_a_plain_split(data: bytes, block: int, bom: bool) -> None:
    if bom:
        data = BOM + data
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f"
        path.write_bytes(data)
        got, digest = read_all(path, block, max_line=10**6)
    assert [line for _, line, _ in got] == reference(data)
    assert [n for n, _, _ in got] == list(range(1, len(got) + 1))
    assert not any(long for _, _, long in got)
    assert digest == hashlib.sha256(data).hexdigest()


def test_long_lines_are_cut_and_flagged(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"short\n" + b"x" * 10_000 + b"\nafter\r\n" + b"y" * 9000)
    for block in (7, 100, 1 << 20):
        got, _ = read_all(path, block, max_line=5000)
        assert [(n, len(line), long) for n, line, long in got] == [
            (1, 5, False),
            (2, 4096, True),
            (3, 5, False),
            (4, 4096, True),
        ], block


def test_head_lines_skips_blank_lines_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(BOM + b"\r\n  \nfirst\r\nsecond\n")
    assert head_lines(path) == [b"first", b"second"]


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=300).map(lambda b: b.replace(b"\x01", b"\n")),
    block=st.integers(min_value=1, max_value=40),
)
def test_concatenated_chunks_hold_the_same_lines(data: bytes, block: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f"
        path.write_bytes(data)
        chunks = list(LineSource(path, block=block, max_line=10**6))
    if not chunks:
        return
    whole = LineChunk.concat(chunks)
    assert whole.lines() == reference(data)
    assert whole.line_no.tolist() == list(range(1, len(whole) + 1))
    assert whole.offset == chunks[-1].offset


def test_background_writer_keeps_order_and_raises_the_first_error() -> None:
    done: list[int] = []
    writer = BackgroundWriter(depth=1)
    for i in range(5):
        writer.submit(lambda i=i: done.append(i))
    writer.finish()
    assert done == [0, 1, 2, 3, 4]

    def fail() -> None:
        raise OSError("disk full")

    writer = BackgroundWriter(depth=1)
    writer.submit(fail)
    with contextlib.suppress(OSError):  # refused when the error is already known
        writer.submit(lambda: done.append(99))  # else skipped: it comes after the error
    with pytest.raises(OSError, match="disk full"):
        writer.finish()
    assert 99 not in done
