"""The registry of named, parameterised queries a check may run.

A check (YAML) names a query and gives its parameters; it never carries code or SQL. Each
query is a Python function in a module of this package, registered with :func:`query`,
declaring the inputs it reads and the parameters it accepts (type, default, bounds). It
reads the records with SQLAlchemy Core/ORM and the event store with DuckDB SQL through the
:class:`~keyguard.controls.context.QueryContext`, and returns one :class:`Hit` per subject
(a grant, a person, a host, a log source...), with the evidence rows behind it.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keyguard.controls.context import QueryContext

#: What a check can read. ``people``: the org records (people, LDAP); ``register``: items
#: and grants; ``hosts``: an imported hosts register; ``clearances``; ``training``: courses
#: and training records; ``duties``: duty assignments; ``events``: the unit's event store;
#: ``audit``: keyguard's own audit log (always there).
INPUTS = ("people", "register", "hosts", "clearances", "training", "duties", "events", "audit")

PARAM_TYPES = ("int", "float", "bool", "str", "list", "regexes")


@dataclass(frozen=True)
class Param:
    """One parameter of a query: its type, default, bounds and meaning."""

    type: str
    default: Any
    help: str
    min: float | None = None
    max: float | None = None


@dataclass
class Hit:
    """One subject a query found, with the evidence behind it.

    ``key`` identifies the subject across scans (e.g. ``grant:12``, ``user:abc0001``);
    ``subject`` names it with identities, ``subject_masked`` with pseudonyms. ``owner``
    hints at who answers for it (``person_id``, ``item_id``, ``department_id``).
    """

    key: str
    subject: str
    subject_masked: str
    evidence: list[dict[str, Any]]
    evidence_total: int | None = None
    person_id: int | None = None
    item_id: int | None = None
    department_id: int | None = None
    owner: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


QueryFn = Callable[["QueryContext", dict[str, Any]], list[Hit]]


@dataclass(frozen=True)
class QueryDef:
    name: str
    title: str
    inputs: tuple[str, ...]
    params: dict[str, Param]
    run: QueryFn
    module: str = ""


_REGISTRY: dict[str, QueryDef] = {}


def query(
    name: str, *, title: str, inputs: tuple[str, ...], params: dict[str, Param] | None = None
) -> Callable[[QueryFn], QueryFn]:
    """Register the decorated function as query ``name``."""
    unknown = [i for i in inputs if i not in INPUTS]
    if unknown:
        raise ValueError(f"query {name}: unknown inputs {unknown}")
    for pname, p in (params or {}).items():
        if p.type not in PARAM_TYPES:
            raise ValueError(f"query {name}: parameter {pname} has unknown type {p.type}")

    def wrap(fn: QueryFn) -> QueryFn:
        if name in _REGISTRY and _REGISTRY[name].run is not fn:
            raise ValueError(f"query {name!r} is registered twice")
        _REGISTRY[name] = QueryDef(name, title, inputs, dict(params or {}), fn, fn.__module__)
        return fn

    return wrap


@lru_cache(maxsize=1)
def _load_modules() -> None:
    import keyguard.controls.queries as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{pkg.__name__}.{info.name}")


def registry() -> dict[str, QueryDef]:
    """Every registered query by name (the modules of this package are imported once)."""
    _load_modules()
    return dict(sorted(_REGISTRY.items()))


def check_value(p: Param, value: Any) -> str | None:
    """Why ``value`` does not fit ``p`` (``None`` when it does)."""
    if p.type == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    if p.type == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
    elif p.type == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a number"
    elif p.type == "str":
        return None if isinstance(value, str) and value.strip() else "must be a non-empty text"
    elif p.type in ("list", "regexes"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "must be a list of texts"
        if p.type == "regexes":
            for v in value:
                try:
                    re.compile(v)
                except re.error as exc:
                    return f"{v!r} is not a regular expression ({exc})"
        return None
    if p.min is not None and value < p.min:
        return f"must be at least {p.min:g}"
    if p.max is not None and value > p.max:
        return f"must be at most {p.max:g}"
    return None
