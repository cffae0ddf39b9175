"""Translations of the user interface (Babel catalogues in ``keyguard/locale``).

The ``.po`` files are the source of truth; they are compiled in memory the first time a
language is used, so a clean checkout needs no build step. Each request renders in one
language (the account's, else the ``kg_lang`` cookie, else the browser's
``Accept-Language``); :func:`gettext`, :func:`ngettext` and :func:`lazy_gettext` use the
language of the request being rendered. See ``docs/i18n.md``.
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
DEFAULT = "en"
#: Languages a person can choose, with their own name for themselves.
LANGUAGES: dict[str, str] = {"en": "English", "zh_Hans_CN": "简体中文"}
LANG_COOKIE = "kg_lang"

_current: ContextVar[str] = ContextVar("keyguard_language", default=DEFAULT)


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=8)
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``language`` (English: the messages themselves)."""
    path = po_path(language)
    if language == DEFAULT or not path.exists():
        return _gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def current_language() -> str:
    return _current.get()


@contextmanager
def language_scope(language: str) -> Iterator[str]:
    """Render (or compute lazy strings) in ``language``."""
    token = _current.set(language if language in LANGUAGES else DEFAULT)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def gettext(message: str, **variables: Any) -> str:
    """``message`` in the current language; ``%(name)s`` placeholders filled from ``variables``."""
    text = translations(_current.get()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    """Singular or plural form for ``n`` in the current language (``%(num)d`` is ``n``)."""
    text = translations(_current.get()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


_ = gettext


def N_(message: str) -> str:
    """Mark ``message`` for the catalogues without translating it here (translate on use)."""
    return message


def lazy_gettext(message: str, **variables: Any) -> LazyProxy:
    """A string translated when it is shown (for module-level labels such as ``NAV``)."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


def html_lang(language: str) -> str:
    """BCP 47 tag for ``<html lang>`` (``zh_Hans_CN`` -> ``zh-Hans-CN``)."""
    return language.replace("_", "-")


def babel_locale(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT)


def negotiate(accept_language: str | None) -> str:
    """The best of :data:`LANGUAGES` for an ``Accept-Language`` header (default English)."""
    if not accept_language:
        return DEFAULT
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, index, tag.strip().lower()))
    for _q, _i, tag in sorted(ranked):
        if tag.startswith("zh") and not any(t in tag for t in ("hant", "-tw", "-hk", "-mo")):
            return "zh_Hans_CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT


def choose_language(
    account_language: str | None, cookie: str | None, accept_language: str | None
) -> str:
    """The account's language, else the cookie's, else the browser's."""
    for candidate in (account_language, cookie):
        if candidate in LANGUAGES:
            return str(candidate)
    return negotiate(accept_language)


# --- Catalogue maintenance (``python -m keyguard.web.i18n``, see docs/i18n.md) -------------

KEYWORDS = ("lazy_gettext", "N_")
SKIP_DIRS = frozenset({"__pycache__", "node_modules"})


def extract(root: Path) -> Any:
    """Every UI message of the source tree at ``root`` (mapping: ``root/babel.cfg``)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (root / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)  # type: ignore[no-untyped-call]
    keywords = {**DEFAULT_KEYWORDS, **dict.fromkeys(KEYWORDS)}

    def wanted(dirpath: str) -> bool:
        name = Path(dirpath).name
        return not name.startswith(".") and name not in SKIP_DIRS

    catalog = Catalog(project="keyguard", charset="utf-8")
    for _file, _line, message, _comments, context in extract_from_dir(
        str(root), method_map, options_map, keywords=keywords, directory_filter=wanted
    ):
        catalog.add(message, None, context=context)
    return catalog


def update_catalogues(root: Path) -> dict[str, int]:
    """Merge newly extracted messages into every catalogue; returns untranslated counts."""
    from babel.messages.pofile import write_po

    template = extract(root)
    missing: dict[str, int] = {}
    for language in LANGUAGES:
        path = po_path(language)
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with path.open("wb") as fh:
            write_po(fh, catalog, sort_output=True, width=100, no_location=True)
        if language != DEFAULT:
            missing[language] = sum(1 for m in catalog if m.id and not _translated(m.string))
    translations.cache_clear()
    return missing


def _translated(string: Any) -> bool:
    if isinstance(string, tuple | list):
        return all(string)
    return bool(string)


if __name__ == "__main__":
    counts = update_catalogues(Path.cwd())
    for lang, n in counts.items():
        print(f"{lang}: {n} message(s) to translate in {po_path(lang)}")
