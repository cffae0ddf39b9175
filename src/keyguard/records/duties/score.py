"""The compliance score: a weighted mean over evidence sources, computed only from evidence.

``score = 100 × Σ_s w_s · earned_s / possible_s  ÷  Σ_s w_s`` over the sources that have
something to count (``possible_s > 0``); a unit or department with nothing to count scores 0.
Each source is an :class:`EvidenceSource`. Sources are found in every module named
``evidence`` under the ``keyguard`` package (a ``SOURCES`` list, as the demo finds ``STEPS``)
and in :func:`register_evidence_source` calls, so another domain adds its own term without
editing this one. See docs/compliance-score.md.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.config import utcnow
from keyguard.records.duties.models import ComplianceSnapshot
from keyguard.records.duties.settings import local_today
from keyguard.records.org.models import OrgNode, Person, Unit

#: Every term the design asks for; one whose domain registers no source (e.g. a plugin
#: removed it) is named in the formula as absent. docs/compliance-score.md lists them.
EXPECTED_SOURCES = {
    "statements": "responsibility statements signed (duties)",
    "attestations": "duty attestations given (duties)",
    "training": "training items completed (education)",
    "access_reviews": "access reviews done (register and grants)",
    "findings": "loophole findings closed (controls)",
    "rectification": "rectification actions done (cases)",
}


@dataclass(frozen=True)
class Scope:
    """What a score is computed over: a unit or one department of it, on a day."""

    unit: Unit
    day: dt.date
    people: list[Person]
    department_id: int | None = None
    #: shared by the sources of one computation (e.g. duty items counted by two terms)
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class EvidenceRow:
    """One piece of evidence (or a missing one) behind a term."""

    what: str
    person_id: int | None = None
    at: str | None = None  # ISO date/time the evidence was given
    version: str | None = None  # e.g. "urn:…:framework v1"
    present: bool = True


@dataclass(frozen=True)
class Count:
    earned: int
    possible: int
    rows: list[EvidenceRow] = field(default_factory=list)


@dataclass(frozen=True)
class EvidenceSource:
    """One term of the score: ``compute(session, scope)`` counts evidence given against
    evidence owed."""

    key: str
    label: str
    formula: str
    compute: Callable[[Session, Scope], Count]
    weight: float = 1.0


@dataclass(frozen=True)
class Term:
    key: str
    label: str
    formula: str
    weight: float
    earned: int
    possible: int
    rows: list[EvidenceRow]

    @property
    def ratio(self) -> float | None:
        return self.earned / self.possible if self.possible else None


@dataclass(frozen=True)
class Score:
    score: float
    day: dt.date
    terms: list[Term]
    absent: dict[str, str]

    @property
    def formula(self) -> str:
        """The formula in words, with the terms in force and those absent."""
        used = [t for t in self.terms if t.possible]
        parts = " + ".join(f"{t.weight:g}·({t.earned}/{t.possible} {t.label})" for t in used)
        weights = " + ".join(f"{t.weight:g}" for t in used)
        text = (
            f"score = 100 × ({parts}) ÷ ({weights})"
            if used
            else "score = 0 (no evidence is owed or given yet)"
        )
        empty = [t.label for t in self.terms if not t.possible]
        if empty:
            text += "; not counted (nothing owed yet): " + ", ".join(empty)
        if self.absent:
            text += "; not part of the score until their records exist: " + ", ".join(
                self.absent.values()
            )
        return text


_REGISTERED: dict[str, EvidenceSource] = {}


def register_evidence_source(source: EvidenceSource) -> None:
    """Add (or replace) a term of the score."""
    _REGISTERED[source.key] = source


@lru_cache(maxsize=1)
def _discovered() -> tuple[EvidenceSource, ...]:
    import keyguard

    found: list[EvidenceSource] = []
    for info in pkgutil.walk_packages(keyguard.__path__, prefix="keyguard."):
        if info.name.endswith(".evidence"):
            module = importlib.import_module(info.name)
            found.extend(getattr(module, "SOURCES", []))
    return tuple(found)


def evidence_sources() -> list[EvidenceSource]:
    """Every registered source: ``SOURCES`` of each ``keyguard.**.evidence`` module, then
    explicit registrations."""
    found = {source.key: source for source in _discovered()}
    found.update(_REGISTERED)
    return sorted(found.values(), key=lambda s: s.key)


def compute_score(session: Session, scope: Scope) -> Score:
    """The score of ``scope`` with every term and the evidence behind it."""
    terms: list[Term] = []
    sources = evidence_sources()
    for source in sources:
        count = source.compute(session, scope)
        terms.append(
            Term(
                source.key,
                source.label,
                source.formula,
                source.weight,
                count.earned,
                count.possible,
                count.rows,
            )
        )
    used = [t for t in terms if t.possible]
    weight = sum(t.weight for t in used)
    value = sum(t.weight * t.earned / t.possible for t in used) / weight if weight else 0.0
    keys = {s.key for s in sources}
    absent = {k: v for k, v in EXPECTED_SOURCES.items() if k not in keys}
    return Score(round(100 * value, 1), scope.day, terms, absent)


def _people(session: Session, unit: Unit, department_id: int | None) -> list[Person]:
    from keyguard.records.duties.service import department_people

    return department_people(session, unit_id=unit.id, department_id=department_id)


def unit_score(
    session: Session, *, unit: Unit, department_id: int | None = None, day: dt.date | None = None
) -> Score:
    """The score of a unit (or one of its departments) today or on ``day``."""
    day = day or local_today(unit)
    scope = Scope(unit, day, _people(session, unit, department_id), department_id)
    return compute_score(session, scope)


def departments(session: Session, unit_id: int) -> list[OrgNode]:
    """The unit's departments (org nodes of kind "department")."""
    return list(
        session.scalars(
            select(OrgNode)
            .where(
                OrgNode.unit_id == unit_id,
                OrgNode.kind == "department",
                OrgNode.retired_from.is_(None),
            )
            .order_by(OrgNode.path)
        )
    )


