"""Models and migrations agree, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect

from keyguard.db.migrate import diff
from keyguard.models import metadata


@pytest.mark.pg
def test_models_and_migrations_agree(engine: Engine) -> None:
    problems = diff(engine, metadata)
    assert problems == [], f"models and migrations disagree: {problems}"


@pytest.mark.pg
def test_every_model_table_exists(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    missing = set(metadata.tables) - tables
    assert not missing
    assert {"unit", "person", "person_version", "account", "audit_entry"} <= tables
