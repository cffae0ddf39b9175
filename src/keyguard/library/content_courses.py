"""Courses and publicity material: a folder with ``course.yaml``, ``<locale>.md`` lessons and,
for a course, a ``quiz.yaml`` question bank.

``load_course`` validates the folder (schemas, lesson files for every declared locale, plain
Markdown without raw HTML, answer indices in range, a translated quiz for every translated
course) and returns a ``CourseDoc``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from keyguard.errors import SourceProblem
from keyguard.library.content_yaml import (
    ContentError,
    Located,
    file_sha256,
    read_text,
    read_yaml,
    validate,
)

COURSE_DIR = Path(__file__).with_name("courses")
COURSE_FILE = "course.yaml"
QUIZ_FILE = "quiz.yaml"

# an opening/closing tag or a comment; autolinks such as <https://...> do not match
_RAW_HTML = re.compile(r"<(?:!--|/?[A-Za-z][A-Za-z0-9-]*(?:\s|/?>))")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CourseText(_Frozen):
    """A course's title and summary in one locale."""

    title: str
    summary: str


class CourseReference(_Frozen):
    title: str
    ref: str | None = None
    url: str | None = None


class QuestionText(_Frozen):
    """A question's wording in one locale (choices in bank order)."""

    text: str
    choices: tuple[str, ...]
    explanation: str


class BankQuestion(_Frozen):
    """A question as written in ``quiz.yaml``; ``correct`` holds indices into ``choices``."""

    id: str
    text: str
    choices: tuple[str, ...]
    correct: tuple[int, ...]
    explanation: str
    translations: dict[str, QuestionText] = Field(default_factory=dict)
    line: int | None = None

    @property
    def multiple(self) -> bool:
        """True when more than one choice is correct (all of them must be chosen)."""
        return len(self.correct) > 1

    def localised(self, locale: str | None = None) -> QuestionText:
        """The wording in ``locale`` (falls back to the course's own language)."""
        if locale and locale in self.translations:
            return self.translations[locale]
        return QuestionText(text=self.text, choices=self.choices, explanation=self.explanation)


class CourseDoc(_Frozen):
    """A validated course or publicity item with its lessons and question bank."""

    slug: str
    urn: str
    version: int
    kind: Literal["course", "publicity"]
    locale: str
    title: str
    summary: str
    audience: tuple[str, ...]
    duration_minutes: int | None = None
    pass_mark: int | None = None
    max_attempts: int | None = None
    questions_per_attempt: int | None = None
    references: tuple[CourseReference, ...] = ()
    translations: dict[str, CourseText] = Field(default_factory=dict)
    lessons: dict[str, str]
    questions: tuple[BankQuestion, ...] = ()
    path: str
    files: dict[str, str]  # file name -> SHA-256
    sha256: str  # over all files of the folder

    @property
    def locales(self) -> list[str]:
        """The course's own locale first, then its translations."""
        return [self.locale, *sorted(self.translations)]

    def text(self, locale: str | None = None) -> CourseText:
        """Title and summary in ``locale``."""
        if locale and locale in self.translations:
            return self.translations[locale]
        return CourseText(title=self.title, summary=self.summary)

    def lesson(self, locale: str | None = None) -> str:
        """The lesson Markdown in ``locale`` (falls back to the course's own language)."""
        if locale and locale in self.lessons:
            return self.lessons[locale]
        return self.lessons[self.locale]

    def question(self, question_id: str) -> BankQuestion:
        """The bank question with this id (KeyError if absent)."""
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)


def builtin_courses() -> list[Path]:
    """The course folders shipped with keyguard, sorted by slug."""
    return sorted(p.parent for p in COURSE_DIR.glob(f"*/{COURSE_FILE}"))


def folder_sha256(folder: Path) -> tuple[dict[str, str], str]:
    """SHA-256 of every visible file of ``folder`` and one hash over all of them."""
    files = {
        p.name: file_sha256(p)
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.startswith(".")
    }
    combined = hashlib.sha256()
    for name, digest in files.items():
        combined.update(f"{name}\0{digest}\n".encode())
    return files, combined.hexdigest()


def markdown_problems(text: str, label: str) -> list[SourceProblem]:
    """Raw HTML in lesson Markdown (it is rendered with HTML disabled, so keep it plain)."""
    problems: list[SourceProblem] = []
    if not text.strip():
        return [SourceProblem(file=label, line=1, column=1, reason="empty lesson")]
    in_fence = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        unquoted = re.sub(r"`[^`]*`", lambda m: " " * len(m.group(0)), line)
        match = _RAW_HTML.search(unquoted)
        if match:
            problems.append(
                SourceProblem(
                    file=label,
                    line=number,
                    column=match.start() + 1,
                    reason="raw HTML is not allowed in lessons; use plain Markdown",
                )
            )
    return problems


