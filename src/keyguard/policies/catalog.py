"""The indicator catalog (``indicators.yaml``): every field a policy may name."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from keyguard.errors import InputError

CATALOG_FILE = Path(__file__).with_name("indicators.yaml")
CATEGORIES = ("logon", "device", "file", "items", "email", "web", "person")
KINDS = ("count", "bytes", "flag", "cumulative", "share")
#: Kinds without baselines: compared with a number only.
PLAIN_KINDS = ("flag", "share")

#: Baseline statistics computed for every indicator, usable in explanations and SQL.
OWN_STATS = ("own_p10", "own_p50", "own_p90", "own_days")
PEER_STATS = ("peer_p50", "peer_p90", "peer_n")

#: Words that no field, category or policy may be about (protected traits).
FORBIDDEN_WORDS = (
    "health",
    "medic",
    "sick",
    "religio",
    "faith",
    "church",
    "politic",
    "party",
    "vote",
    "ethnic",
    "race",
    "racial",
    "nationalit",
    "citizenship",
    "union",
    "personality",
    "psychometric",
    "openness",
    "conscientious",
    "extraversion",
    "agreeable",
    "neurotic",
)


@dataclass(frozen=True)
class Indicator:
    """One daily indicator of a person."""

    id: str
    title: str
    category: str
    kind: str
    description: str
    evidence: str
    context: bool = False
    peer: bool = True
    anomaly: bool = False
    window: int | None = None
    base: str | None = None
    counted_after_days: int = 0
    numerator: str | None = None
    denominator: str | None = None


def forbidden_word(name: str) -> str | None:
    """The protected-trait word ``name`` is about, if any."""
    lowered = name.lower()
    return next((w for w in FORBIDDEN_WORDS if w in lowered), None)


@lru_cache(maxsize=1)
def indicators() -> dict[str, Indicator]:
    """Every indicator by id, in catalog order."""
    data = yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8"))
    out: dict[str, Indicator] = {}
    for raw in data["indicators"]:
        ind = Indicator(
            id=raw["id"],
            title=raw["title"],
            category=raw["category"],
            kind=raw["kind"],
            description=" ".join(str(raw["description"]).split()),
            evidence=raw["evidence"],
            context=bool(raw.get("context", False)),
            peer=bool(raw.get("peer", True)),
            anomaly=bool(raw.get("anomaly", False)),
            window=raw.get("window"),
            base=raw.get("base"),
            counted_after_days=int(raw.get("counted_after_days", 0)),
            numerator=raw.get("numerator"),
            denominator=raw.get("denominator"),
        )
        problem = None
        if ind.category not in CATEGORIES:
            problem = f"unknown category {ind.category!r}"
        elif ind.kind not in KINDS:
            problem = f"unknown kind {ind.kind!r}"
        elif ind.counted_after_days < 0:
            problem = "counted_after_days must be 0 or more"
        elif ind.kind == "cumulative" and (not ind.window or ind.base not in out):
            problem = "a cumulative indicator needs a window and an earlier base indicator"
        elif ind.kind == "share" and not (
            ind.numerator in out
            and ind.denominator in out
            and {out[ind.numerator].kind, out[ind.denominator].kind} <= {"count", "cumulative"}
        ):
            problem = "a share needs an earlier count indicator as numerator and denominator"
        elif ind.kind == "share" and (ind.peer or ind.anomaly):
            problem = "a share has no baselines: peer and anomaly must be false"
        elif forbidden_word(ind.id):
            problem = "indicator about a protected trait"
        elif ind.id in out:
            problem = "duplicate id"
        if problem:
            raise InputError(str(CATALOG_FILE), f"indicator {ind.id!r}: {problem}")
        out[ind.id] = ind
    return out


def indicator_ids() -> list[str]:
    return list(indicators())


def context_ids() -> set[str]:
    """Indicators that may qualify but never alone raise an alert."""
    return {i.id for i in indicators().values() if i.context}


def evidence_lookback(ind: Indicator) -> int:
    """Days of activity one value of ``ind`` covers (its window, else the day itself)."""
    return ind.window or 1
