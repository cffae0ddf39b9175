"""Retention rules and pseudonyms."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from keyguard.errors import ConfigError
from keyguard.privacy.pseudonyms import ensure_key, pseudonym, pseudonym_with_key
from keyguard.privacy.retention import cutoff, load_retention


def test_defaults_and_cutoffs() -> None:
    policy = load_retention({})
    today = dt.date(2026, 11, 29)
    assert cutoff(policy, "raw_events", today) is None  # until the unit sets a period
    assert cutoff(policy, "alerts", today) == today - dt.timedelta(days=1095)
    assert cutoff(load_retention({"retention": {"raw_events": 400}}), "raw_events", today) == (
        today - dt.timedelta(days=400)
    )
    assert cutoff(policy, "cases", today) is None
    with pytest.raises(KeyError):
        cutoff(policy, "mail_bodies", today)


def test_raw_events_must_cover_detector_windows() -> None:
    with pytest.raises(ConfigError, match="detectors need 120"):
        load_retention({"retention": {"raw_events": 60}}, min_raw_event_days=120)
    assert (
        load_retention({"retention": {"raw_events": 120}}, min_raw_event_days=120).raw_events == 120
    )


def test_bad_values_are_named() -> None:
    with pytest.raises(ConfigError, match=r"retention\.alerts"):
        load_retention({"retention": {"alerts": 0}})
    with pytest.raises(ConfigError, match="dismissed alerts"):
        load_retention({"retention": {"alerts": 30, "dismissed_alerts": 90}})


def test_pseudonyms_are_stable_keyed_and_case_blind(home: Path) -> None:
    key = ensure_key(home)
    assert len(key) == 32
    a = pseudonym("u1", "ACM2278")
    assert a == pseudonym("u1", "acm2278") == pseudonym_with_key(key, "u1", " acm2278 ")
    assert a.startswith("P-") and len(a) == 12
    assert pseudonym("u2", "ACM2278") != a
    assert pseudonym_with_key(b"\x00" * 32, "u1", "ACM2278") != a
    assert ensure_key(home) == key
