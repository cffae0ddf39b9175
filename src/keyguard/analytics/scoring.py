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
from collections.abc import Iterable, Mapping
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
    users = sorted(days)
    index = {u: i for i, u in enumerate(users)}
    a_user: list[int] = []
    a_day: list[int] = []
    fired: dict[str, tuple[list[int], list[int]]] = {}
    for u in users:
        for d, di in days[u].items():
            a_user.append(index[u])
            a_day.append(d)
            for policy, _ in di.hits:
                fu, fd = fired.setdefault(policy.id, ([], []))
                fu.append(index[u])
                fd.append(d)
    return calibration(
        np.asarray(a_user, dtype=np.int64),
        np.asarray(a_day, dtype=np.int64),
        {
            pid: (np.asarray(fu, dtype=np.int64), np.asarray(fd, dtype=np.int64))
            for pid, (fu, fd) in fired.items()
        },
        cfg,
    )


def calibration(
    active_user: np.ndarray,
    active_day: np.ndarray,
    fired: dict[str, tuple[np.ndarray, np.ndarray]],
    cfg: dict[str, Any],
    since: int | None = None,
) -> dict[str, dict[int, float]]:
    """:func:`policy_calibration` from arrays: the person-days with indicators (a person
    index and a day each) and, per policy, the person-days it fired on (a subset). With
    ``since``, factors only for days from ``since`` on — exact when the arrays hold every
    person-day of the ``calibration.window_days - 1`` days before it."""
    cal = cfg["risk"]["calibration"]
    target, prior = float(cal["target_rate"]), float(cal["prior_people"])
    w = int(cal["window_days"])
    if not active_day.size or target <= 0:
        return {}
    d0 = int(active_day.min())
    n = int(active_day.max()) - d0 + 1
    rows = int(active_user.max()) + 1
    active = np.zeros((rows, n), dtype=bool)
    active[active_user, active_day - d0] = True

    def in_window(m: np.ndarray) -> np.ndarray:
        """Per day: how many rows have a True within the last ``w`` days."""
        c = np.cumsum(m, axis=1, dtype=np.int32)
        lagged = np.zeros_like(c)
        lagged[:, w:] = c[:, :-w] if w < n else 0
        return np.asarray(((c - lagged) > 0).sum(axis=0))

    first = 0 if since is None else max(0, since - d0)
    people = in_window(active)
    out: dict[str, dict[int, float]] = {}
    for pid, (fu, fd) in fired.items():
        if not fd.size:
            continue
        m = np.zeros((rows, n), dtype=bool)
        m[fu, fd - d0] = True
        rate = (in_window(m) + prior * target) / (people + prior)
        factor = np.minimum(1.0, np.sqrt(target / rate))
        out[pid] = {d0 + k: float(factor[k]) for k in range(first, n)}
    return out


