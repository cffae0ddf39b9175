"""Where a register item lives, as patterns, and how an accessed object matches them.

Semantics (docs/register.md, tested in tests/records/register/test_patterns.py):

- matching ignores case; ``\\`` and ``/`` are the same separator;
- ``*`` is the only wildcard and spans separators (``\\\\fs\\p\\*`` covers every file below);
- UNC paths (``\\\\server\\share\\...``), extended paths (``\\\\?\\C:\\...``,
  ``\\\\?\\UNC\\server\\share``), ``file:`` URLs, ``/C:/...`` and ``C:\\...`` normalise to one
  form (``//server/share/...``, ``c:/...``); ``https`` is read as ``http``; repeated
  separators collapse;
- a pattern without ``*`` matches exactly that object; ``doc:ID`` matches a document id;
- a pattern must be anchored (a UNC server, a drive, an absolute path or a URL host, with no
  ``*`` before the first folder), so matching can join on a literal prefix.

The SQL form (:func:`normalise_sql`) gives the same result as :func:`normalise` in DuckDB.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WILDCARD = "*"
KINDS = ("path", "url", "doc")

_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://")
_DRIVE = re.compile(r"^[a-z]:/")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Each step is (regex, replacement) and is applied in order, in Python and in DuckDB (RE2).
_STEPS: tuple[tuple[str, str], ...] = (
    (r"^file:///([a-z]:)", r"\1"),  # file:///c:/x      -> c:/x
    (r"^file://", "//"),  # file://server/share -> //server/share
    (r"^//[?.]/unc/", "//"),  # \\?\UNC\server\share -> //server/share
    (r"^//[?.]/([a-z]:)", r"\1"),  # \\?\C:\x -> c:/x
    (r"^/([a-z]:/)", r"\1"),  # /c:/x -> c:/x
    (r"^https://", "http://"),
)
_HEAD = r"^(//|[a-z][a-z0-9+.\-]*://)?(.*)$"


class PatternError(ValueError):
    """A location pattern that cannot be used; the message says why."""


def normalise(text: str) -> str:
    """The comparable form of a path, URL or document id (see the module docstring)."""
    s = text.strip().lower().replace("\\", "/")
    for pattern, repl in _STEPS:
        s = re.sub(pattern, repl.replace("\\1", r"\g<1>"), s, count=1)
    m = re.match(_HEAD, s, flags=re.DOTALL)
    assert m is not None
    head, rest = m.group(1) or "", m.group(2)
    return head + re.sub("/+", "/", rest)


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_lower_slashes(x: str) -> str:
    """Stage 1 of :func:`normalise_sql`: trimmed, lower case, ``/`` separators."""
    return f"replace(lower(trim({x})), '\\', '/')"


def sql_prefixes(x: str) -> str:
    """Stage 2: the prefix rewrites of ``_STEPS``, run only on values that start with one."""
    steps = x
    for pattern, repl in _STEPS:
        steps = f"regexp_replace({steps}, {_sql_str(pattern)}, {_sql_str(repl)})"
    starts = " OR ".join(
        f"starts_with({x}, '{p}')" for p in ("file://", "//?/", "//./", "https://")
    )
    return f"CASE WHEN {starts} OR {x} LIKE '/_:/%' THEN {steps} ELSE {x} END"


def sql_collapse(x: str) -> str:
    """Stage 3: repeated separators collapse (the UNC ``//`` and ``scheme://`` stay)."""
    collapse = (
        f"coalesce(regexp_extract({x}, {_sql_str(_HEAD)}, 1), '') || "
        f"regexp_replace(regexp_extract({x}, {_sql_str(_HEAD)}, 2), '/+', '/', 'g')"
    )
    return (
        f"CASE WHEN strpos(substr(replace({x}, '://', ':/'), 2), '//') > 0 "
        f"THEN {collapse} ELSE {x} END"
    )


def normalise_sql(expr: str) -> str:
    """A DuckDB expression giving :func:`normalise` of the SQL expression ``expr`` (the
    three stages nested; queries over many rows use the stages as successive columns)."""
    return sql_collapse(f"({sql_prefixes(f'({sql_lower_slashes(expr)})')})")


@dataclass(frozen=True)
class Pattern:
    """A compiled location: ``anchor`` is the literal text up to the last separator before
    the first ``*`` (the join key); ``like`` the SQL LIKE form (escape character ``\\``)."""

    kind: str
    original: str
    normalised: str
    anchor: str
    exact: bool
    like: str

    def matches(self, obj: str) -> bool:
        """Whether the object (path, URL or document id) is covered by this pattern."""
        value = normalise(obj)
        if self.exact:
            return value == self.normalised
        parts = [re.escape(p) for p in self.normalised.split(WILDCARD)]
        return re.fullmatch(".*".join(parts), value, flags=re.DOTALL) is not None


def like_pattern(normalised: str) -> str:
    """The SQL LIKE form of a normalised pattern (escape character ``\\``)."""
    out = []
    for ch in normalised:
        if ch == WILDCARD:
            out.append("%")
        elif ch in "%_\\":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def compile_pattern(text: str) -> Pattern:
    """Check and compile one location; raises :class:`PatternError` with the reason."""
    raw = text.strip()
    if not raw:
        raise PatternError("the location is empty")
    if _CONTROL.search(raw):
        raise PatternError("the location contains control characters")
    if raw.lower().startswith("doc:"):
        doc = normalise(raw[4:])
        if not doc or WILDCARD in doc:
            raise PatternError("a document id (doc:ID) needs an id and no '*'")
        return Pattern("doc", raw, doc, "", True, like_pattern(doc))
    norm = re.sub(r"\*+", WILDCARD, normalise(raw))
    kind = "url" if _SCHEME.match(norm) and not norm.startswith("file:") else "path"
    if kind == "url":
        scheme_end = norm.index("://") + 3
        host = norm[scheme_end:].split("/", 1)[0]
        if not host or WILDCARD in host:
            raise PatternError(f"{raw!r}: a URL pattern needs a literal host (no '*' in it)")
        root = norm[:scheme_end]  # a whole host may be one item
    elif norm.startswith("//"):
        server = norm[2:].split("/", 1)[0]
        if not server or WILDCARD in server:
            raise PatternError(f"{raw!r}: a UNC pattern needs a literal server (no '*' in it)")
        root = f"//{server}/"
    elif _DRIVE.match(norm):
        root = norm[:3]
    elif norm.startswith("/"):
        root = "/"
    else:
        raise PatternError(f"{raw!r} is not an absolute path, UNC path, drive path, URL or doc:ID")
    star = norm.find(WILDCARD)
    exact = star < 0
    literal = norm if exact else norm[:star]
    anchor = literal[: literal.rfind("/") + 1]
    if not exact and len(anchor) <= len(root):
        raise PatternError(
            f"{raw!r}: '*' must come after the first folder (it would match a whole "
            "server, drive or file system)"
        )
    return Pattern(kind, raw, norm, anchor, exact, like_pattern(norm))


def split_locations(cell: str) -> list[str]:
    """The locations in one CSV cell: several are separated by `` | ``."""
    return [part.strip() for part in cell.split(" | ") if part.strip()]
