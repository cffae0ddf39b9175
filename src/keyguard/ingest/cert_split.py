"""Stage A of the CERT adapter: find each line's leading fields (up to the comma before the
content column) with vectorised byte operations (numpy), never touching the content, and
hand them to DuckDB as one Arrow string view per line pointing into the chunk's buffer (no
copy); :func:`fields_sql` splits them at the commas and trims spaces and tabs where
:func:`split_fields` saw any at a field's border.

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


#: ``_MASKS[k]`` keeps the first ``k`` bytes (0-4) of a little-endian 32-bit word.
_MASKS = np.array([0, 0xFF, 0xFFFF, 0xFFFFFF, -1], dtype=np.int32)


def words_of(arr: np.ndarray) -> np.ndarray:
    """The little-endian 32-bit word starting at every byte of ``arr`` (zero padded at the
    end): an unaligned view with a stride of one byte, for :func:`string_views`."""
    padded = np.concatenate((arr, np.zeros(16, dtype=np.uint8)))
    return np.ndarray((len(arr) + 12,), dtype="<i4", buffer=padded.data, strides=(1,))


def string_views(data: bytes, words: np.ndarray, begin: np.ndarray, end: np.ndarray) -> pa.Array:
    """Arrow ``string_view`` array of ``data[begin[i]:end[i]]`` (valid UTF-8 required):
    strings of up to 12 bytes inline (zero padded), longer ones as (first 4 bytes, buffer 0,
    offset). ``words`` is :func:`words_of` the bytes of ``data``."""
    n = len(begin)
    length = (end - begin).astype(np.int32)
    long = length > 12
    views = np.empty((n, 4), dtype=np.int32)
    views[:, 0] = length
    for k in range(3):  # bytes 4k..4k+3 of the string: only the valid ones kept
        word = words[begin + 4 * k] & _MASKS[np.clip(length - 4 * k, 0, 4)]
        if k == 0:
            views[:, 1] = word
        else:
            views[:, k + 1] = np.where(long, 0 if k == 1 else begin.astype(np.int32), word)
    return pa.Array.from_buffers(
        pa.string_view(), n, [None, pa.py_buffer(views), pa.py_buffer(data)]
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


def split_fields(chunk: LineChunk, layout: Layout, header_lines: int) -> pa.Table:
    """For every non-blank data line of a chunk: ``line_no``, ``a_reason``, ``prefix`` (the
    leading fields with the commas between them; empty where ``a_reason`` is set) and
    ``kg_trim`` (a field of the prefix starts or ends with a space or tab)."""
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
    good = free[rows]
    begin = np.where(good, starts[rows], 0)
    end = np.where(good, prefix_end[rows], 0)
    return pa.table(
        {
            "line_no": pa.array(line_no[rows], pa.int64()),
            "a_reason": pa.array(reason[rows], pa.string()),
            "prefix": string_views(data, words_of(arr), begin, end),
            "kg_trim": pa.array(good & _blank_borders(arr, commas, ci[rows], begin, end, layout)),
        }
    )


def _blank_borders(
    arr: np.ndarray,
    commas: np.ndarray,
    ci: np.ndarray,
    begin: np.ndarray,
    end: np.ndarray,
    layout: Layout,
) -> np.ndarray:
    """Whether a prefix ``arr[begin:end]`` whose first comma is ``commas[ci]`` has a space
    or tab at the border of one of its fields (meaningful for complete prefixes only). The
    bytes beside every comma are looked at once, then summed per line."""
    if len(arr) == 0:
        return np.zeros(len(ci), dtype=bool)
    last = len(arr) - 1
    after = _is_blank_byte(arr[np.minimum(commas + 1, last)]) & (commas < last)
    before = _is_blank_byte(arr[np.maximum(commas - 1, 0)]) & (commas > 0)
    after_sum = np.concatenate(([0], np.cumsum(after)))
    before_sum = np.concatenate(([0], np.cumsum(before)))
    k = layout.split_fields
    top = len(commas)
    # the k-1 commas between the fields; with content also the comma before the content
    inner = np.minimum(ci + k - 1, top)
    closing = np.minimum(ci + k, top) if layout.content else inner
    lo = np.minimum(ci, top)
    blank = (after_sum[inner] - after_sum[lo] > 0) | (before_sum[closing] - before_sum[lo] > 0)
    blank |= _is_blank_byte(arr[np.minimum(begin, last)])  # the first field's start
    if not layout.content:  # the last field ends the line
        blank |= _is_blank_byte(arr[np.clip(end - 1, 0, last)])
    result: np.ndarray = blank
    return result


def fields_sql(relation: str, layout: Layout) -> str:
    """``line_no``, ``a_reason`` and ``f1..fk`` (without surrounding spaces and tabs) of
    :func:`split_fields`'s rows in ``relation``, split by DuckDB."""
    fields = ", ".join(
        f"CASE WHEN kg_trim THEN trim(coalesce(kg_s[{j}], ''), ' \t') "
        f"ELSE coalesce(kg_s[{j}], '') END AS f{j}"
        for j in range(1, layout.split_fields + 1)
    )
    return (
        f"(SELECT line_no, a_reason, {fields} FROM "
        f"(SELECT line_no, a_reason, kg_trim, string_split(prefix, ',') AS kg_s FROM {relation}))"
    )
