"""Web site categories: the fixed category list, its shipped domains and the host matcher.

The data lives in ``library/sites/categories.yaml``. Officers may add domains to existing
categories through extra YAML files (``{category: [domain, ...]}``); a category that is not
in :data:`CATEGORIES` is refused, and so is any category about health, religion, politics,
ethnicity, nationality, union membership or personality.

Imports only ``keyguard.errors``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from keyguard.errors import InputError

#: LibYAML's loader when PyYAML was built with it (much faster), else the pure-Python one.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

CATEGORIES_FILE = Path(__file__).with_name("sites") / "categories.yaml"

CATEGORIES: tuple[str, ...] = (
    "cloud_storage",
    "file_sharing",
    "leak_site",
    "job_search",
    "hacking_tools",
    "webmail",
    "search",
    "news",
    "social_media",
    "shopping",
    "business",
    "software",
    "reference",
    "travel",
    "entertainment",
)
"""The fixed categories, in display order. Sites can be added; categories cannot."""

_FORBIDDEN = (
    "health",
    "medic",
    "religio",
    "church",
    "politic",
    "party",
    "ethnic",
    "race",
    "nation",
    "union",
    "personality",
)
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def _check_category_name(name: str, file: str) -> None:
    lowered = name.lower()
    for word in _FORBIDDEN:
        if word in lowered:
            raise InputError(file, f"category {name!r} is about a protected trait ({word}*)")
    if name not in CATEGORIES:
        raise InputError(file, f"unknown category {name!r}: sites may be added, categories may not")


def _domains(value: Any, category: str, file: str) -> list[str]:
    if not isinstance(value, list):
        raise InputError(file, f"category {category!r}: domains must be a list")
    out: list[str] = []
    for item in value:
        domain = normalise_host(str(item))
        if not _DOMAIN.match(domain):
            raise InputError(file, f"category {category!r}: {item!r} is not a domain name")
        out.append(domain)
    return out


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (a safe loader)
    except FileNotFoundError as exc:
        raise InputError(str(path), "file not found") from exc
    except yaml.YAMLError as exc:
        raise InputError(str(path), f"invalid YAML: {exc}") from exc


def _merge(
    target: dict[str, list[str]],
    owner: dict[str, str],
    category: str,
    domains: list[str],
    file: str,
) -> None:
    for domain in domains:
        previous = owner.get(domain)
        if previous is not None and previous != category:
            raise InputError(file, f"{domain!r} is in both {previous!r} and {category!r}")
        if previous is None:
            owner[domain] = category
            target[category].append(domain)


def load_categories(extra: Iterable[str | Path] = ()) -> dict[str, list[str]]:
    """The fixed categories with their domains (shipped file plus officers' extra files)."""
    file = str(CATEGORIES_FILE)
    data = _read_yaml(CATEGORIES_FILE)
    if not isinstance(data, dict) or not isinstance(data.get("categories"), dict):
        raise InputError(file, "expected a mapping with a 'categories' mapping")
    shipped: dict[str, Any] = data["categories"]
    for name in shipped:
        _check_category_name(str(name), file)
    missing = [name for name in CATEGORIES if name not in shipped]
    if missing:
        raise InputError(file, f"missing categories: {', '.join(missing)}")
    result: dict[str, list[str]] = {name: [] for name in CATEGORIES}
    owner: dict[str, str] = {}
    for name in CATEGORIES:
        entry = shipped[name]
        raw = entry.get("domains") if isinstance(entry, dict) else entry
        _merge(result, owner, name, _domains(raw, name, file), file)
    for path in extra:
        extra_file = str(path)
        doc = _read_yaml(Path(path))
        if isinstance(doc, dict) and isinstance(doc.get("categories"), dict):
            doc = doc["categories"]
        if not isinstance(doc, dict):
            raise InputError(extra_file, "expected a mapping of category to list of domains")
        for name, value in doc.items():
            _check_category_name(str(name), extra_file)
            raw = value.get("domains") if isinstance(value, dict) else value
            _merge(result, owner, str(name), _domains(raw, str(name), extra_file), extra_file)
    return result


def normalise_host(host: str) -> str:
    """Lower-case host name without scheme, user, port, path or trailing dot."""
    text = host.strip().lower()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    if ":" in text:
        text = text.split(":", 1)[0]
    return text.rstrip(".")


def make_matcher(categories: Mapping[str, Iterable[str]]) -> Callable[[str], str | None]:
    """A fast ``host -> category`` function for the given categories (longest suffix wins)."""
    index: dict[str, str] = {}
    for category, domains in categories.items():
        for domain in domains:
            index[normalise_host(domain)] = category

    def match(host: str) -> str | None:
        labels = normalise_host(host).split(".")
        for i in range(len(labels)):
            found = index.get(".".join(labels[i:]))
            if found is not None:
                return found
        return None

    return match


@lru_cache(maxsize=1)
def _default_matcher() -> Callable[[str], str | None]:
    return make_matcher(load_categories())


def category_of(host: str, categories: Mapping[str, Iterable[str]] | None = None) -> str | None:
    """Category of a host (or URL) by suffix match on whole domain labels, else None."""
    if categories is None:
        return _default_matcher()(host)
    return make_matcher(categories)(host)
