"""Risk per person and day, and alert episodes with their scores.

Risk (weights in ``defaults.yaml``, documented in docs/analytics.md):

- each source of evidence (a policy, or the anomaly model) keeps its strongest daily
  contribution ``M_p`` and its number of days ``N_p``, both decayed by
  ``0.5 ** ((d - prev) / half_life_days)``, with ``c = level_weight[policy level] *
  strength`` (the anomaly: ``anomaly_weight`` scaled from 0 at its threshold to 1 at the
  100th percentile);
- the day's total ``R = sum_p k_p * M_p * (1 + repeat_weight * log2(N_p))``: repeats of one
  policy add little, independent policies add up; ``k_p`` calibrates each policy by how
  often it fires in the unit (:func:`policy_calibration`, earlier days only);
- boosted: ``B = R * (1 + sum of active boosters)`` — privileged role, departing (known),
  top-level access in the last ``top_level_days``, an earlier confirmed case (never a
  dismissed alert), each from the day keyguard knew it;
- ``risk = 100 * (1 - exp(-B / scale))``, 0 to 100.

An alert's score is the highest over its days of ``max(policy points, risk that day)`` where
policy points are ``level_points[level] * (1 + 0.1 * (strength - 1)) * (1 + boosters)``,
capped at 100.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from keyguard.analytics.days import iso
from keyguard.policies.model import Policy

RISK_SCHEMA = pa.schema(
    [
        ("user_key", pa.string()),
        ("day_no", pa.int32()),
        ("score", pa.float64()),
        ("raw", pa.float64()),
        ("boost", pa.float64()),
        ("top_indicators", pa.string()),
    ]
)


def _boost(cfg: dict[str, Any], active: Iterable[str]) -> float:
    b = cfg["risk"]["boosters"]
    return 1.0 + sum(float(b[k]) for k in active)


def active_boosters(
    row: dict[str, Any], top_until: int | None, confirmed_from: int | None, day: int
) -> list[str]:
    out = []
    if row.get("privileged"):
        out.append("privileged")
    if row.get("departing"):
        out.append("departing")
    if (top_until is not None and day <= top_until) or row.get("top_level_flag"):
        out.append("top_level_access")
    if confirmed_from is not None and day >= confirmed_from:
        out.append("confirmed_case")
    return out


def risk_score(raw: float, boost: float, cfg: dict[str, Any]) -> float:
    return round(100.0 * (1.0 - math.exp(-raw * boost / float(cfg["risk"]["scale"]))), 1)


def decayed(raw: float, from_day: int, to_day: int, cfg: dict[str, Any]) -> float:
    """``raw`` on ``from_day`` decayed to ``to_day``."""
    hl = float(cfg["risk"]["half_life_days"])
    return raw * 0.5 ** ((to_day - from_day) / hl)


@dataclass
class DayInputs:
    """Everything risk needs about one person-day."""

    flags: dict[str, Any]
    hits: list[tuple[Policy, float]] = field(default_factory=list)
    anomaly_pct: float | None = None
    contributions: dict[str, float] = field(default_factory=dict)


def policy_calibration(
    days: dict[str, dict[int, DayInputs]], cfg: dict[str, Any]
) -> dict[str, dict[int, float]]:
    """Per policy and day: its weight factor from the unit's own base rate, ``min(1,
    sqrt(target / rate))`` where ``rate`` is the share of the people active in the last
    ``calibration.window_days`` for whom the policy fired in that window (days up to the
    scored day only), shrunk towards ``target`` by ``prior_people`` pseudo-people so a short
    history or a small unit is not over-corrected. A policy that fires for many people
    counts less for each of them; a rare one keeps its full weight."""
    cal = cfg["risk"]["calibration"]
    target, prior = float(cal["target_rate"]), float(cal["prior_people"])
    w = int(cal["window_days"])
    all_days = sorted({d for per in days.values() for d in per})
    if not all_days or target <= 0:
        return {}
    d0, n = all_days[0], all_days[-1] - all_days[0] + 1
    users = sorted(days)
    active = np.zeros((len(users), n), dtype=bool)
    fired: dict[str, np.ndarray] = {}
    for i, u in enumerate(users):
        for d, di in days[u].items():
            active[i, d - d0] = True
            for policy, _ in di.hits:
                arr = fired.get(policy.id)
                if arr is None:
                    arr = fired[policy.id] = np.zeros((len(users), n), dtype=bool)
                arr[i, d - d0] = True

    def in_window(m: np.ndarray) -> np.ndarray:
        """Per day: how many rows have a True within the last ``w`` days."""
        c = np.cumsum(m, axis=1, dtype=np.int32)
        lagged = np.zeros_like(c)
        lagged[:, w:] = c[:, :-w] if w < n else 0
        return np.asarray(((c - lagged) > 0).sum(axis=0))

    people = in_window(active)
    out: dict[str, dict[int, float]] = {}
    for pid, m in fired.items():
        rate = (in_window(m) + prior * target) / (people + prior)
        factor = np.minimum(1.0, np.sqrt(target / rate))
        out[pid] = {d0 + k: float(factor[k]) for k in range(n)}
    return out


def compute_risk(
    days: dict[str, dict[int, DayInputs]], confirmed: dict[str, int], cfg: dict[str, Any]
) -> tuple[pa.Table, dict[tuple[str, int], float]]:
    """Risk rows (non-zero scores) for every person-day given, and risk by (user, day).

    Each source of evidence (a policy, or the anomaly model) keeps its strongest
    contribution ``M_p`` and its number of days ``N_p``, both decayed; it adds
    ``k_p * M_p * (1 + repeat_weight * log2(N_p))`` to the day's total (``k_p`` its
    calibration). Repeats of one policy add little (a month of daily hits about doubles it),
    while independent policies add up: several weak signals over weeks outrank one policy
    firing every day."""
    rc = cfg["risk"]
    weights = {k: float(v) for k, v in rc["level_weights"].items()}
    thr = float(cfg["anomaly_threshold"])
    top_days = int(rc["top_level_days"])
    hl = float(rc["half_life_days"])
    aw = float(rc["anomaly_weight"])
    rw = float(rc["repeat_weight"])
    calib = policy_calibration(days, cfg)
    out: dict[str, list[Any]] = {n: [] for n in RISK_SCHEMA.names}
    by_day: dict[tuple[str, int], float] = {}
    for user in sorted(days):
        prev: int | None = None
        peak: dict[str, float] = {}  # source -> decayed strongest contribution
        count: dict[str, float] = {}  # source -> decayed number of days it contributed
        attrib: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        last_top: int | None = None
        for d in sorted(days[user]):
            di = days[user][d]
            if prev is not None and peak:
                factor = 0.5 ** ((d - prev) / hl)
                for k in peak:
                    peak[k] *= factor
                    count[k] *= factor
                for per in attrib.values():
                    for k in per:
                        per[k] *= factor
            for policy, strength in di.hits:
                c = weights[policy.level] * strength
                peak[policy.id] = max(peak.get(policy.id, 0.0), c)
                count[policy.id] = count.get(policy.id, 0.0) + 1.0
                inds = policy.indicators() or [policy.id]
                for ind in inds:
                    attrib[policy.id][ind] += c / len(inds)
            if di.anomaly_pct is not None and di.anomaly_pct >= thr and thr < 1 and aw > 0:
                c = aw * min(1.0, (di.anomaly_pct - thr) / (1 - thr))
                peak["anomaly"] = max(peak.get("anomaly", 0.0), c)
                count["anomaly"] = count.get("anomaly", 0.0) + 1.0
                total = sum(di.contributions.values()) or 1.0
                for ind, v in di.contributions.items():
                    attrib["anomaly"][ind] += c * v / total
            if di.flags.get("items_top_level", 0) > 0:
                last_top = d
            prev = d
            s = 0.0
            shares: dict[str, float] = defaultdict(float)
            for src, v in peak.items():
                if v < 1e-6:
                    continue
                eff = v * (1.0 + rw * math.log2(max(count[src], 1.0)))
                eff *= calib.get(src, {}).get(d, 1.0)
                s += eff
                per = attrib[src]
                tot = sum(per.values()) or 1.0
                for ind, a in per.items():
                    shares[ind] += eff * a / tot
            if s < 1e-6:
                continue
            boosters = active_boosters(
                di.flags, None if last_top is None else last_top + top_days, confirmed.get(user), d
            )
            boost = _boost(cfg, boosters)
            score = risk_score(s, boost, cfg)
            if score <= 0:
                continue
            top = [
                k for k, v in sorted(shares.items(), key=lambda kv: (-kv[1], kv[0])) if v > 1e-9
            ][:3]
            out["user_key"].append(user)
            out["day_no"].append(d)
            out["score"].append(score)
            out["raw"].append(round(s, 6))
            out["boost"].append(boost)
            out["top_indicators"].append(json.dumps(top))
            by_day[(user, d)] = score
    return pa.table(out, schema=RISK_SCHEMA), by_day


def alert_id(unit_code: str, user_key: str, policy_id: str, fired_no: int) -> str:
    """The stable id of an alert: a hash of unit, person, policy and first day fired."""
    text = f"{unit_code}\x1f{user_key}\x1f{policy_id}\x1f{iso(fired_no)}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass
class Episode:
    """Hits of one person and one policy no more than ``episode_gap_days`` apart."""

    id: str
    user_key: str
    policy: Policy
    first_no: int
    fired_no: int
    last_no: int
    days: list[int]
    indicators: list[str]
    score: float


def episodes(
    unit_code: str,
    hits: list[dict[str, Any]],
    policies: dict[str, Policy],
    flags: dict[tuple[str, int], dict[str, Any]],
    risk: dict[tuple[str, int], float],
    confirmed: dict[str, int],
    cfg: dict[str, Any],
) -> list[Episode]:
    """Group hits into episodes and score each."""
    gap = int(cfg["alerts"]["episode_gap_days"])
    points = cfg["alerts"]["level_points"]
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for h in hits:
        if h["policy_id"] in policies:
            grouped[(h["user_key"], h["policy_id"])].append(h)
    out: list[Episode] = []
    for (user, pid), rows in sorted(grouped.items()):
        policy = policies[pid]
        rows.sort(key=lambda r: r["day_no"])
        current: list[dict[str, Any]] = []
        for row in [*rows, None]:  # type: ignore[list-item]
            if row is not None and (not current or row["day_no"] - current[-1]["day_no"] <= gap):
                current.append(row)
                continue
            days = [r["day_no"] for r in current]
            held = {name for r in current for name in policy.selections if r.get(f"h_{name}")}
            inds = [
                i
                for i in policy.indicators()
                if any(i in policy.selections[n].fields() for n in held)
            ]
            best = 0.0
            for r in current:
                f = flags.get((user, r["day_no"]), {})
                boost = _boost(cfg, active_boosters(f, None, confirmed.get(user), r["day_no"]))
                p = float(points[policy.level]) * (1 + 0.1 * (float(r["strength"]) - 1)) * boost
                best = max(best, min(100.0, p), risk.get((user, r["day_no"]), 0.0))
            out.append(
                Episode(
                    id=alert_id(unit_code, user, pid, days[0]),
                    user_key=user,
                    policy=policy,
                    first_no=min(min(int(r["first_no"]) for r in current), days[0]),
                    fired_no=days[0],
                    last_no=days[-1],
                    days=days,
                    indicators=inds or policy.indicators(),
                    score=round(best, 1),
                )
            )
            current = [row] if row is not None else []
    return out
