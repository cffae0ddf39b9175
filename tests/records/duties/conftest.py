"""The ``org`` fixture: a small organization (see ``orgfactory.py``)."""

from __future__ import annotations

import pytest
from orgfactory import Org, build_org
from sqlalchemy.orm import Session


@pytest.fixture
def org(session: Session) -> Org:
    return build_org(session)
