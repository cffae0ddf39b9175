"""``keyguard duties``: load frameworks, assign duties to positions, list them, show what is
overdue and the compliance score."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import func, select

from keyguard.cli.common import cli_session, console, handle_errors
from keyguard.errors import KeyguardError
from keyguard.records.duties import service as duties
from keyguard.records.duties.models import DutyAssignment, FrameworkObject
from keyguard.records.duties.score import unit_score
from keyguard.records.org import service as org

duties_app = typer.Typer(
    help="Duty frameworks, assignments to positions, overdue items and the compliance score.",
    no_args_is_help=True,
)

UnitOpt = Annotated[str | None, typer.Option("--unit", help="Unit code (needed if several)")]


@duties_app.command("load")
@handle_errors
def load(
    file: Annotated[Path | None, typer.Argument(help="A framework YAML file")] = None,
    builtin: Annotated[
        bool, typer.Option("--builtin", help="Load every shipped framework")
    ] = False,
    unit: UnitOpt = None,
) -> None:
    """Load a framework file (or the built-in ones) into a unit; the same file again does
    nothing, an older version is refused."""
    if (file is None) == (not builtin):
        raise KeyguardError("give a FILE or --builtin (not both)")
    with cli_session() as session:
        u = org.resolve_unit(session, unit)
        if builtin:
            results = duties.load_builtin_frameworks(session, unit=u)
        else:
            assert file is not None
            results = [duties.load_framework_file(session, unit=u, path=file)]
    table = Table("framework", "version", "result", "objects", "duties")
    for r in results:
        status = (
            r.status if r.previous_version is None else f"{r.status} from v{r.previous_version}"
        )
        table.add_row(r.urn, str(r.version), status, str(r.objects or ""), str(r.duties or ""))
    console.print(table)


@duties_app.command("assign")
@handle_errors
def assign(unit: UnitOpt = None) -> None:
    """Assign every current duty to the positions of its level (idempotent)."""
    with cli_session() as session:
        u = org.resolve_unit(session, unit)
        result = duties.assign_duties(session, unit=u)
    levels = ", ".join(f"{k} {v}" for k, v in sorted(result.positions.items())) or "none"
    console.print(
        f"assignments: {result.created} created, {result.ended} ended, {result.kept} kept; "
        f"positions per level: {levels}"
    )
    if result.people_without_position:
        console.print(
            f"[yellow]{result.people_without_position} active people hold no position and "
            "carry no duties until the org import gives them one[/]"
        )


@duties_app.command("list")
@handle_errors
def list_duties(unit: UnitOpt = None) -> None:
    """List the current duties with level, frequency, evidence and positions carrying them."""
    with cli_session() as session:
        u = org.resolve_unit(session, unit)
        frameworks = duties.list_frameworks(session, unit_id=u.id)
        counts: Counter[int] = Counter()
        for duty_id, n in session.execute(
            select(DutyAssignment.duty_id, func.count())
            .where(DutyAssignment.unit_id == u.id, DutyAssignment.valid_to.is_(None))
            .group_by(DutyAssignment.duty_id)
        ):
            counts[duty_id] = n
        if not frameworks:
            console.print("no framework loaded: run `keyguard duties load --builtin`")
            return
        for fw in frameworks:
            table = Table(
                "ref",
                "duty",
                "level",
                "frequency",
                "evidence",
                "positions",
                title=f"{fw.name} (v{fw.version})",
                title_justify="left",
            )
            for duty in session.scalars(
                select(FrameworkObject)
                .where(FrameworkObject.framework_id == fw.id, FrameworkObject.assessable.is_(True))
                .order_by(FrameworkObject.position)
            ):
                table.add_row(
                    duty.ref_id,
                    duty.name,
                    duty.level or "",
                    duty.frequency or "",
                    ", ".join(duty.evidence),
                    str(counts.get(duty.id, 0)),
                )
            console.print(table)


@duties_app.command("overdue")
@handle_errors
def overdue(unit: UnitOpt = None, limit: int = 50) -> None:
    """Overdue statements and attestations, most overdue first."""
    with cli_session() as session:
        u = org.resolve_unit(session, unit)
        items = duties.overdue_items(session, unit=u)
        table = Table("person", "item", "period", "due", "days overdue")
        from keyguard.records.org.models import Person

        for item in items[:limit]:
            person = session.get(Person, item.person_id)
            what = (
                "responsibility statement"
                if item.duty is None
                else (f"{item.duty.ref_id} {item.duty.name}")
            )
            table.add_row(
                person.pseudonym if person else "?",
                what,
                item.period,
                str(item.due_on),
                str(item.days_overdue),
            )
    console.print(table if items else "nothing is overdue")
    if len(items) > limit:
        console.print(f"… and {len(items) - limit} more")


@duties_app.command("score")
@handle_errors
def score(unit: UnitOpt = None) -> None:
    """The unit's compliance score, its terms and the formula."""
    with cli_session() as session:
        u = org.resolve_unit(session, unit)
        result = unit_score(session, unit=u)
    table = Table("term", "earned", "possible")
    for t in result.terms:
        table.add_row(t.label, str(t.earned), str(t.possible))
    console.print(f"[bold]{u.code}[/] compliance score on {result.day}: [bold]{result.score}[/]")
    console.print(table)
    console.print(result.formula, highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(duties_app, name="duties")
