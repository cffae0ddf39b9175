"""Drawing quiz attempts (random, reproducible by seed) and grading them against pass marks."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from keyguard.errors import InputError
from keyguard.library.content import check_answers, draw_quiz, grade

CJK = re.compile(r"[\u4e00-\u9fff]")


def order(drawn):
    return [(q.id, q.choice_ids) for q in drawn]


def test_same_seed_gives_the_same_attempt(courses):
    course = courses["foreign-approaches"]
    first = draw_quiz(course, seed=42, n=8)
    again = draw_quiz(course, seed=42, n=8)
    assert first == again
    assert draw_quiz(course, seed="attempt-7", n=8) == draw_quiz(course, seed="attempt-7", n=8)


def test_known_seed_gives_a_stable_attempt(courses):
    # string seeds are hashed with SHA-512 by random.Random, so this holds on every machine
    course = courses["reporting"]
    drawn = draw_quiz(course, seed="user-17:attempt-1", n=3)
    assert [q.id for q in drawn] == [q.id for q in draw_quiz(course, "user-17:attempt-1", 3)]
    assert len({q.id for q in drawn}) == 3


def test_different_seeds_shuffle_questions_and_choices(courses):
    course = courses["insider-indicators"]
    attempts = [draw_quiz(course, seed=s, n=8) for s in range(20)]
    assert len({tuple(q.id for q in a) for a in attempts}) >= 15
    assert len({frozenset(q.id for q in a) for a in attempts}) > 1  # which questions, too
    choice_orders = Counter(q.choice_ids for a in attempts for q in a)
    assert len(choice_orders) > 10
    identity = [o for o in choice_orders if o == tuple(range(len(o)))]
    assert sum(choice_orders[o] for o in identity) < sum(choice_orders.values()) / 2
    # the right answer is not stuck in one display position
    positions = Counter(q.correct[0] for a in attempts for q in a)
    assert len(positions) >= 3


def test_drawn_question_matches_the_bank(courses):
    course = courses["classified-handling"]
    for question in draw_quiz(course, seed=3):
        bank = course.question(question.id)
        assert sorted(question.choice_ids) == list(range(len(bank.choices)))
        assert question.choices == tuple(bank.choices[i] for i in question.choice_ids)
        assert question.correct_ids == bank.correct
        assert [question.choices[i] for i in question.correct] == [
            bank.choices[question.choice_ids[i]] for i in question.correct
        ]
        assert question.multiple == (len(bank.correct) > 1)
        assert question.explanation == bank.explanation


def test_default_size_is_questions_per_attempt(courses):
    course = courses["removable-media"]
    drawn = draw_quiz(course, seed=1)
    assert len(drawn) == course.questions_per_attempt
    assert len({q.id for q in drawn}) == len(drawn)
    assert len(draw_quiz(course, seed=1, n=len(course.questions))) == len(course.questions)


def test_locale_changes_words_not_order(courses):
    course = courses["reporting"]
    english = draw_quiz(course, seed=9)
    chinese = draw_quiz(course, seed=9, locale="zh-CN")
    assert order(english) == order(chinese)
    for en, zh in zip(english, chinese, strict=True):
        assert CJK.search(zh.text) and not CJK.search(en.text)
        bank = course.question(en.id).localised("zh-CN")
        assert zh.choices == tuple(bank.choices[i] for i in zh.choice_ids)


def test_cannot_draw_more_than_the_bank_or_from_publicity(courses):
    course = courses["reporting"]
    with pytest.raises(InputError, match="cannot draw 13 questions from a bank of 12"):
        draw_quiz(course, seed=1, n=13)
    with pytest.raises(InputError, match="cannot draw 0"):
        draw_quiz(course, seed=1, n=0)
    with pytest.raises(InputError, match="has no quiz"):
        draw_quiz(courses["leaflet-guard-secrets"], seed=1)


# --- grading ----------------------------------------------------------------------------


def right(question):
    return list(question.correct_ids) if question.multiple else question.correct_ids[0]


def wrong(question):
    return next(i for i in question.choice_ids if i not in question.correct_ids)


def test_all_right_passes_and_all_wrong_fails(courses):
    course = courses["foreign-approaches"]
    drawn = draw_quiz(course, seed=5)
    assert grade(course, {q.id: right(q) for q in drawn}) == (100.0, True)
    assert grade(course, {q.id: wrong(q) for q in drawn}) == (0.0, False)


@pytest.mark.parametrize(
    ("n_right", "expected"),
    [(8, (100.0, True)), (7, (87.5, True)), (6, (75.0, False)), (0, (0.0, False))],
)
def test_pass_mark_of_eighty_percent(courses, n_right, expected):
    course = courses["department-head-duties"]
    drawn = draw_quiz(course, seed=11, n=8)
    answers = {q.id: (right(q) if i < n_right else wrong(q)) for i, q in enumerate(drawn)}
    assert grade(course, answers) == expected


def test_exactly_at_the_pass_mark_passes_and_score_rounds_down(courses):
    course = courses["reporting"].model_copy(update={"pass_mark": 67})
    drawn = draw_quiz(course, seed=2, n=3)
    answers = {drawn[0].id: right(drawn[0]), drawn[1].id: right(drawn[1]), drawn[2].id: None}
    assert grade(course, answers) == (66.6, False)  # 2/3 is 66.66..% < 67
    at_mark = course.model_copy(update={"pass_mark": 66})
    assert grade(at_mark, answers) == (66.6, True)


def test_multiple_answer_questions_need_exactly_the_right_set(courses):
    course = courses["reporting"]
    question = course.question("rp-gift")
    assert question.multiple and question.correct == (0, 1)
    marks = check_answers(
        course,
        {"rp-gift": [1, 0]},
    )
    assert marks == {"rp-gift": True}
    assert check_answers(course, {"rp-gift": [0]}) == {"rp-gift": False}
    assert check_answers(course, {"rp-gift": [0, 1, 2]}) == {"rp-gift": False}
    assert check_answers(course, {"rp-gift": 0}) == {"rp-gift": False}


def test_blank_answers_count_as_wrong(courses):
    course = courses["reporting"]
    drawn = draw_quiz(course, seed=4, n=4)
    answers = {q.id: None for q in drawn}
    answers[drawn[0].id] = right(drawn[0])
    assert grade(course, answers) == (25.0, False)


def test_bad_answers_are_refused(courses):
    course = courses["reporting"]
    with pytest.raises(InputError, match="unknown question id 'nope'"):
        grade(course, {"nope": 1})
    with pytest.raises(InputError, match="has no choice 9"):
        grade(course, {"rp-debt": 9})
    with pytest.raises(InputError, match="not a choice index"):
        grade(course, {"rp-debt": True})
    with pytest.raises(InputError, match="no answers"):
        grade(course, {})
    with pytest.raises(InputError, match="not graded"):
        grade(courses["leaflet-guard-secrets"], {"x": 1})
