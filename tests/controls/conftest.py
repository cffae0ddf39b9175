"""Fixtures of the loophole-scanner tests: a small unit (see ``builders``) with the clock
fixed to the scan day, and a helper that runs one check and returns its open findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.audit.context import Actor, actor_scope
from keyguard.controls.models import Finding
from keyguard.controls.scan import ScanResult, scan_unit

from .builders import AS_OF, NOW, W, make_unit


@pytest.fixture
def w(session: Session, home: Path, now: Callable[[str], None]) -> Iterator[W]:
    now(NOW)
    with actor_scope(Actor(name="test:setup")):
        yield make_unit(session)


Scan = Callable[..., ScanResult]


@pytest.fixture
def scan(session: Session, w: W) -> Scan:
    """``scan(*check_ids, as_of=...)`` runs those checks (all when none) as a test actor."""

    def run(*check_ids: str, as_of: dt.date = AS_OF) -> ScanResult:
        session.flush()
        with actor_scope(Actor(name="test:scan")):
            result = scan_unit(session, unit=w.unit, as_of=as_of, only=list(check_ids) or None)
        session.flush()
        return result

    return run


def open_findings(session: Session, w: W, check_id: str) -> list[Finding]:
    return list(
        session.scalars(
            select(Finding)
            .where(
                Finding.unit_id == w.unit.id,
                Finding.check_id == check_id,
                Finding.status == "open",
            )
            .order_by(Finding.subject_key)
        )
    )
