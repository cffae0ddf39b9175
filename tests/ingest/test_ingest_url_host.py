"""The URL host of web events comes from a fast regular expression where it is sure to agree
with the full one (``URL_HOST_RE``), from the full one elsewhere: always the same host."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from keyguard.ingest.enrich import URL_HOST_FAST_RE, URL_HOST_RE

CASES = [
    "http://www.example.com/p/1/page.html",
    "https://Www.Example.com:8443/x?y=1#z",
    "http://a.example.com",
    "http://a.example.com.",
    "http://a.example.com./x",
    "http://",
    "http:///path",
    "http://.../x",
    "http://user@host/x",
    "http://user:pw@host:80/x",
    "http://host:80@evil/x",
    "http://host?q=a@b",
    "http://host#frag@x",
    "http://:80/x",
    "https://h:/x",
    "HTTP://Upper.example/x",
    "ftp://files.example/x",
    "www.example.com/no-scheme",
    "host:8080",
    "mailto:someone@example.com",
    "http://a b/x",
    "http://[::1]:80/x",
    "",
]

ALPHABET = "ahtps:/.@?#[]-_:0 H"


def _hosts(urls: list[str]) -> list[tuple[str, str]]:
    con = duckdb.connect()
    try:
        rows = con.sql(
            "SELECT regexp_extract(u, $full, 1), CASE WHEN f <> '' AND NOT ends_with(f, '.') "
            "THEN f ELSE regexp_extract(u, $full, 1) END "
            "FROM (SELECT u, regexp_extract(u, $fast, 1) AS f FROM (SELECT unnest($urls) AS u))",
            params={"full": URL_HOST_RE, "fast": URL_HOST_FAST_RE, "urls": urls},
        ).fetchall()
    finally:
        con.close()
    return [(str(a), str(b)) for a, b in rows]


def test_fast_host_agrees_with_the_full_expression_on_tricky_urls() -> None:
    for full, fast in _hosts(CASES):
        assert fast == full


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(ALPHABET, max_size=30),
            st.builds(
                lambda s, t: s + t,
                st.sampled_from(["http://", "https://"]),
                st.text(ALPHABET, max_size=25),
            ),
        ),
        min_size=1,
        max_size=50,
    )
)
def test_fast_host_agrees_with_the_full_expression(urls: list[str]) -> None:
    for full, fast in _hosts(urls):
        assert fast == full
