"""The ``org`` fixture of the duties tests (loaded from its file: tests have no packages)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

_path = Path(__file__).resolve().parents[1] / "duties" / "orgfactory.py"
_spec = importlib.util.spec_from_file_location("orgfactory", _path)
assert _spec is not None and _spec.loader is not None
orgfactory = sys.modules.get("orgfactory") or importlib.util.module_from_spec(_spec)
if "orgfactory" not in sys.modules:
    sys.modules["orgfactory"] = orgfactory
    _spec.loader.exec_module(orgfactory)


@pytest.fixture
def org(session: Session) -> Any:
    return orgfactory.build_org(session)
