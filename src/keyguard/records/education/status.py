"""Training figures: a person's own items and history, and completion, scores and overdue
lists per unit and department."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.records.education.courses import course_doc
from keyguard.records.education.models import (
    Campaign,
    Certificate,
    Course,
    QuizAttempt,
    TrainingAssignment,
)
from keyguard.records.org.models import Person


@dataclass
class MyItem:
    """One training item as its person sees it (never with a reason)."""

    id: int
    campaign: str
    course_urn: str
    title: str
    kind: str
    due_on: dt.date
    status: str  # assigned | passed | failed | overdue
    best_score: float | None
    completed_at: dt.datetime | None


def _titles(session: Session, unit_id: int, locale: str | None) -> dict[str, tuple[str, str]]:
    out = {}
    for course in session.scalars(
        select(Course).where(Course.unit_id == unit_id, Course.status == "current")
    ):
        out[course.urn] = (course_doc(course).text(locale).title, course.kind)
    return out


def item_status(item: TrainingAssignment, day: dt.date) -> str:
    if item.status == "assigned" and item.due_on < day:
        return "overdue"
    return item.status


def my_training(
    session: Session, *, person_id: int, day: dt.date, locale: str | None = None
) -> list[MyItem]:
    """The person's training items, open first, then by due date."""
    person = session.get(Person, person_id)
    if person is None:
        return []
    titles = _titles(session, person.unit_id, locale)
    campaigns = {
        c.id: c.name
        for c in session.scalars(select(Campaign).where(Campaign.unit_id == person.unit_id))
    }
    out = []
    for item in session.scalars(
        select(TrainingAssignment).where(TrainingAssignment.person_id == person_id)
    ):
        title, kind = titles.get(item.course_urn, (item.course_urn, "course"))
        out.append(
            MyItem(
                item.id,
                campaigns.get(item.campaign_id, ""),
                item.course_urn,
                title,
                kind,
                item.due_on,
                item_status(item, day),
                item.best_score,
                item.completed_at,
            )
        )
    out.sort(key=lambda i: (i.status == "passed", i.due_on))
    return out


@dataclass
class History:
    items: list[MyItem]
    attempts: list[QuizAttempt]
    certificates: list[Certificate]


def person_history(
    session: Session, *, person_id: int, day: dt.date, locale: str | None = None
) -> History:
    """An employee's own training history: items, attempts and certificates."""
    return History(
        items=my_training(session, person_id=person_id, day=day, locale=locale),
        attempts=list(
            session.scalars(
                select(QuizAttempt)
                .where(QuizAttempt.person_id == person_id)
                .order_by(QuizAttempt.started_at.desc())
            )
        ),
        certificates=list(
            session.scalars(
                select(Certificate)
                .where(Certificate.person_id == person_id)
                .order_by(Certificate.issued_at.desc())
            )
        ),
    )


@dataclass
class CourseFigures:
    course_urn: str
    title: str
    assigned: int = 0
    completed: int = 0
    overdue: int = 0
    failed: int = 0
    scores: list[float] = field(default_factory=list)

    @property
    def completion(self) -> float:
        return round(100 * self.completed / self.assigned, 1) if self.assigned else 0.0

    @property
    def mean_score(self) -> float | None:
        return round(sum(self.scores) / len(self.scores), 1) if self.scores else None


@dataclass
class OverdueTraining:
    person: Person
    title: str
    due_on: dt.date
    days_overdue: int
    status: str


def training_status(
    session: Session,
    *,
    unit_id: int,
    people: list[Person],
    day: dt.date,
    locale: str | None = None,
) -> tuple[list[CourseFigures], list[OverdueTraining]]:
    """Completion and scores per course, and the overdue list, for ``people``."""
    by_id = {p.id: p for p in people}
    titles = _titles(session, unit_id, locale)
    figures: dict[str, CourseFigures] = {}
    overdue: list[OverdueTraining] = []
    ids = list(by_id)
    items: list[TrainingAssignment] = []
    for start in range(0, len(ids), 500):
        items += list(
            session.scalars(
                select(TrainingAssignment).where(
                    TrainingAssignment.person_id.in_(ids[start : start + 500])
                )
            )
        )
    for item in items:
        if item.assigned_on > day:
            continue
        title = titles.get(item.course_urn, (item.course_urn, ""))[0]
        fig = figures.setdefault(item.course_urn, CourseFigures(item.course_urn, title))
        fig.assigned += 1
        status = item_status(item, day)
        if status == "passed":
            fig.completed += 1
        if item.best_score is not None:
            fig.scores.append(item.best_score)
        if status in ("overdue", "failed"):
            fig.overdue += status == "overdue"
            fig.failed += status == "failed"
            overdue.append(
                OverdueTraining(
                    by_id[item.person_id],
                    title,
                    item.due_on,
                    max(0, (day - item.due_on).days),
                    status,
                )
            )
    overdue.sort(key=lambda o: (-o.days_overdue, o.person.full_name))
    return sorted(figures.values(), key=lambda f: f.title), overdue
