"""A detected synthetic organization shared by the analytics and policy tests (built once
per test session: detection takes seconds)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from keyguard import config
from keyguard.db import engine as db_engine
from keyguard.db.migrate import upgrade
from keyguard.db.session import sessionmaker_for
from keyguard.privacy import pseudonyms

from .factory import Org, inject

FAST = {"anomaly_trees": 30}


@contextmanager
def empty_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: str = ""
) -> Iterator[tuple[Path, Engine]]:
    """A fresh home with an empty, migrated SQLite database and the fast analytics settings
    (plus ``settings``, YAML lines), as ``KEYGUARD_HOME``."""
    from keyguard.identity.bootstrap import mark_home

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("KEYGUARD_HOME", str(home))
    monkeypatch.delenv("KEYGUARD_DATABASE_URL", raising=False)
    config.reset_settings()
    pseudonyms.clear_key_cache()
    mark_home(home)
    (home / "analytics").mkdir()
    (home / "analytics" / "config.yaml").write_text(
        "".join(f"{k}: {v}\n" for k, v in FAST.items()) + settings, encoding="utf-8"
    )
    eng = db_engine.make_engine(f"sqlite:///{home / 'keyguard.db'}")
    upgrade(eng)
    try:
        yield home, eng
    finally:
        eng.dispose()
        config.reset_settings()
        pseudonyms.clear_key_cache()


@dataclass
class Detected:
    home: Path
    engine: Engine
    org: Org
    targets: dict[str, str]


def build(home: Path, *, scenarios: bool = True, users: int = 28, days: int = 70) -> Detected:
    """Events, people and one detection run in ``home`` (KEYGUARD_HOME must point there)."""
    from keyguard.analytics.run import detect
    from keyguard.identity.bootstrap import mark_home

    mark_home(home)
    (home / "analytics").mkdir(parents=True, exist_ok=True)
    (home / "analytics" / "config.yaml").write_text(
        "".join(f"{k}: {v}\n" for k, v in FAST.items()), encoding="utf-8"
    )
    url = f"sqlite:///{home / 'keyguard.db'}"
    eng = db_engine.make_engine(url)
    upgrade(eng)
    org = Org(users=users, days=days).normal()
    targets = inject(org) if scenarios else {}
    org.write_events(home)
    with sessionmaker_for(eng)() as session:
        org.write_people(session)
        detect(session, org.unit, home=home)
        session.commit()
    return Detected(home, eng, org, targets)


@pytest.fixture(scope="session")
def detected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Detected]:
    home = tmp_path_factory.mktemp("detected") / "home"
    home.mkdir()
    old = {k: os.environ.get(k) for k in ("KEYGUARD_HOME", "KEYGUARD_DATABASE_URL")}
    os.environ["KEYGUARD_HOME"] = str(home)
    os.environ.pop("KEYGUARD_DATABASE_URL", None)
    config.reset_settings()
    pseudonyms.clear_key_cache()
    try:
        yield build(home)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        config.reset_settings()
        pseudonyms.clear_key_cache()
