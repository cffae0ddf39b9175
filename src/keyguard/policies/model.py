"""The policy model: a validated detector as the backends and the detection run use it."""

from __future__ import annotations

from dataclasses import dataclass, field

from keyguard.policies.condition import Node, lookback

#: Modifiers of a selection field (``field|modifier: value``); none means ``eq``.
MODIFIERS = (
    "eq",
    "gt",
    "gte",
    "lt",
    "lte",
    "own_z_gte",
    "peer_z_gte",
    "own_ratio_gte",
    "peer_ratio_gte",
    "above_own_p90",
    "above_peer_p90",
)
PEER_MODIFIERS = ("peer_z_gte", "peer_ratio_gte", "above_peer_p90")
BOOL_MODIFIERS = ("above_own_p90", "above_peer_p90")
LEVELS = ("informational", "low", "medium", "high", "critical")


@dataclass(frozen=True)
class Clause:
    """One ``field|modifier: value`` test on a person-day."""

    field: str
    modifier: str
    value: float | bool


@dataclass(frozen=True)
class Selection:
    """A named selection: any of ``alternatives`` holds, each an AND of clauses."""

    name: str
    alternatives: tuple[tuple[Clause, ...], ...]

    def fields(self) -> set[str]:
        return {c.field for alt in self.alternatives for c in alt}


@dataclass(frozen=True)
class Policy:
    """A detector as loaded from YAML (``source`` is ``file`` of the YAML it came from)."""

    id: str
    title: str
    status: str
    level: str
    version: int
    description: str
    selections: dict[str, Selection]
    condition_text: str
    condition: Node
    falsepositives: tuple[str, ...]
    tags: tuple[str, ...]
    enabled: bool = True
    source: str = ""
    sha256: str = ""
    origin: str = "shipped"  # shipped | home | deprecated
    author: str = ""
    context_selections: frozenset[str] = field(default_factory=frozenset)

    @property
    def runs(self) -> bool:
        """Whether detection runs this policy."""
        return self.enabled and self.status != "deprecated"

    def lookback(self) -> int:
        return lookback(self.condition)

    def indicators(self, *, include_context: bool = False) -> list[str]:
        """Indicator ids named by the policy (context ones only when asked), in order."""
        out: list[str] = []
        for sel in self.selections.values():
            if not include_context and sel.name in self.context_selections:
                continue
            for alt in sel.alternatives:
                for clause in alt:
                    if clause.field not in out:
                        out.append(clause.field)
        return out