def _terms_json(score: Score) -> list[dict[str, Any]]:
    return [
        {
            "key": t.key,
            "label": t.label,
            "weight": t.weight,
            "earned": t.earned,
            "possible": t.possible,
        }
        for t in score.terms
    ]


def snapshot_unit(session: Session, unit: Unit, now: dt.datetime | None = None) -> int:
    """Store today's score of the unit and of each department (replacing today's)."""
    now = now or utcnow()
    day = local_today(unit, now)
    scopes: list[tuple[str, int | None]] = [("unit", None)]
    scopes += [(f"dept:{d.id}", d.id) for d in departments(session, unit.id)]
    for key, dept in scopes:
        score = unit_score(session, unit=unit, department_id=dept, day=day)
        row = session.scalar(
            select(ComplianceSnapshot).where(
                ComplianceSnapshot.unit_id == unit.id,
                ComplianceSnapshot.scope == key,
                ComplianceSnapshot.day == day,
            )
        )
        if row is None:
            row = ComplianceSnapshot(unit_id=unit.id, scope=key, department_id=dept, day=day)
            session.add(row)
        row.score, row.terms, row.computed_at = score.score, _terms_json(score), now
    session.flush()
    return len(scopes)


def snapshot_all(session: Session, now: dt.datetime) -> dict[str, int]:
    """The job: today's snapshots for every unit."""
    units = list(session.scalars(select(Unit).order_by(Unit.id)))
    return {"units": len(units), "snapshots": sum(snapshot_unit(session, u, now) for u in units)}


def history(
    session: Session, *, unit_id: int, department_id: int | None = None, days: int = 365
) -> list[ComplianceSnapshot]:
    """Stored daily scores, oldest first (the chart and its table)."""
    scope = "unit" if department_id is None else f"dept:{department_id}"
    rows = list(
        session.scalars(
            select(ComplianceSnapshot)
            .where(ComplianceSnapshot.unit_id == unit_id, ComplianceSnapshot.scope == scope)
            .order_by(ComplianceSnapshot.day.desc())
            .limit(days)
        )
    )
    return rows[::-1]
