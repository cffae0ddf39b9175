"""The duties domain's terms of the compliance score: signed responsibility statements and
periodic attestations (see ``score.py``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from keyguard.records.duties.items import ATTESTATION, STATEMENT, items_for_people
from keyguard.records.duties.score import Count, EvidenceRow, EvidenceSource, Scope


def _rows(session: Session, scope: Scope, kind: str) -> Count:
    if "duty_items" not in scope.cache:
        scope.cache["duty_items"] = items_for_people(
            session, unit=scope.unit, people=scope.people, day=scope.day, with_previous=True
        )
    items = scope.cache["duty_items"]
    earned = possible = 0
    rows: list[EvidenceRow] = []
    for item in items:
        if item.kind != kind or item.status not in ("done", "overdue"):
            continue
        possible += 1
        done = item.status == "done"
        earned += done
        if item.kind == STATEMENT:
            what = "responsibility statement"
            version = None
        else:
            assert item.duty is not None
            what = f"{item.duty.ref_id} {item.duty.name} — {item.period}"
            v = item.evidence_version or item.framework_version
            version = f"{item.framework_urn} v{v}"
        rows.append(
            EvidenceRow(
                what=what,
                person_id=item.person_id,
                at=item.evidence_at.isoformat() if item.evidence_at else None,
                version=version,
                present=done,
            )
        )
    return Count(earned, possible, rows)


def statements(session: Session, scope: Scope) -> Count:
    return _rows(session, scope, STATEMENT)


def attestations(session: Session, scope: Scope) -> Count:
    return _rows(session, scope, ATTESTATION)


SOURCES = [
    EvidenceSource(
        key="statements",
        label="responsibility statements signed",
        formula="people whose signed statement covers all their current duties ÷ people "
        "whose statement is signed or overdue",
        compute=statements,
    ),
    EvidenceSource(
        key="attestations",
        label="duty attestations given",
        formula="attestations given for the current and previous period of each duty ÷ those "
        "given or overdue (evidence given under an older framework version counts for the "
        "duty with the same URN and keeps its version)",
        compute=attestations,
    ),
]
