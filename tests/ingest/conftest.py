"""The ingest tests' sample rows date from 2010 (as the CERT releases do): their clock is
set to early 2011, so the days they write are in the past but within any period a test
sets. Tests about retention set the clock themselves (``now`` fixture)."""

from __future__ import annotations

import pytest

#: A clock after the sample days of these tests (2010), as when an export is loaded.
INGEST_TEST_NOW = "2011-03-01T12:00:00"


@pytest.fixture(autouse=True)
def _clock_of_the_samples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYGUARD_NOW", INGEST_TEST_NOW)
