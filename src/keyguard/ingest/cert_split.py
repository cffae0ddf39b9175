"""Stage A of the CERT adapter: split each line of a chunk at its first N-1 commas with
vectorised byte operations (numpy), never touching the content column, and hand the leading
fields to DuckDB as Arrow string views that point into the chunk's buffer (no copy).

A line whose leading fields contain a quote goes to Python's ``csv`` module instead
(reason ``@csv``); a structural problem (too long, not UTF-8, wrong column count, broken
quoting of the content column) becomes the line's ``a_reason``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from keyguard.ingest.cert_layout import Layout
from keyguard.ingest.lines import LineChunk, is_blank, too_long_reason

CSV_FALLBACK = "@csv"
NOT_UTF8 = "not UTF-8 text"
BROKEN_CONTENT = "broken quoting in the content column"
COMMA, QUOTE = 44, 34


def windows_of(arr: np.ndarray) -> np.ndarray:
    """Every 12-byte window of ``arr`` (zero padded at the end), for :func:`string_views`."""
    padded = np.concatenate((arr, np.zeros(12, dtype=np.uint8)))
    return np.lib.stride_tricks.sliding_window_view(padded, 12)


def string_views(data: bytes, windows: np.ndarray, begin: np.ndarray, end: np.ndarray) -> pa.Array:
    """Arrow ``string_view`` array of ``data[begin[i]:end[i]]`` (valid UTF-8 required):
    strings of up to 12 bytes inline, longer ones as (prefix, buffer 0, offset)."""
    n = len(begin)
    length = (end - begin).astype(np.int32)
    head = windows[begin] * (np.arange(12, dtype=np.uint8)[None, :] < length[:, None])
    words = np.ascontiguousarray(head).view(np.int32).reshape(n, 3)
    long = length > 12
    views = np.empty((n, 4), dtype=np.int32)
    views[:, 0] = length
    views[:, 1] = words[:, 0]
    views[:, 2] = np.where(long, 0, words[:, 1])
    views[:, 3] = np.where(long, begin.astype(np.int32), words[:, 2])
    return pa.Array.from_buffers(
        pa.string_view(), n, [None, pa.py_buffer(views.tobytes()), pa.py_buffer(data)]
    )


def invalid_utf8(chunk: LineChunk, arr: np.ndarray) -> np.ndarray:
    """Lines that are not valid UTF-8 (checked one by one only where non-ASCII bytes are)."""
    bad = np.zeros(len(chunk), dtype=bool)
    if len(arr) == 0 or int(arr.max()) < 0x80:
        return bad
    high = np.flatnonzero(arr >= 0x80)
    rows = np.unique(np.searchsorted(chunk.ends, high, side="left"))
    for i in rows.tolist():
        if i < len(chunk):
            try:
                chunk.line(i).decode("utf-8")
            except UnicodeDecodeError:
                bad[i] = True
    return bad


def _is_blank_byte(b: np.ndarray) -> np.ndarray:
    """Space or tab (what ``np.isin(b, (32, 9))`` says, without its sorting)."""
    blank: np.ndarray = (b == 32) | (b == 9)
    return blank


def _trim(arr: np.ndarray, begin: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Field bounds without leading and trailing spaces and tabs."""
    if len(arr) == 0:
        return begin, end
    last = len(arr) - 1
    begin, end = begin.copy(), end.copy()
    active = np.arange(len(begin))
    while len(active):
        b = begin[active]
        blank = (b < end[active]) & _is_blank_byte(arr[np.minimum(b, last)])
        active = active[blank]
        begin[active] += 1
    active = np.arange(len(end))
    while len(active):
        e = end[active]
        blank = (e > begin[active]) & _is_blank_byte(arr[np.maximum(e - 1, 0)])
        active = active[blank]
        end[active] -= 1
    return begin, end


def split_fields(chunk: LineChunk, layout: Layout, header_lines: int) -> pa.Table:
    """``line_no``, ``a_reason`` and ``f1..fk`` (without surrounding spaces) for every
    non-blank data line of a chunk."""
    data = chunk.data
    arr = np.frombuffer(data, dtype=np.uint8)
    starts, ends = chunk.starts, chunk.ends
    n = len(chunk)
    line_no = chunk.line_no
    length = ends - starts
    take = (line_no > header_lines) & (length > 0)
    commas = np.flatnonzero(arr == COMMA)
    quotes = np.flatnonzero(arr == QUOTE)
    big = len(arr) + 1
    c_ext = np.append(commas, big)
    q_ext = np.append(quotes, big)
    ci = np.searchsorted(commas, starts)
    nc = np.searchsorted(commas, ends) - ci
    for i in np.flatnonzero(take & (nc == 0)).tolist():
        if is_blank(chunk.line(i)):
            take[i] = False

    k = layout.split_fields
    if layout.content:
        enough = nc >= k
        prefix_end = np.where(enough, c_ext[np.minimum(ci + k - 1, len(commas))], ends)
    else:
        enough = nc == k - 1
        prefix_end = ends
    first_quote = q_ext[np.searchsorted(quotes, starts)]
    quoted = first_quote < prefix_end

    reason = np.full(n, None, dtype=object)
    too_long = chunk.too_long
    not_utf8 = invalid_utf8(chunk, arr) & ~too_long
    reason[not_utf8] = NOT_UTF8
    reason[too_long] = too_long_reason()
    free = ~(too_long | not_utf8)
    reason[free & quoted] = CSV_FALLBACK
    free &= ~quoted
    for i in np.flatnonzero(free & ~enough).tolist():
        reason[i] = f"expected {layout.width} columns, found {int(nc[i]) + 1}"
    free &= enough
    if layout.content:
        cstart = prefix_end + 1
        opens = (cstart < ends) & (arr[np.minimum(cstart, max(len(arr) - 1, 0))] == QUOTE)
        closes = (ends - cstart >= 2) & (arr[np.maximum(ends - 1, 0)] == QUOTE)
        broken = free & opens & ~closes
        reason[broken] = BROKEN_CONTENT
        free &= ~broken

    rows = np.flatnonzero(take)
    cols: dict[str, pa.Array] = {
        "line_no": pa.array(line_no[rows], pa.int64()),
        "a_reason": pa.array(reason[rows], pa.string()),
    }
    good = free[rows]
    ci_r = ci[rows]
    windows = windows_of(arr)
    for j in range(k):
        begin = starts[rows] if j == 0 else c_ext[np.minimum(ci_r + j - 1, len(commas))] + 1
        if j < k - 1 or layout.content:
            end = c_ext[np.minimum(ci_r + j, len(commas))]
        else:
            end = ends[rows]
        begin, end = _trim(arr, np.where(good, begin, 0), np.where(good, end, 0))
        cols[f"f{j + 1}"] = string_views(data, windows, begin, end)
    return pa.table(cols)
