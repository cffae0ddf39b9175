"""The ingest tests' sample rows date from 2010 (as the CERT releases do): their clock is
set to early 2011, so the default raw-event retention (730 days) keeps them. Tests about
retention set the clock themselves (``now`` fixture)."""

from __future__ import annotations

import pytest

#: Within the default retention of every sample day of these tests (2010 and 2024).
INGEST_TEST_NOW = "2011-03-01T12:00:00"


@pytest.fixture(autouse=True)
def _clock_of_the_samples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYGUARD_NOW", INGEST_TEST_NOW)
