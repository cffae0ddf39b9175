"""Stage A of the CERT adapter (numpy finds the leading fields, DuckDB splits and trims
them) gives, for every line it accepts, exactly the fields of splitting the line at its
first commas and stripping spaces and tabs — whatever blanks, commas and quotes a line
holds, and wherever it sits in the chunk."""

from __future__ import annotations

import duckdb
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from keyguard.ingest.cert_layout import LAYOUTS, Layout
from keyguard.ingest.cert_split import fields_sql, split_fields
from keyguard.ingest.lines import LineChunk

LOGON = next(x for x in LAYOUTS if x.kind == "logon")
HTTP = next(x for x in LAYOUTS if x.kind == "http" and x.content and x.variant != "r4.2")

FIELD = st.text(alphabet=' \t,ab"é1/:', max_size=7)


def _chunk(lines: list[bytes]) -> LineChunk:
    data = b"\n".join(lines) + b"\n"
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64)
    return LineChunk(data, starts, ends.astype(np.int64), np.zeros(len(lines), bool), 1, len(data))


def _expected(line: str, layout: Layout) -> list[str] | None:
    """The fields a line must give when it is accepted, or None when it cannot be."""
    k = layout.split_fields
    if layout.content:
        pieces = line.split(",", k)
        if len(pieces) <= k:
            return None
        prefix, content = pieces[:k], pieces[k]
        if content.startswith('"') and not (len(content) >= 2 and content.endswith('"')):
            return None
    else:
        prefix = line.split(",")
        if len(prefix) != k:
            return None
    if any('"' in p for p in prefix) or not line.strip(" \t"):
        return None
    return [p.strip(" \t") for p in prefix]


def _check(lines: list[str], layout: Layout) -> None:
    chunk = _chunk([line.encode() for line in lines])
    table = split_fields(chunk, layout, header_lines=0)
    con = duckdb.connect()
    con.register("kg_fields", table)
    names = [f"f{j}" for j in range(1, layout.split_fields + 1)]
    got = {
        row[0]: (row[1], list(row[2:]))
        for row in con.sql(
            f"SELECT line_no, a_reason, {', '.join(names)} FROM {fields_sql('kg_fields', layout)}"
        ).fetchall()
    }
    for number, line in enumerate(lines, 1):
        want = _expected(line, layout)
        if not line.strip(" \t"):
            assert number not in got  # a blank line is not a row
        elif want is not None:
            assert got[number] == (None, want), line
        else:
            assert got[number][0] is not None, line


@settings(max_examples=150, deadline=None, derandomize=True)
@given(rows=st.lists(st.lists(FIELD, min_size=4, max_size=6), min_size=1, max_size=12))
def test_logon_fields_are_split_and_trimmed(rows: list[list[str]]) -> None:
    _check([",".join(r) for r in rows], LOGON)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    rows=st.lists(
        st.tuples(st.lists(FIELD, min_size=5, max_size=8), st.text(alphabet=' ,a"\t', max_size=6)),
        min_size=1,
        max_size=12,
    )
)
def test_fields_before_the_content_are_split_and_trimmed(
    rows: list[tuple[list[str], str]],
) -> None:
    _check([",".join(fields) + ',"' + content + '"' for fields, content in rows], HTTP)


def test_the_checks_are_not_vacuous() -> None:
    lines = [" a ,\tb, c,d\t,  e", "a,b,c,d,e", "a, ,c,d,e"]
    _check(lines, LOGON)
    assert all(_expected(line, LOGON) is not None for line in lines)