@dataclass
class RiskState:
    """One person's risk state at the end of a day: per source its strongest contribution
    and number of days (both decayed to ``prev``, the last day with indicators) and the
    attribution to indicators; ``last_top`` the last day a top-level item was accessed.
    Carried forward from day to day, so a run resumes from the state before its first day.
    Dict order is kept (it fixes the order of floating-point sums)."""

    prev: int | None = None
    last_top: int | None = None
    peak: dict[str, float] = field(default_factory=dict)
    count: dict[str, float] = field(default_factory=dict)
    attrib: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_json(self) -> str:
        """Exact: floats are written by ``repr`` and read back bit for bit."""
        return json.dumps(
            [
                self.prev,
                self.last_top,
                [[k, v, self.count[k]] for k, v in self.peak.items()],
                [[k, list(per.items())] for k, per in self.attrib.items()],
            ],
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> RiskState:
        prev, last_top, peak, attrib = json.loads(text)
        return cls(
            prev=prev,
            last_top=last_top,
            peak={k: float(v) for k, v, _ in peak},
            count={k: float(c) for k, _, c in peak},
            attrib={k: {i: float(a) for i, a in per} for k, per in attrib},
        )


@dataclass
class RiskRun:
    """What :func:`score_people` computed: risk rows (non-zero scores) and risk by (user,
    day) of the days from ``emit_from``, and each person's state at each checkpoint."""

    table: pa.Table
    by_day: dict[tuple[str, int], float]
    states: dict[int, dict[str, str]]


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
    run = score_people(days, confirmed, cfg, policy_calibration(days, cfg))
    return run.table, run.by_day


def score_people(
    days: dict[str, dict[int, DayInputs]],
    confirmed: dict[str, int],
    cfg: dict[str, Any],
    calib: dict[str, dict[int, float]],
    *,
    states: Mapping[str, RiskState | str] | None = None,
    emit_from: int | None = None,
    checkpoints: list[int] | None = None,
) -> RiskRun:
    """Risk of the person-days ``days`` (:func:`compute_risk`), each person starting from
    ``states`` (their state at the end of the day before the first of ``days``, or its JSON
    text; none: from nothing). Rows only for days from ``emit_from``; earlier days only
    advance the state. ``checkpoints``: days (none before the states' day) at whose end each
    person's state is kept (as JSON, :class:`RiskState`) — a later run resumes from them."""
    rc = cfg["risk"]
    weights = {k: float(v) for k, v in rc["level_weights"].items()}
    thr = float(cfg["anomaly_threshold"])
    top_days = int(rc["top_level_days"])
    hl = float(rc["half_life_days"])
    aw = float(rc["anomaly_weight"])
    rw = float(rc["repeat_weight"])
    states = states or {}
    marks = sorted(checkpoints or [])
    start = -(10**9) if emit_from is None else emit_from
    out: dict[str, list[Any]] = {n: [] for n in RISK_SCHEMA.names}
    by_day: dict[tuple[str, int], float] = {}
    saved: dict[int, dict[str, str]] = {b: {} for b in marks}
    for user in sorted(set(days) | set(states)):
        kept = states.get(user)
        if user not in days:  # nothing new: the state as it was, at every checkpoint
            if kept is not None:
                text = kept if isinstance(kept, str) else kept.to_json()
                for b in marks:
                    saved[b][user] = text
            continue
        if isinstance(kept, str):
            kept = RiskState.from_json(kept)
        st = kept or RiskState()
        peak, count, attrib = st.peak, st.count, st.attrib
        prev, last_top = st.prev, st.last_top
        mark = 0
        per_day = days.get(user, {})
        for d in sorted(per_day):
            while mark < len(marks) and marks[mark] < d:
                if prev is not None:  # else: no state yet on that day
                    saved[marks[mark]][user] = RiskState(
                        prev, last_top, peak, count, attrib
                    ).to_json()
                mark += 1
            di = per_day[d]
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
                per = attrib.setdefault(policy.id, {})
                for ind in inds:
                    per[ind] = per.get(ind, 0.0) + c / len(inds)
            if di.anomaly_pct is not None and di.anomaly_pct >= thr and thr < 1 and aw > 0:
                c = aw * min(1.0, (di.anomaly_pct - thr) / (1 - thr))
                peak["anomaly"] = max(peak.get("anomaly", 0.0), c)
                count["anomaly"] = count.get("anomaly", 0.0) + 1.0
                total = sum(di.contributions.values()) or 1.0
                per = attrib.setdefault("anomaly", {})
                for ind, v in di.contributions.items():
                    per[ind] = per.get(ind, 0.0) + c * v / total
            if di.flags.get("items_top_level", 0) > 0:
                last_top = d
            prev = d
            if d < start:
                continue
            s = 0.0
            shares: dict[str, float] = defaultdict(float)
            for src, v in peak.items():
                if v < 1e-6:
                    continue
                eff = v * (1.0 + rw * math.log2(max(count[src], 1.0)))
                eff *= calib.get(src, {}).get(d, 1.0)
                s += eff
                per = attrib.get(src, {})
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
        if prev is not None and mark < len(marks):
            text = RiskState(prev, last_top, peak, count, attrib).to_json()
            for b in marks[mark:]:
                saved[b][user] = text
    return RiskRun(pa.table(out, schema=RISK_SCHEMA), by_day, saved)


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
