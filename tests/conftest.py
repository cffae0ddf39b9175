"""Shared fixtures: a temporary home, a fixed clock, and real databases.

Tests that take ``db_url`` (or ``engine``/``session``) run on SQLite; those marked ``pg``
run on PostgreSQL too. The PostgreSQL server URL comes from ``KEYGUARD_TEST_PG_URL``
(``make test`` starts a throw-away cluster and sets it). Under CI a missing server fails
the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from keyguard import config
from keyguard.db import engine as db_engine
from keyguard.db.migrate import upgrade
from keyguard.privacy import pseudonyms

# CLI output is compared as text: a wide, fixed terminal keeps Rich from truncating tables.
os.environ["COLUMNS"] = "240"

PG_URL = os.environ.get("KEYGUARD_TEST_PG_URL")
_TEMPLATES: dict[str, str] = {}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_kind" in metafunc.fixturenames:
        kinds = ["sqlite"]
        if metafunc.definition.get_closest_marker("pg"):
            kinds.append("postgresql")
        metafunc.parametrize("db_kind", kinds, scope="function")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh KEYGUARD_HOME (settings and pseudonym key cache reset around the test)."""
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("KEYGUARD_HOME", str(h))
    monkeypatch.delenv("KEYGUARD_DATABASE_URL", raising=False)
    monkeypatch.setenv("KEYGUARD_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("KEYGUARD_ARGON2_MEMORY_COST", "1024")
    config.reset_settings()
    pseudonyms.clear_key_cache()
    yield h
    config.reset_settings()
    pseudonyms.clear_key_cache()
    db_engine.dispose_engines()


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Call ``now("2026-01-05T09:00")`` to fix the clock (``KEYGUARD_NOW``)."""

    def _set(value: str) -> None:
        monkeypatch.setenv("KEYGUARD_NOW", value)

    return _set


def _pg_admin_url() -> str:
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("KEYGUARD_TEST_PG_URL is not set under CI: PostgreSQL tests cannot run")
        pytest.skip("no PostgreSQL server (set KEYGUARD_TEST_PG_URL or use `make test`)")
    return PG_URL


def _pg_database(worker: str) -> str:
    """A fresh, migrated PostgreSQL database cloned from a per-worker template."""
    base = _pg_admin_url()
    admin = create_engine(
        base.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    root = base.rsplit("/", 1)[0]
    # The pid keeps separate pytest sessions sharing one server (developers running
    # parts of the suite side by side) from dropping each other's template.
    tmpl = f"kg_tmpl_{worker}_{os.getpid()}"
    try:
        with admin.connect() as conn:
            if worker not in _TEMPLATES:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{tmpl}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{tmpl}"'))
                eng = db_engine.make_engine(f"{root}/{tmpl}")
                upgrade(eng)
                eng.dispose()
                _TEMPLATES[worker] = tmpl
            name = f"kg_{worker}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{tmpl}"'))
    finally:
        admin.dispose()
    return f"{root}/{name}"


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per test worker; each test gets a copy (migrating takes
    seconds, copying milliseconds)."""
    path = tmp_path_factory.mktemp("migrated") / "keyguard.db"
    eng = db_engine.make_engine(f"sqlite:///{path}")
    upgrade(eng)
    with eng.begin() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return path


@pytest.fixture
def db_url(db_kind: str, home: Path, monkeypatch: pytest.MonkeyPatch, migrated_sqlite: Path) -> str:
    """A migrated, empty records database of kind ``db_kind``; also set as the home's URL."""
    if db_kind == "sqlite":
        target = home / "keyguard.db"
        shutil.copyfile(migrated_sqlite, target)
        url = f"sqlite:///{target}"
    else:
        url = _pg_database(os.environ.get("PYTEST_XDIST_WORKER", "gw0"))
    monkeypatch.setenv("KEYGUARD_DATABASE_URL", url)
    config.reset_settings()
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = db_engine.get_engine(db_url)
    yield eng
    db_engine.dispose_engines()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    from keyguard.db.session import sessionmaker_for

    with sessionmaker_for(engine)() as s:
        yield s
