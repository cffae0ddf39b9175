"""The shipped courses load and are complete; broken copies fail at the right file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from keyguard.errors import InputError
from keyguard.library.content import ContentError, builtin_courses, folder_sha256, load_course

CJK = re.compile(r"[\u4e00-\u9fff]")
COURSES = [
    "classified-handling",
    "department-head-duties",
    "foreign-approaches",
    "insider-indicators",
    "removable-media",
    "reporting",
]
PUBLICITY = ["leaflet-guard-secrets"]


def words(markdown: str) -> int:
    return len(re.findall(r"[A-Za-z0-9][A-Za-z0-9'’-]*", markdown))


def test_builtin_courses_are_the_shipped_folders():
    assert [p.name for p in builtin_courses()] == sorted(COURSES + PUBLICITY)


def test_kinds(courses):
    assert sorted(s for s, c in courses.items() if c.kind == "course") == COURSES
    assert sorted(s for s, c in courses.items() if c.kind == "publicity") == PUBLICITY


@pytest.mark.parametrize("slug", COURSES)
def test_course_is_complete(courses, slug):
    course = courses[slug]
    assert course.urn == f"urn:keyguard:course:{slug}"
    assert course.version >= 1
    assert course.locales == ["en", "zh-CN"]
    assert 600 <= words(course.lesson("en")) <= 1200
    # the Chinese lesson is a full version, not a summary
    assert len(CJK.findall(course.lesson("zh-CN"))) >= 1200
    assert course.lesson("en").startswith("# ")
    assert course.lesson("zh-CN").startswith("# ")
    assert course.lesson("en").count("\n## ") == course.lesson("zh-CN").count("\n## ")
    assert course.pass_mark == 80
    assert course.max_attempts == 3
    assert len(course.questions) >= 10
    assert course.questions_per_attempt <= len(course.questions)
    assert CJK.search(course.text("zh-CN").title)
    assert CJK.search(course.text("zh-CN").summary)
    for question in course.questions:
        zh = question.localised("zh-CN")
        assert CJK.search(zh.text) and CJK.search(zh.explanation), question.id
        assert len(zh.choices) == len(question.choices)
        assert all(0 <= i < len(question.choices) for i in question.correct)


def test_publicity_item_has_text_and_no_quiz(courses):
    leaflet = courses["leaflet-guard-secrets"]
    assert leaflet.questions == ()
    assert leaflet.pass_mark is None
    assert "12339" in leaflet.lesson("en") and "12339" in leaflet.lesson("zh-CN")
    assert CJK.search(leaflet.lesson("zh-CN"))


@pytest.mark.parametrize(
    ("slug", "phrases"),
    [
        ("foreign-approaches", ["elicitation", "online recruitment", "gifts", "travel"]),
        ("classified-handling", ["need-to-know", "check-out", "destruction", "register"]),
        ("removable-media", ["removable media", "personal accounts", "found media"]),
        (
            "reporting",
            ["foreign travel", "foreign contacts", "unexplained", "approaches", "12339"],
        ),
        ("insider-indicators", ["for managers", "behavioural indicators", "technical indicators"]),
        ("department-head-duties", ["access", "overdue", "liaison", "notice"]),
    ],
)
def test_lessons_cover_their_topics(courses, slug, phrases):
    text = courses[slug].lesson("en").lower()
    for phrase in phrases:
        assert phrase in text, phrase


@pytest.mark.parametrize("slug", COURSES + PUBLICITY)
def test_lessons_render_as_plain_markdown(courses, slug):
    md = MarkdownIt("commonmark", {"html": False})
    for locale in ("en", "zh-CN"):
        html = md.render(courses[slug].lesson(locale))
        assert html.startswith("<h1>")
        assert "&lt;" not in html  # nothing looked like raw HTML
        assert "<h2>" in html


def test_course_hash_covers_every_file(courses, course_copy):
    folder = course_copy("reporting")
    files, digest = folder_sha256(folder)
    assert set(files) == {"course.yaml", "quiz.yaml", "en.md", "zh-CN.md"}
    assert digest == courses["reporting"].sha256
    (folder / "en.md").write_text(courses["reporting"].lesson("en") + "\nMore.\n")
    assert folder_sha256(folder)[1] != digest


def test_lesson_fallback_and_unknown_question(courses):
    course = courses["reporting"]
    assert course.lesson("fr") == course.lesson("en")
    assert course.text("fr").title == course.title
    with pytest.raises(KeyError):
        course.question("nope")


# --- broken copies ----------------------------------------------------------------------


@pytest.fixture
def edit(replace_line):
    """``edit(path, old_line, new_line) -> line number`` on a copied course file."""

    def apply(path: Path, old: str, new: str, occurrence: int = 1) -> int:
        text, line = replace_line(path.read_text(encoding="utf-8"), old, new, occurrence)
        path.write_text(text, encoding="utf-8")
        return line

    return apply


def fails_at(folder: Path, file: str, line: int, *words: str) -> ContentError:
    with pytest.raises(InputError) as caught:
        load_course(folder)
    error = caught.value
    assert isinstance(error, ContentError)
    matching = [p for p in error.problems if p.file == str(folder / file) and p.line == line]
    assert matching, [str(p) for p in error.problems]
    for word in words:
        assert any(word in p.reason for p in matching), [p.reason for p in matching]
    return error


def test_correct_index_out_of_range(course_copy, edit):
    folder = course_copy("reporting")
    line = edit(folder / "quiz.yaml", "    correct: 0", "    correct: 7")
    fails_at(folder, "quiz.yaml", line, "correct index 7 but only 4 choices")


def test_bad_pass_mark_names_its_line(course_copy, edit):
    folder = course_copy("foreign-approaches")
    line = edit(folder / "course.yaml", "pass_mark: 80", "pass_mark: 180")
    fails_at(folder, "course.yaml", line, "pass_mark", "180")


def test_bad_quiz_indentation_names_its_line(course_copy, edit):
    folder = course_copy("removable-media")
    line = edit(folder / "quiz.yaml", "    correct: 2", "   correct: 2")
    fails_at(folder, "quiz.yaml", line, "invalid YAML")


def test_missing_chinese_lesson(course_copy):
    folder = course_copy("insider-indicators")
    (folder / "zh-CN.md").unlink()
    lines = (folder / "course.yaml").read_text(encoding="utf-8").splitlines()
    fails_at(folder, "course.yaml", lines.index("  zh-CN:") + 1, "zh-CN.md is missing")


def test_raw_html_in_a_lesson(course_copy, edit):
    folder = course_copy("classified-handling")
    line = edit(folder / "en.md", "## Destruction", "## Destruction <script>alert(1)</script>")
    error = fails_at(folder, "en.md", line, "raw HTML")
    assert error.problem.column == len("## Destruction ") + 1


def test_html_inside_code_is_fine(course_copy, edit):
    folder = course_copy("classified-handling")
    edit(folder / "en.md", "## Destruction", "## Destruction of `<media>` items")
    assert load_course(folder).lesson("en").count("`<media>`") == 1


def test_question_without_chinese_translation(course_copy):
    folder = course_copy("reporting")
    quiz = folder / "quiz.yaml"
    text = quiz.read_text(encoding="utf-8")
    start = text.index("  - id: rp-urgent")
    block = text[start : text.index("\n\n", start)]
    cut = block[: block.index("    translations:")] + "    translations: {}"
    quiz.write_text(text.replace(block, cut), encoding="utf-8")
    line = text[:start].count("\n") + 1 + cut.count("\n")
    fails_at(folder, "quiz.yaml", line, "rp-urgent: no 'zh-CN' translation")


def test_translated_choices_must_match(course_copy, edit):
    folder = course_copy("reporting")
    line = edit(folder / "quiz.yaml", "          - 不用报告，因为是私事", "")
    # the choices list starts four lines above the removed one
    with pytest.raises(ContentError) as caught:
        load_course(folder)
    assert any(
        "zh-CN has 3 choices, the question has 4" in p.reason and p.line == line - 3
        for p in caught.value.problems
    ), [str(p) for p in caught.value.problems]


def test_quiz_for_another_course(course_copy, edit):
    folder = course_copy("reporting")
    line = edit(
        folder / "quiz.yaml",
        "course_urn: urn:keyguard:course:reporting",
        "course_urn: urn:keyguard:course:elsewhere",
    )
    fails_at(folder, "quiz.yaml", line, "does not match course.yaml")


def test_publicity_item_cannot_have_a_pass_mark(course_copy, edit):
    folder = course_copy("leaflet-guard-secrets")
    line = edit(folder / "course.yaml", "kind: publicity", "kind: publicity\npass_mark: 50")
    fails_at(folder, "course.yaml", line + 1, "only for courses")


def test_too_few_questions_for_an_attempt(course_copy, edit):
    folder = course_copy("reporting")
    edit(folder / "course.yaml", "questions_per_attempt: 8", "questions_per_attempt: 30")
    lines = (folder / "quiz.yaml").read_text(encoding="utf-8").splitlines()
    fails_at(folder, "quiz.yaml", lines.index("questions:") + 1, "has only 12 questions")


def test_duplicate_question_id(course_copy, edit):
    folder = course_copy("reporting")
    line = edit(folder / "quiz.yaml", "  - id: rp-debt", "  - id: rp-travel-when")
    fails_at(folder, "quiz.yaml", line, "duplicate question id 'rp-travel-when'")


def test_unquoted_yes_becomes_a_boolean_and_is_refused(course_copy, edit):
    folder = course_copy("reporting")
    line = edit(folder / "quiz.yaml", "      - Only after you return", "      - yes")
    fails_at(folder, "quiz.yaml", line, "True is not of type 'string'")


def test_not_a_folder(tmp_path):
    with pytest.raises(InputError, match="not a folder"):
        load_course(tmp_path / "missing")
