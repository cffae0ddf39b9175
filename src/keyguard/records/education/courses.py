"""Loading courses and publicity material into a unit (validated folder, stored with its
SHA-256 and full content), and rendering lessons as HTML (Markdown, raw HTML disabled)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.errors import NotFound, RuleViolation
from keyguard.library.content import CourseDoc, builtin_courses, load_course
from keyguard.records.education.models import Course
from keyguard.records.org.models import Unit


class CourseVersionError(RuleViolation):
    """A course folder older than (or conflicting with) the version already loaded."""


@dataclass(frozen=True)
class CourseLoad:
    urn: str
    version: int
    status: str  # loaded | upgraded | unchanged
    course_id: int


_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    "table"
)


def render_markdown(text: str) -> str:
    """Lesson Markdown as HTML; raw HTML in the source is shown as text, never rendered."""
    return _MD.render(text)


def current_course(session: Session, *, unit_id: int, urn: str) -> Course | None:
    return session.scalar(
        select(Course).where(
            Course.unit_id == unit_id, Course.urn == urn, Course.status == "current"
        )
    )


def get_course(session: Session, *, unit_id: int, urn: str) -> Course:
    """The current version of a course (NotFound when the unit has not loaded it)."""
    course = current_course(session, unit_id=unit_id, urn=urn)
    if course is None:
        raise NotFound(f"no course {urn} in this unit")
    return course


def course_doc(course: Course) -> CourseDoc:
    """The validated document of a stored course (lessons and question bank)."""
    return CourseDoc.model_validate(course.content)


def list_courses(session: Session, *, unit_id: int) -> list[Course]:
    return list(
        session.scalars(
            select(Course)
            .where(Course.unit_id == unit_id, Course.status == "current")
            .order_by(Course.kind, Course.slug)
        )
    )


def load_course_folder(
    session: Session, *, unit: Unit, folder: str | Path, source: str | None = None
) -> CourseLoad:
    """Validate a course folder and store it; the same content again does nothing, an older
    or conflicting version is refused, a newer one archives the current."""
    doc = load_course(folder)
    current = current_course(session, unit_id=unit.id, urn=doc.urn)
    if current is not None:
        if current.sha256 == doc.sha256:
            return CourseLoad(doc.urn, doc.version, "unchanged", current.id)
        if current.version > doc.version:
            raise CourseVersionError(
                f"{folder}: {doc.urn} version {doc.version} is older than the loaded version "
                f"{current.version}; refused"
            )
        if current.version == doc.version:
            raise CourseVersionError(
                f"{folder}: {doc.urn} version {doc.version} is already loaded with different "
                "content; raise the version number to change it"
            )
    with session.begin_nested():
        if current is not None:
            current.status = "archived"
        course = Course(
            unit_id=unit.id,
            urn=doc.urn,
            version=doc.version,
            slug=doc.slug,
            kind=doc.kind,
            locale=doc.locale,
            title=doc.title,
            pass_mark=doc.pass_mark,
            max_attempts=doc.max_attempts,
            sha256=doc.sha256,
            source=source or str(folder),
            content=doc.model_dump(mode="json"),
            status="current",
        )
        session.add(course)
        session.flush()
    return CourseLoad(doc.urn, doc.version, "upgraded" if current else "loaded", course.id)


def load_builtin_courses(session: Session, *, unit: Unit) -> list[CourseLoad]:
    """Load every course and publicity item shipped with keyguard into ``unit``."""
    return [
        load_course_folder(session, unit=unit, folder=f, source=f"builtin:{f.name}")
        for f in builtin_courses()
    ]