def _check_course(located: Located, problems: list[SourceProblem]) -> None:
    data = located.data
    if data["kind"] == "publicity":
        for name in ("pass_mark", "max_attempts", "questions_per_attempt"):
            if name in data:
                problems.append(
                    located.problem(
                        (name,), f"{name!r} is only for courses (publicity has no quiz)", key=True
                    )
                )
    if data["locale"] in data["translations"]:
        problems.append(
            located.problem(
                ("translations", data["locale"]),
                f"translation into {data['locale']!r} repeats the file's own locale",
                key=True,
            )
        )


def _check_quiz(located: Located, course: dict[str, Any], problems: list[SourceProblem]) -> None:
    data = located.data
    if data["course_urn"] != course["urn"]:
        problems.append(
            located.problem(
                ("course_urn",),
                f"course_urn {data['course_urn']!r} does not match course.yaml urn "
                f"{course['urn']!r}",
            )
        )
    locales = set(course["translations"])
    seen: dict[str, int] = {}
    for index, question in enumerate(data["questions"]):
        here = ("questions", index)
        qid = question["id"]
        if qid in seen:
            problems.append(located.problem((*here, "id"), f"duplicate question id {qid!r}"))
        seen[qid] = index
        count = len(question["choices"])
        correct = question["correct"]
        indices = [correct] if isinstance(correct, int) else list(correct)
        for position, value in enumerate(indices):
            if value >= count:
                where = (
                    (*here, "correct")
                    if isinstance(correct, int)
                    else (
                        *here,
                        "correct",
                        position,
                    )
                )
                problems.append(
                    located.problem(
                        where, f"{qid}: correct index {value} but only {count} choices (0-based)"
                    )
                )
        if len(set(question["choices"])) != count:
            problems.append(located.problem((*here, "choices"), f"{qid}: repeated choice text"))
        translations = question.get("translations", {})
        for locale in sorted(locales - set(translations)):
            problems.append(
                located.problem(
                    (*here, "translations"), f"{qid}: no {locale!r} translation", key=True
                )
            )
        for locale, translated in translations.items():
            if len(translated["choices"]) != count:
                problems.append(
                    located.problem(
                        (*here, "translations", locale, "choices"),
                        f"{qid}: {locale} has {len(translated['choices'])} choices, "
                        f"the question has {count}",
                    )
                )
            if locale not in locales and locale != course["locale"]:
                problems.append(
                    located.problem(
                        (*here, "translations", locale),
                        f"{qid}: translation into {locale!r} but course.yaml has none",
                        key=True,
                    )
                )
    wanted = course.get("questions_per_attempt")
    if wanted is not None and wanted > len(data["questions"]):
        problems.append(
            located.problem(
                ("questions",),
                f"questions_per_attempt is {wanted} but the bank has only "
                f"{len(data['questions'])} questions",
                key=True,
            )
        )


def _bank(located: Located) -> tuple[BankQuestion, ...]:
    out = []
    for index, question in enumerate(located.data["questions"]):
        correct = question["correct"]
        values = (correct,) if isinstance(correct, int) else tuple(sorted(correct))
        pos = located.where(("questions", index))
        fields = {k: v for k, v in question.items() if k != "correct"}
        out.append(BankQuestion(**fields, correct=values, line=pos[0] if pos else None))
    return tuple(out)


def load_course(folder: str | Path) -> CourseDoc:
    """Validate one course folder and return it; ContentError (an InputError) names file:line."""
    root = Path(folder)
    course_file = root / COURSE_FILE
    if not root.is_dir():
        raise ContentError([SourceProblem(file=str(root), line=None, reason="not a folder")])
    located = read_yaml(course_file)
    problems = validate(located, "course")
    if problems:
        raise ContentError(problems)
    _check_course(located, problems)
    course = located.data

    quiz_file = root / QUIZ_FILE
    questions: tuple[BankQuestion, ...] = ()
    if course["kind"] == "course":
        quiz = read_yaml(quiz_file)
        quiz_problems = validate(quiz, "quiz")
        if not quiz_problems:
            _check_quiz(quiz, course, quiz_problems)
        problems.extend(quiz_problems)
        if not quiz_problems:
            questions = _bank(quiz)
    elif quiz_file.exists():
        problems.append(
            SourceProblem(
                file=str(quiz_file), line=1, column=1, reason="publicity items have no quiz"
            )
        )

    lessons: dict[str, str] = {}
    for locale in [course["locale"], *sorted(course["translations"])]:
        lesson_file = root / f"{locale}.md"
        if not lesson_file.exists():
            problems.append(
                located.problem(
                    ("translations", locale) if locale != course["locale"] else ("locale",),
                    f"lesson file {lesson_file.name} is missing",
                    key=True,
                )
            )
            continue
        text = read_text(lesson_file)
        problems.extend(markdown_problems(text, str(lesson_file)))
        lessons[locale] = text
    if problems:
        raise ContentError(problems)

    files, digest = folder_sha256(root)
    return CourseDoc(
        **course,
        slug=root.name,
        lessons=lessons,
        questions=questions,
        path=str(root),
        files=files,
        sha256=digest,
    )
