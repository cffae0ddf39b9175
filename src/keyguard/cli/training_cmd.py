"""``keyguard training``: load courses, manage campaigns, see completion and overdue lists."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from keyguard.cli.common import cli_session, console, handle_errors
from keyguard.errors import KeyguardError
from keyguard.records.duties.service import department_people
from keyguard.records.education import service as education
from keyguard.records.org import service as org

training_app = typer.Typer(help="Courses, campaigns and training status.", no_args_is_help=True)

UnitOpt = Annotated[str | None, typer.Option("--unit", help="Unit code (needed if several)")]


@training_app.command("load")
@handle_errors
def load(
    folder: Annotated[Path | None, typer.Argument(help="A course folder")] = None,
    builtin: Annotated[bool, typer.Option("--builtin", help="Load every shipped course")] = False,
    unit: UnitOpt = None,
) -> None:
    """Load a course folder (or the built-in courses) into a unit."""
    if (folder is None) == (not builtin):
        raise KeyguardError("give a FOLDER or --builtin (not both)")
    with cli_session() as session:
        u = org.resolve_unit(session, unit)
        if builtin:
            results = education.load_builtin_courses(session, unit=u)
        else:
            assert folder is not None
            results = [education.load_course_folder(session, unit=u, folder=folder)]
    table = Table("course", "version", "result")
    for r in results:
        table.add_row(r.urn, str(r.version), r.status)
    console.print(table)


@training_app.command("courses")
@handle_errors
def courses(unit: UnitOpt = None) -> None:
    """List the unit's courses and publicity material."""
    with cli_session() as session:
        u = org.resolve_unit(session, unit)
        table = Table("urn", "kind", "version", "title", "pass mark", "attempts")
        for c in education.list_courses(session, unit_id=u.id):
            table.add_row(
                c.urn,
                c.kind,
                str(c.version),
                c.title,
                str(c.pass_mark or ""),
                str(c.max_attempts or ""),
            )
    console.print(table)


@training_app.command("campaigns")
@handle_errors
def campaigns(unit: UnitOpt = None) -> None:
    """List campaigns."""
    with cli_session() as session:
        u = org.resolve_unit(session, unit)
        table = Table("id", "name", "course", "audience", "due days", "recurrence", "starts")
        for c in education.list_campaigns(session, unit_id=u.id):
            table.add_row(
                str(c.id),
                c.name,
                c.course_urn,
                c.audience,
                str(c.due_days),
                c.recurrence,
                str(c.starts_on),
            )
    console.print(table)


@training_app.command("campaign-add")
@handle_errors
def campaign_add(
    name: str,
    course: Annotated[str, typer.Option(help="Course URN")],
    audience: Annotated[str, typer.Option(help="Audience rule, e.g. new-staff")],
    due_days: Annotated[int, typer.Option(help="Days to complete after joining")] = 30,
    yearly: Annotated[bool, typer.Option(help="Repeat every year")] = False,
    unit: UnitOpt = None,
) -> None:
    """Aim a course at an audience; people are enrolled now and by `keyguard tick`."""
    with cli_session() as session:
        u = org.resolve_unit(session, unit)
        c = education.create_campaign(
            session,
            unit=u,
            name=name,
            course_urn=course,
            audience_key=audience,
            due_days=due_days,
            recurrence="yearly" if yearly else "once",
        )
        added = education.enrol(session, c, education.local_day(u))
    console.print(f"campaign {c.id} {name!r}: {added} people enrolled")


@training_app.command("status")
@handle_errors
def status(
    unit: UnitOpt = None,
    department: Annotated[int | None, typer.Option(help="Org node id of a department")] = None,
) -> None:
    """Completion, mean scores and overdue training for the unit or a department."""
    with cli_session() as session:
        u = org.resolve_unit(session, unit)
        people = department_people(session, unit_id=u.id, department_id=department)
        figures, late = education.training_status(
            session, unit_id=u.id, people=people, day=education.local_day(u)
        )
        table = Table(
            "course", "assigned", "completed", "completion %", "mean score", "overdue", "failed"
        )
        for f in figures:
            table.add_row(
                f.title,
                str(f.assigned),
                str(f.completed),
                f"{f.completion:g}",
                "" if f.mean_score is None else f"{f.mean_score:g}",
                str(f.overdue),
                str(f.failed),
            )
        console.print(table)
        console.print(f"{len(late)} overdue or failed items")


def register(app: typer.Typer) -> None:
    app.add_typer(training_app, name="training")
