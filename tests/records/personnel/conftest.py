"""Fixtures of the personnel tests: the register tests' small unit."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "register"))

from kg_register_builders import World, make_world


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)
