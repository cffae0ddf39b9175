"""The line reader: physical lines, numbered, in bounded chunks, whatever the block size."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from keyguard.ingest.lines import BOM, LineSource, head_lines


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
