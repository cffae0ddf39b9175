"""Fixtures of the register tests: a small unit (see kg_register_builders)."""

from __future__ import annotations

import pytest
from kg_register_builders import World, make_world
from sqlalchemy.orm import Session


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)
