"""Fixtures for the content-library tests: the shipped files and helpers to break copies."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from keyguard.library.content import (
    CourseDoc,
    FrameworkDoc,
    builtin_courses,
    builtin_frameworks,
    load_course,
    load_frameworks,
)


def framework_path(slug: str) -> Path:
    (path,) = [p for p in builtin_frameworks() if p.stem == slug]
    return path


@pytest.fixture(scope="session")
def frameworks() -> dict[str, FrameworkDoc]:
    """Both shipped frameworks, loaded once, by URN."""
    return {doc.urn: doc for doc in load_frameworks(builtin_frameworks())}


@pytest.fixture(scope="session")
def courses() -> dict[str, CourseDoc]:
    """Every shipped course and publicity item, loaded once, by slug."""
    return {path.name: load_course(path) for path in builtin_courses()}


def _replace_line(text: str, old: str, new: str, occurrence: int = 1) -> tuple[str, int]:
    """Replace the ``occurrence``-th line equal to ``old``; return the text and its 1-based line."""
    lines = text.splitlines(keepends=True)
    seen = 0
    for index, line in enumerate(lines):
        if line.rstrip("\n") == old:
            seen += 1
            if seen == occurrence:
                lines[index] = new + "\n"
                return "".join(lines), index + 1
    raise AssertionError(f"line {old!r} not found {occurrence} times")


@pytest.fixture
def replace_line() -> Callable[..., tuple[str, int]]:
    """``replace_line(text, old, new, occurrence=1) -> (text, line)`` for editing copies."""
    return _replace_line


@pytest.fixture
def broken_framework(tmp_path: Path) -> Callable[..., tuple[Path, int]]:
    """Write a copy of the KUSP framework with one line replaced; return path and line number."""

    def make(old: str, new: str, slug: str = "key-unit-security-prevention", occurrence: int = 1):
        text = framework_path(slug).read_text(encoding="utf-8")
        changed, line = _replace_line(text, old, new, occurrence)
        target = tmp_path / f"{slug}.yaml"
        target.write_text(changed, encoding="utf-8")
        return target, line

    return make


@pytest.fixture
def course_copy(tmp_path: Path) -> Callable[[str], Path]:
    """A writable copy of a shipped course folder."""

    def make(slug: str) -> Path:
        (source,) = [p for p in builtin_courses() if p.name == slug]
        target = tmp_path / slug
        shutil.copytree(source, target)
        return target

    return make
