"""``keyguard people import|list|tree``: the org tree and people of a unit."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.tree import Tree
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.cli.common import cli_session, console, err_console, handle_errors, progress
from keyguard.errors import InputError
from keyguard.records.org import service as org
from keyguard.records.org.models import Unit

people_app = typer.Typer(help="People and the org tree of a unit.", no_args_is_help=True)

FORMATS = ("auto", "ldap", "csv", "yaml")
SHOWN_PROBLEMS = 50


def source_format(source: Path, fmt: str) -> str:
    """``ldap`` for a folder, ``yaml`` for .yaml/.yml, ``csv`` otherwise (or as told)."""
    if fmt not in FORMATS:
        raise InputError(str(source), f"unknown --format {fmt!r} (one of {', '.join(FORMATS)})")
    if not source.exists():
        raise InputError(str(source), "no such file or folder")
    if fmt == "auto":
        if source.is_dir():
            return "ldap"
        return "yaml" if source.suffix.lower() in (".yaml", ".yml") else "csv"
    if fmt == "ldap" and not source.is_dir():
        raise InputError(str(source), "an LDAP import needs a folder (the CERT folder or LDAP/)")
    if fmt != "ldap" and source.is_dir():
        raise InputError(str(source), f"is a folder; a {fmt} import needs a file")
    return fmt


def unit_code_from(source: Path) -> str:
    """A unit code from a file or folder name: "r6.2" -> "r6-2"."""
    stem = source.resolve().name if source.is_dir() else source.stem
    return re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:40] or "unit"


def choose_unit(
    session: Session, *, code: str | None, name: str | None, timezone: str | None, source: Path
) -> tuple[Unit, bool]:
    """The unit ``code`` (created when missing), else the only unit, else a new one named
    after the source; several units need ``--unit``. Also says whether it was created."""
    if code is None:
        units = org.list_units(session)
        if len(units) == 1:
            code = units[0].code
        elif not units:
            code = unit_code_from(source)
        else:
            return org.resolve_unit(session, None), False  # names the units to choose from
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        return org.create_unit(
            session, code=code, name=name or code, timezone=timezone or "UTC"
        ), True
    if timezone and timezone != unit.timezone:
        err_console.print(
            f"note: unit {unit.code} exists with time zone {unit.timezone}; --timezone ignored"
        )
    return unit, False


def parse_as_of(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputError("--as-of", f"{value!r} is not a date (YYYY-MM-DD)") from exc


def print_report(report: org.ImportReport) -> None:
    columns = {
        "rows": "rows",
        "accepted": "ok",
        "rejected": "bad",
        "people_created": "new",
        "versions_added": "vers",
        "joiners": "join",
        "movers": "move",
        "leavers": "leave",
    }
    table = Table(
        title=f"{report.kind} import",
        box=box.SIMPLE,
        show_edge=False,
        caption="rows read = ok (accepted) + bad (rejected); new: people created; "
        "vers: versions added; join/move/leave: joiners, movers, leavers",
    )
    table.add_column("file", no_wrap=True)
    for label in columns.values():
        table.add_column(label, justify="right", no_wrap=True)
    for f in report.files:
        table.add_row(
            f.name + (" [red](skipped)[/]" if f.skipped else ""),
            *(str(getattr(f, n)) for n in columns),
        )
    if len(report.files) > 1:
        c = report.counts()
        table.add_row("[bold]total[/]", *(f"[bold]{c[n]}[/]" for n in columns))
    console.print(table)
    if report.problems:
        console.print(f"[yellow]{len(report.problems)} problem(s):[/]")
        for problem in report.problems[:SHOWN_PROBLEMS]:
            console.print(f"  {problem}", highlight=False, markup=False)
        if len(report.problems) > SHOWN_PROBLEMS:
            console.print(
                f"  ... and {len(report.problems) - SHOWN_PROBLEMS} more "
                f"(all kept with import run {report.run_id})"
            )
    console.print(f"import run {report.run_id} recorded (sha256 {report.sha256[:16]})")


@people_app.command("import")
@handle_errors
def import_command(
    source: Annotated[
        Path,
        typer.Argument(
            help="A CERT folder (with LDAP/), a folder of LDAP month files, or a CSV/YAML file"
        ),
    ],
    unit: Annotated[
        str | None, typer.Option("--unit", help="Unit code (created if missing)")
    ] = None,
    unit_name: Annotated[str | None, typer.Option("--unit-name", help="Name of a new unit")] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="IANA time zone of a new unit (default UTC)")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="auto, ldap, csv or yaml")] = "auto",
    encoding: Annotated[
        str, typer.Option("--encoding", help="Text encoding of the files (a UTF-8 BOM is accepted)")
    ] = "utf-8",
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="CSV/YAML: day the facts are valid and known from (default today)"
        ),
    ] = None,
) -> None:
    """Import the org tree and people: CERT LDAP months, or a plain CSV/YAML file."""
    kind = source_format(source, fmt)
    day = parse_as_of(as_of)
    if kind == "ldap" and day is not None:
        err_console.print(
            "note: --as-of is ignored for LDAP files (each month file dates its own facts)"
        )
    with cli_session() as session:
        target, created = choose_unit(
            session, code=unit, name=unit_name, timezone=timezone, source=source
        )
        with progress() as bar:
            task = bar.add_task("people", total=None, rate="")

            def advance(name: str, done: int, total: int) -> None:
                bar.update(
                    task,
                    description=name,
                    completed=done,
                    total=total,
                    rate=f"{done}/{total} files",
                )

            if kind == "ldap":
                report = org.import_ldap_folder(
                    session, unit=target, folder=source, progress=advance, encoding=encoding
                )
            else:
                report = org.import_people_file(
                    session,
                    unit=target,
                    path=source,
                    fmt=kind,
                    encoding=encoding,
                    as_of=day,
                    progress=advance,
                )
    if created:
        console.print(f"unit [bold]{target.code}[/] created ({target.name}, {target.timezone})")
    print_report(report)


@people_app.command("list")
@handle_errors
def list_command(
    unit: Annotated[str | None, typer.Option("--unit", help="Unit code")] = None,
    search: Annotated[
        str | None,
        typer.Option("--search", help="Part of a name, staff id, e-mail, job title or pseudonym"),
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="active, notice, left or suspended")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many people")] = 200,
) -> None:
    """List a unit's people (the look is audited)."""
    with cli_session() as session:
        target = org.resolve_unit(session, unit)
        page = org.list_people(
            session, unit_id=target.id, search=search, status=status, limit=limit
        )
    table = Table(
        "staff id",
        "name",
        "job title",
        "department",
        "team",
        "status",
        "pseudonym",
        title=f"people of {target.code}",
    )
    for p in page.items:
        table.add_row(
            p.staff_id,
            p.full_name,
            p.job_title or "",
            p.department or "",
            p.team or "",
            p.status,
            p.pseudonym,
        )
    console.print(table)
    console.print(f"{len(page.items)} of {page.total} shown")


@people_app.command("tree")
@handle_errors
def tree_command(
    unit: Annotated[str | None, typer.Option("--unit", help="Unit code")] = None,
    retired: Annotated[bool, typer.Option("--retired", help="Show retired nodes too")] = False,
) -> None:
    """Show the org tree with people counts and heads."""
    with cli_session() as session:
        target = org.resolve_unit(session, unit)
        roots = org.org_tree(session, target.id, include_retired=retired)
    top = Tree(f"[bold]{target.name}[/] ({target.code})")

    def add(branch: Tree, node: org.OrgTreeNode) -> None:
        heads = ", ".join(f"{h.full_name} ({h.position})" for h in node.heads)
        label = f"{node.name} [dim]{node.kind}, {node.people_total} people[/]"
        if node.retired_from:
            label += f" [red]retired {node.retired_from}[/]"
        sub = branch.add(label + (f" — {heads}" if heads else ""))
        for child in node.children:
            add(sub, child)

    for root in roots:
        add(top, root)
    console.print(top)


def register(app: typer.Typer) -> None:
    app.add_typer(people_app, name="people")
