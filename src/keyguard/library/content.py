"""The content API: load and validate the frameworks and courses shipped with keyguard (or an
officer's own), pure functions with no database.

Errors are ``ContentError``, a ``keyguard.errors.InputError`` whose ``problem`` names the
first bad spot (file, line, column, reason) and whose ``problems`` lists all of them.
The implementation is split into ``content_yaml`` (positions and schemas),
``content_frameworks``, ``content_courses`` and ``content_quiz``. See docs/frameworks.md and
docs/courses.md for the formats.
"""

from __future__ import annotations

from keyguard.library.content_courses import (
    BankQuestion,
    CourseDoc,
    CourseText,
    QuestionText,
    builtin_courses,
    folder_sha256,
    load_course,
)
from keyguard.library.content_frameworks import (
    FREQUENCIES,
    LEVELS,
    EvidenceKind,
    FrameworkDoc,
    FrameworkNode,
    Frequency,
    Level,
    Reference,
    Source,
    Text,
    builtin_frameworks,
    dependency_order,
    load_framework,
    load_frameworks,
    missing_translations,
    walk,
)
from keyguard.library.content_quiz import Question, check_answers, draw_quiz, grade
from keyguard.library.content_yaml import ContentError, file_sha256, schema

__all__ = [
    "FREQUENCIES",
    "LEVELS",
    "BankQuestion",
    "ContentError",
    "CourseDoc",
    "CourseText",
    "EvidenceKind",
    "FrameworkDoc",
    "FrameworkNode",
    "Frequency",
    "Level",
    "Question",
    "QuestionText",
    "Reference",
    "Source",
    "Text",
    "builtin_courses",
    "builtin_frameworks",
    "check_answers",
    "dependency_order",
    "draw_quiz",
    "file_sha256",
    "folder_sha256",
    "grade",
    "load_course",
    "load_framework",
    "load_frameworks",
    "missing_translations",
    "schema",
    "walk",
]
