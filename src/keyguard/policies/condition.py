"""The condition language of a policy: selection names combined with ``and``, ``or``,
``not`` and parentheses, plus two window forms over earlier days (never later ones):

- ``name@14d`` — the selection held on at least one of the last 14 days (today included);
- ``count(name, 30d) >= 3`` — on how many of the last 30 days it held (``>= > <= < ==``).

Parsing gives a small tree; the SQL backends render it, and :func:`satisfiable_with` checks
whether context selections alone could make it true.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

MAX_WINDOW_DAYS = 180

_TOKEN = re.compile(
    r"\s*(?:(?P<days>\d+d\b)|(?P<int>\d+)|(?P<op>>=|<=|==|>|<)|(?P<punct>[()@,])"
    r"|(?P<name>[a-z][a-z0-9_]*))"
)
_OPS: dict[str, Callable[[int, int], bool]] = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
}


class ConditionError(ValueError):
    """A condition that cannot be parsed; ``offset`` is the 0-based character position."""

    def __init__(self, reason: str, offset: int):
        super().__init__(reason)
        self.offset = offset


@dataclass(frozen=True)
class Sel:
    name: str
    days: int = 1  # 1 = today only


@dataclass(frozen=True)
class Count:
    name: str
    days: int
    op: str
    value: int


@dataclass(frozen=True)
class Not:
    arg: Node


@dataclass(frozen=True)
class And:
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    args: tuple[Node, ...]


Node = Sel | Count | Not | And | Or


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ConditionError(f"unexpected character {text[pos:].strip()[0]!r}", pos)
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, kind: str | None = None, value: str | None = None) -> tuple[str, str, int]:
        tok = self.peek()
        if tok is None:
            want = value or kind or "more"
            raise ConditionError(f"condition ends early: expected {want}", len(self.text))
        if (kind and tok[0] != kind) or (value and tok[1] != value):
            raise ConditionError(f"expected {value or kind}, found {tok[1]!r}", tok[2])
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.or_()
        tok = self.peek()
        if tok is not None:
            raise ConditionError(f"unexpected {tok[1]!r}", tok[2])
        return node

    def or_(self) -> Node:
        args = [self.and_()]
        while (tok := self.peek()) and tok[1] == "or":
            self.i += 1
            args.append(self.and_())
        return args[0] if len(args) == 1 else Or(tuple(args))

    def and_(self) -> Node:
        args = [self.not_()]
        while (tok := self.peek()) and tok[1] == "and":
            self.i += 1
            args.append(self.not_())
        return args[0] if len(args) == 1 else And(tuple(args))

    def not_(self) -> Node:
        tok = self.peek()
        if tok and tok[1] == "not":
            self.i += 1
            return Not(self.not_())
        return self.atom()

    def _days(self) -> int:
        _kind, value, pos = self.take("days")
        days = int(value[:-1])
        if not 1 <= days <= MAX_WINDOW_DAYS:
            raise ConditionError(f"window {value} must be 1d to {MAX_WINDOW_DAYS}d", pos)
        return days

    def atom(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise ConditionError("condition ends early: expected a selection", len(self.text))
        if tok[1] == "(":
            self.i += 1
            node = self.or_()
            self.take("punct", ")")
            return node
        if tok[1] == "count":
            self.i += 1
            self.take("punct", "(")
            name = self.take("name")[1]
            self.take("punct", ",")
            days = self._days()
            self.take("punct", ")")
            op = self.take("op")[1]
            value = int(self.take("int")[1])
            return Count(name, days, op, value)
        if tok[0] != "name" or tok[1] in ("and", "or", "not"):
            raise ConditionError(f"expected a selection name, found {tok[1]!r}", tok[2])
        self.i += 1
        nxt = self.peek()
        if nxt and nxt[1] == "@":
            self.i += 1
            return Sel(tok[1], self._days())
        return Sel(tok[1])


def parse(text: str) -> Node:
    """Parse a condition; raise :class:`ConditionError` with the offending position."""
    return _Parser(text).parse()


def walk(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, Not):
        yield from walk(node.arg)
    elif isinstance(node, And | Or):
        for arg in node.args:
            yield from walk(arg)


def names(node: Node) -> set[str]:
    """Selection names the condition refers to."""
    return {n.name for n in walk(node) if isinstance(n, Sel | Count)}


def lookback(node: Node) -> int:
    """The most days back the condition looks (1 = today only)."""
    return max((n.days for n in walk(node) if isinstance(n, Sel | Count)), default=1)


def evaluate(node: Node, truth: dict[str, bool], count_ok: Callable[[Count], bool]) -> bool:
    if isinstance(node, Sel):
        return truth[node.name]
    if isinstance(node, Count):
        return count_ok(node)
    if isinstance(node, Not):
        return not evaluate(node.arg, truth, count_ok)
    if isinstance(node, And):
        return all(evaluate(a, truth, count_ok) for a in node.args)
    return any(evaluate(a, truth, count_ok) for a in node.args)


def satisfiable_with(node: Node, free: set[str]) -> bool:
    """Whether the condition can be true when only the selections in ``free`` may hold
    (every other selection is false on every day)."""
    used = sorted(names(node) & free)

    def count_ok(c: Count) -> bool:
        if c.name not in free:
            return _OPS[c.op](0, c.value)
        return any(_OPS[c.op](k, c.value) for k in range(c.days + 1))

    for values in itertools.product((False, True), repeat=len(used)):
        truth = dict.fromkeys(names(node), False)
        truth.update(zip(used, values, strict=True))
        if evaluate(node, truth, count_ok):
            return True
    return False
