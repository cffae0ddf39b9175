"""The adapter registry: every module in ``keyguard.ingest.adapters`` that defines
``ADAPTER`` is an adapter. An adapter declares, per source it reads, which event fields it
fills, why, and in what form they are kept — the docs and the "What keyguard records" page
read these declarations (hook ``keyguard_recorded_fields``), so they cannot drift apart
from the code."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from keyguard.errors import KeyguardError


@dataclass(frozen=True)
class FieldUse:
    """One event field an adapter fills: what it is for and in what form it is kept."""

    field: str
    purpose: str
    kept: str = "as read"


@dataclass(frozen=True)
class SourceDeclaration:
    """A source an adapter reads (e.g. ``CERT http.csv``) and the fields it fills."""

    source: str
    fields: tuple[FieldUse, ...]
    not_kept: tuple[str, ...] = ()


@dataclass(frozen=True)
class Adapter:
    """A kind of input. ``plan`` turns a path and options into the files to read."""

    name: str
    title: str
    declarations: Callable[[], tuple[SourceDeclaration, ...]]
    plan: Callable[..., Any]


@lru_cache(maxsize=1)
def adapters() -> dict[str, Adapter]:
    """Every adapter, by name."""
    import keyguard.ingest.adapters as pkg

    found: dict[str, Adapter] = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        adapter = getattr(module, "ADAPTER", None)
        if isinstance(adapter, Adapter):
            if adapter.name in found:
                raise KeyguardError(f"two ingest adapters are named {adapter.name!r}")
            found[adapter.name] = adapter
    return found


def get_adapter(name: str) -> Adapter:
    try:
        return adapters()[name]
    except KeyError as exc:
        known = ", ".join(sorted(adapters()))
        raise KeyguardError(f"no ingest adapter {name!r} (known: {known})") from exc


def recorded_fields() -> list[dict[str, Any]]:
    """``{"source", "field", "purpose", "kept"}`` for every field of every adapter's sources;
    columns a source has but keyguard never keeps are listed with ``kept: "never"``."""
    out: list[dict[str, Any]] = []
    for adapter in adapters().values():
        for decl in adapter.declarations():
            for use in decl.fields:
                out.append(
                    {
                        "source": decl.source,
                        "field": use.field,
                        "purpose": use.purpose,
                        "kept": use.kept,
                    }
                )
            for column in decl.not_kept:
                out.append(
                    {
                        "source": decl.source,
                        "field": column,
                        "purpose": "not recorded (proportionality)",
                        "kept": "never",
                    }
                )
    return out
