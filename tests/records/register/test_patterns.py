"""Location pattern semantics: case, separators, UNC and drive letters, '*' across
separators, anchoring; the DuckDB normalisation equals the Python one."""

from __future__ import annotations

import duckdb
import pytest

from keyguard.records.register.patterns import (
    PatternError,
    compile_pattern,
    normalise,
    normalise_sql,
)


@pytest.mark.parametrize(
    ("pattern", "obj"),
    [
        (r"\\FS03\Propulsion\Projects\Kestrel\*", r"\\fs03\propulsion\projects\kestrel\a.docx"),
        (r"\\fs03\propulsion\projects\kestrel\*", "//FS03/Propulsion/Projects/Kestrel/A.DOCX"),
        (r"\\fs03\p\projects\*", r"\\fs03\p\projects\kestrel\deep\er\x.pdf"),  # * spans \
        (r"\\fs03\p\*\plans.txt", r"\\fs03\p\a\b\c\plans.txt"),
        (r"\\fs03\p\proj*\*.pdf", r"\\fs03\p\project-x\sub\f.pdf"),
        (r"\\fs03\share\file.txt", r"\\?\UNC\fs03\share\file.txt"),  # extended UNC
        (r"C:\Users\abc\secret\*", r"c:/users/ABC/Secret/x.xlsx"),  # drive letter case
        (r"C:\Users\abc\secret\*", r"\\?\C:\Users\abc\secret\x.xlsx"),
        (r"C:\Users\abc\secret\*", "file:///C:/Users/abc/secret/x.xlsx"),
        (r"C:\Users\abc\secret\*", "/C:/Users/abc/secret/x.xlsx"),
        (r"\\fs03\share\*", "file://fs03/share/a/b"),
        (r"\\fs03\share\*", r"\\fs03\share\\\double\sep.txt"),
        (
            "http://intranet.example/wiki/kestrel/*",
            "HTTPS://Intranet.Example/wiki/Kestrel/p_1.html",
        ),
        ("doc:DOC-4411", "doc-4411"),
    ],
)
def test_matches(pattern: str, obj: str) -> None:
    assert compile_pattern(pattern).matches(obj)


@pytest.mark.parametrize(
    ("pattern", "obj"),
    [
        (r"\\fs03\propulsion\projects\kestrel\*", r"\\fs03\propulsion\projects\kestrel2\a.docx"),
        (r"\\fs03\propulsion\projects\kestrel\*", r"\\fs04\propulsion\projects\kestrel\a.docx"),
        (r"\\fs03\share\file.txt", r"\\fs03\share\file.txt.bak"),  # exact without *
        (r"C:\Users\abc\secret\*", r"D:\Users\abc\secret\x.xlsx"),
        (r"\\fs03\p\a%b_c\*", r"\\fs03\p\aXbYc\f"),  # % and _ are literal
        ("http://intranet.example/wiki/kestrel/*", "http://intranet.example/wiki/other/p.html"),
    ],
)
def test_does_not_match(pattern: str, obj: str) -> None:
    assert not compile_pattern(pattern).matches(obj)


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("", "empty"),
        ("*", "not an absolute path"),
        (r"projects\x\*", "not an absolute path"),
        (r"\\*\share\x", "literal server"),
        (r"\\fs03\*", "after the first folder"),
        (r"C:\*", "after the first folder"),
        ("/*", "after the first folder"),
        ("http://*.example/x", "literal host"),
        ("doc:", "needs an id"),
        ("\\\\fs03\\a\tb\\*", "control characters"),
    ],
)
def test_invalid_patterns_say_why(pattern: str, reason: str) -> None:
    with pytest.raises(PatternError, match=reason):
        compile_pattern(pattern)


def test_anchor_is_the_literal_folder_before_the_first_star() -> None:
    p = compile_pattern(r"\\FS03\Prop\projects\k*\*.pdf")
    assert p.normalised == "//fs03/prop/projects/k*/*.pdf"
    assert p.anchor == "//fs03/prop/projects/"
    assert p.like == "//fs03/prop/projects/k%/%.pdf"


SAMPLES = [
    r"\\FS03\Propulsion\Projects\X\a.docx",
    r"\\?\UNC\fs03\share\file.txt",
    r"\\?\C:\Users\abc\x.txt",
    r"\\.\C:\Temp\y",
    "file:///C:/Users/abc/secret/x.xlsx",
    "file://fs03/share/a/b",
    "/C:/Users/abc/x",
    "HTTPS://Intranet.Example//wiki///Kestrel/p_1.html",
    "http://x.example/a%20b?q=1",
    "  C:\\Users\\Trailing\\  ",
    "/var//log/syslog",
    "DOC-4411",
    "ÄÖÜ\\Ümlaut",
]


def test_duckdb_normalisation_equals_python() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (object VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[s] for s in SAMPLES])
    got = dict(con.sql(f"SELECT object, {normalise_sql('object')} FROM t").fetchall())
    assert got == {s: normalise(s) for s in SAMPLES}
