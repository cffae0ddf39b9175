"""Drawing a quiz attempt from a course's question bank and grading the answers.

An attempt shows ``n`` questions in a random order, each with its choices shuffled. The same
course version and seed always give the same attempt. Choices keep their bank index in
``choice_ids``; answers are given in those bank indices, so grading needs only the course.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from fractions import Fraction

from pydantic import BaseModel, ConfigDict

from keyguard.errors import SourceProblem
from keyguard.library.content_courses import BankQuestion, CourseDoc
from keyguard.library.content_yaml import ContentError

Answer = int | Iterable[int] | None


class Question(BaseModel):
    """One question of a drawn attempt, in display order and in the requested locale."""

    model_config = ConfigDict(frozen=True)

    id: str
    text: str
    choices: tuple[str, ...]  # display order
    choice_ids: tuple[int, ...]  # bank index of each displayed choice
    correct: tuple[int, ...]  # display positions of the correct choices
    multiple: bool
    explanation: str

    @property
    def correct_ids(self) -> tuple[int, ...]:
        """Bank indices of the correct choices (what ``grade`` expects for a right answer)."""
        return tuple(sorted(self.choice_ids[i] for i in self.correct))


def _no_quiz(course: CourseDoc, reason: str) -> ContentError:
    return ContentError([SourceProblem(file=course.path, line=None, reason=reason)])


def draw_quiz(
    course: CourseDoc, seed: int | str, n: int | None = None, *, locale: str | None = None
) -> list[Question]:
    """``n`` questions (default ``questions_per_attempt``), order and choices shuffled by seed."""
    if not course.questions:
        raise _no_quiz(course, f"{course.slug} has no quiz")
    count = course.questions_per_attempt if n is None else n
    if count is None or count < 1 or count > len(course.questions):
        raise _no_quiz(
            course,
            f"cannot draw {count} questions from a bank of {len(course.questions)}",
        )
    # a string seed is hashed with SHA-512 by random.Random: stable across runs and machines
    rng = random.Random(f"{course.urn}|{course.version}|{seed}")
    picked = rng.sample(list(course.questions), count)
    drawn = []
    for question in picked:
        wording = question.localised(locale)
        order = list(range(len(question.choices)))
        rng.shuffle(order)
        drawn.append(
            Question(
                id=question.id,
                text=wording.text,
                choices=tuple(wording.choices[i] for i in order),
                choice_ids=tuple(order),
                correct=tuple(sorted(order.index(i) for i in question.correct)),
                multiple=question.multiple,
                explanation=wording.explanation,
            )
        )
    return drawn


def _selected(question: BankQuestion, answer: Answer, course: CourseDoc) -> frozenset[int] | None:
    if answer is None:
        return None
    values = [answer] if isinstance(answer, int) else list(answer)
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _no_quiz(course, f"answer to {question.id!r} is not a choice index: {value!r}")
        if not 0 <= value < len(question.choices):
            raise _no_quiz(course, f"answer to {question.id!r} has no choice {value}")
    return frozenset(values)


def check_answers(course: CourseDoc, answers: Mapping[str, Answer]) -> dict[str, bool]:
    """Right or wrong for every answered question id (answers are bank choice indices).

    A question is right when exactly its correct choices are selected. ``None`` means
    presented but not answered (wrong). An id not in the bank is an error.
    """
    result = {}
    for question_id, answer in answers.items():
        try:
            question = course.question(question_id)
        except KeyError:
            raise _no_quiz(course, f"unknown question id {question_id!r}") from None
        chosen = _selected(question, answer, course)
        result[question_id] = chosen == frozenset(question.correct)
    return result


def grade(course: CourseDoc, answers: Mapping[str, Answer]) -> tuple[float, bool]:
    """Score in percent (rounded down to 0.1) and whether it reaches the course's pass mark.

    ``answers`` maps every question id presented in the attempt to the chosen bank choice
    index (or indices; ``None`` if left blank). Passing is decided on the exact fraction.
    """
    if course.pass_mark is None:
        raise _no_quiz(course, f"{course.slug} is not graded (no pass mark)")
    marks = check_answers(course, answers)
    if not marks:
        raise _no_quiz(course, "no answers to grade")
    right = Fraction(sum(marks.values()), len(marks))
    score = int(right * 1000) / 10  # floor to one decimal
    return score, right * 100 >= course.pass_mark
