"""Fixtures of the cases tests: the prepared unit (``support.prepare``) with the clock fixed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from .support import NOW, Prepared, prepare


@pytest.fixture
def p(session: Session, home: Path, tmp_path: Path, now: Callable[[str], None]) -> Prepared:
    now(NOW)
    return prepare(session, tmp_path)
