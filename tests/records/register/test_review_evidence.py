"""Access reviews are a source of the compliance score: a unit whose only evidence is
completed reviews scores above 0, one with nothing scores 0; an overdue review counts
against the unit and the owner's department; later decisions change no earlier day."""

from __future__ import annotations

import datetime as dt

import pytest
from kg_register_builders import World
from sqlalchemy.orm import Session

from keyguard.records.duties.score import unit_score
from keyguard.records.register.grants import Grantee, Scope, new_grant
from keyguard.records.register.reviews import decide, review_queue, start_campaign
from keyguard.records.register.service import create_item

D = dt.date


def _term(score, key: str):  # type: ignore[no-untyped-def]
    return next(t for t in score.terms if t.key == key)


@pytest.mark.pg
def test_completed_reviews_alone_give_a_score(session: Session, world: World, now) -> None:  # type: ignore[no-untyped-def]
    w = world
    now("2026-03-02T10:00:00")
    assert unit_score(session, unit=w.unit).score == 0  # no evidence at all
    research, finance = w.nodes["research"].id, w.nodes["finance"].id
    item = create_item(
        session,
        unit=w.unit,
        reference="R-1",
        title="Plans",
        level="secret",
        locations=[r"\\fs\plans\*"],
        owner=w.people["EVE0005"],
        owner_department_id=research,
    )
    grants = [
        new_grant(
            session,
            unit=w.unit,
            grantee=Grantee("person", person=w.people[s]),
            scope=Scope("item", item=item),
            purpose="work",
            start=D(2026, 1, 1),
            end=None,
            status="approved",
            known_from=D(2026, 1, 1),
            source="t",
        )
        for s in ("ALI0001", "BOB0002")
    ]
    start_campaign(session, unit=w.unit, name="Q1 review", due_on=D(2026, 3, 16))
    # nothing is owed before the due date: still 0, and the term is not counted
    assert unit_score(session, unit=w.unit).score == 0
    assert _term(unit_score(session, unit=w.unit), "access_reviews").possible == 0
    eve = w.accounts["eve"]
    tasks = {r.grant.id: r.task.id for r in review_queue(session, unit=w.unit, account=eve)}
    decide(session, unit=w.unit, task_id=tasks[grants[0].id], account=eve, decision="confirm")
    score = unit_score(session, unit=w.unit)
    term = _term(score, "access_reviews")
    assert (term.earned, term.possible) == (1, 1) and score.score == 100
    assert "access reviews done" in score.formula
    assert "access reviews" not in "".join(score.absent.values())
    assert unit_score(session, unit=w.unit, department_id=research).score == 100
    assert unit_score(session, unit=w.unit, department_id=finance).score == 0
    # after the due date the undecided grant is overdue: 1 of 2
    now("2026-03-20T10:00:00")
    late = unit_score(session, unit=w.unit)
    assert (_term(late, "access_reviews").earned, _term(late, "access_reviews").possible) == (1, 2)
    assert late.score == 50
    missing = [r for r in _term(late, "access_reviews").rows if not r.present]
    assert len(missing) == 1 and "R-1" in missing[0].what
    # the decision made on 2026-03-02 is not counted on an earlier day
    assert unit_score(session, unit=w.unit, day=D(2026, 3, 1)).score == 0


def test_every_score_source_is_documented_with_its_formula() -> None:
    from pathlib import Path

    from keyguard.records.duties.score import EXPECTED_SOURCES, evidence_sources

    text = (Path(__file__).resolve().parents[3] / "docs" / "compliance-score.md").read_text(
        encoding="utf-8"
    )
    sources = evidence_sources()
    assert {s.key for s in sources} >= set(EXPECTED_SOURCES)
    for s in sources:
        assert f"`{s.key}`" in text, s.key
        assert s.label in text, s.label
        assert s.formula.split(" (")[0] in " ".join(text.split()), s.key
