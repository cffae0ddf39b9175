"""Every shipped check fires on its positive fixture and stays quiet on its negative one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from keyguard.controls.checks import load_checks

from . import cases_events  # noqa: F401  (registers the event and audit cases)
from .builders import W
from .cases import CASES, Ctx
from .conftest import Scan, open_findings

SHIPPED = [c.id for c in load_checks(Path("/nonexistent-home"))]


def test_every_shipped_check_has_a_fixture_pair() -> None:
    missing = sorted(set(SHIPPED) - set(CASES))
    assert not missing, f"checks without positive and negative fixtures: {missing}"
    assert not sorted(set(CASES) - set(SHIPPED)), "fixtures for checks that are not shipped"


@pytest.mark.pg
@pytest.mark.parametrize("polarity", ["positive", "negative"])
@pytest.mark.parametrize("check_id", SHIPPED)
def test_check_fixture(
    check_id: str,
    polarity: str,
    session: Session,
    w: W,
    home: Path,
    now: Callable[[str], None],
    scan: Scan,
) -> None:
    pair = CASES[check_id]
    getattr(pair, polarity)(Ctx(session, w, home, now))
    result = scan(check_id)
    outcome = result.outcomes[0]
    assert outcome.state == "ran", (outcome.reason, outcome.error)
    found = open_findings(session, w, check_id)
    if polarity == "positive":
        assert found, f"{check_id} found nothing on its positive fixture"
        pair.expect(found)
    else:
        assert found == [], [f.subject for f in found]
