"""How much history detection needs: the longest detector window plus the baseline period.

Retention uses :func:`min_history_days` to refuse keeping raw events for less time than
detection reads back (docs/privacy.md); the figure follows the unit's policies and
analytics settings, so tuning a policy's window or a baseline moves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keyguard.analytics.config import load_config
from keyguard.policies.backends import policy_lookback
from keyguard.policies.loader import active_policies
from keyguard.policies.model import Policy

#: The analytics settings that are history windows (the baseline period is the longest).
BASELINE_KEYS = (
    "own_window_days",
    "peer_window_days",
    "share_window_days",
    "usual_hours_window_days",
    "host_owner_window_days",
)
#: Fixed windows of the pipeline: rare accesses look 90 days back over 90-day counts.
RARE_WINDOW_DAYS = 90


@dataclass(frozen=True)
class History:
    """Days of history detection needs, and their two parts."""

    days: int
    detector_days: int
    baseline_days: int


def baseline_days(cfg: dict[str, Any]) -> int:
    """The longest history window of the analytics settings (baselines, usual hours, machine
    owners, shares, the anomaly model's training period and the rare-access window)."""
    return max(
        [int(cfg[k]) for k in BASELINE_KEYS]
        + [int(cfg["anomaly_train_days"]) + int(cfg["anomaly_period_days"]), RARE_WINDOW_DAYS]
    )


def detector_days(policies: list[Policy]) -> int:
    """The longest look-back of the policies (windows of their conditions and cumulative
    indicators), in days including the scored day."""
    return max((policy_lookback(p) + 1 for p in policies), default=1)


def min_history(
    home: Path, unit_settings: dict[str, Any] | None = None, policies: list[Policy] | None = None
) -> History:
    """The history a unit's detection needs (raises ``KeyguardError`` on unreadable policies
    or settings)."""
    cfg = load_config(home, unit_settings)
    det = detector_days(active_policies(home) if policies is None else policies)
    base = baseline_days(cfg)
    return History(det + base, det, base)


def min_history_days(home: Path, unit_settings: dict[str, Any] | None = None) -> int:
    """Longest detector window plus baseline period, in days, for a unit's settings."""
    return min_history(home, unit_settings).days
