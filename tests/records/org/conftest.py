"""Fixtures of the org tests: a unit in a migrated database."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from keyguard.records.org import service as org
from keyguard.records.org.models import Unit


@pytest.fixture
def unit(session: Session) -> Unit:
    created = org.create_unit(session, code="cert", name="CERT unit", timezone="Europe/Berlin")
    session.commit()
    return created
