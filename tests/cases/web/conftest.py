"""Web and API tests of cases: the fixtures of ``tests/web`` (documented in docs/web.md)
plus zhang's ingested collection and a low-and-slow alert about it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from keyguard.audit.context import Actor, actor_scope
from keyguard.db.session import session_scope
from keyguard.records.org.models import Person, Unit
from web.conftest import app, client, db, signed_in, world  # noqa: F401
from web.prepared import World

from ..support import DAYS, cert_rows, ingest, make_alert, write_cert


@pytest.fixture
def alert_id(world: World, engine: Engine, home: Path, tmp_path: Path) -> str:  # noqa: F811
    """zhang's file copies ingested for unit A, and the alert they raised."""
    with session_scope(engine) as s:
        ingest(s, write_cert(tmp_path / "cert-a", cert_rows("A001", DAYS)))
    with actor_scope(Actor(name="test:setup")), session_scope(engine) as s:
        unit = s.get(Unit, world.units["a"])
        person = s.get(Person, world.people["zhang"])
        assert unit is not None and person is not None
        return make_alert(s, unit, person).id
