"""The history detection needs (longest detector window plus baseline period) follows the
policies and the analytics settings, and retention's minimum is that figure."""

from __future__ import annotations

from pathlib import Path

from keyguard.analytics.history import detector_days, min_history, min_history_days
from keyguard.policies.loader import active_policies


def test_min_history_is_detector_window_plus_baseline(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    h = min_history(home)
    assert h.days == h.detector_days + h.baseline_days == min_history_days(home)
    assert h.detector_days == detector_days(active_policies(home))
    # the shipped 90-day cumulative counts and the 26-week shares
    assert h.detector_days >= 90 and h.baseline_days == 182
    longer = min_history(home, {"analytics": {"share_window_days": 300}})
    assert longer.baseline_days == 300 and longer.days == h.detector_days + 300


def test_retention_minimum_uses_it(tmp_path: Path) -> None:
    from keyguard.cases.retention import minimum_raw_event_days
    from keyguard.records.org.models import Unit

    home = tmp_path / "home"
    home.mkdir()
    unit = Unit(code="u", name="U", timezone="UTC", settings={})
    m = minimum_raw_event_days(unit, home)
    assert (m.days, m.source) == (min_history_days(home), "policies")
