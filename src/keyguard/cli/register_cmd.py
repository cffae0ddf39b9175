"""``keyguard register|grants|hosts``: import and list the classified register, need-to-know
grants and hosts of a unit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from keyguard.cli.common import cli_session, console, handle_errors
from keyguard.errors import InputError
from keyguard.records.org.service import resolve_unit
from keyguard.records.register import grants as grant_svc
from keyguard.records.register import hosts as host_svc
from keyguard.records.register import imports
from keyguard.records.register import service as reg
from keyguard.records.register.common import local_today
from keyguard.records.register.models import Grant

register_app = typer.Typer(help="The classified-information register.", no_args_is_help=True)
grants_app = typer.Typer(help="Need-to-know grants.", no_args_is_help=True)
hosts_app = typer.Typer(help="Hosts and the people they are assigned to.", no_args_is_help=True)

UnitOpt = Annotated[str | None, typer.Option("--unit", help="Unit code (default: the only unit)")]
SHOWN = 50


def _day(value: str | None, what: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(what, f"{value!r} is not a date (YYYY-MM-DD)") from exc


def show_report(report: imports.ImportReport) -> None:
    """Print counts, refused rows (file:line: reason) and warnings."""
    c = report.counts()
    console.print(
        f"[bold]{report.kind}[/] {report.file}: read {c['read']}, created {c['created']}, "
        f"updated {c['updated']}, unchanged {c['unchanged']}, rejected {c['rejected']}"
    )
    for title, rows, style in (
        ("refused", report.problems, "red"),
        ("warnings", report.warnings, "yellow"),
    ):
        if rows:
            console.print(f"[{style}]{len(rows)} {title}:[/]")
            for p in rows[:SHOWN]:
                console.print(f"  {p}", highlight=False, markup=False)
            if len(rows) > SHOWN:
                console.print(f"  ... and {len(rows) - SHOWN} more")


@register_app.command("import")
@handle_errors
def register_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV: reference,title,level,owner_department,"
            "location [,compartment,custodian,owner,review_date]"
        ),
    ],
    unit: UnitOpt = None,
) -> None:
    """Import register items (same file twice changes nothing; bad rows are listed)."""
    with cli_session() as session:
        u = resolve_unit(session, unit)
        show_report(imports.import_register(session, unit=u, path=file))


@register_app.command("list")
@handle_errors
def register_list(
    unit: UnitOpt = None,
    level: Annotated[str | None, typer.Option(help="Only this level")] = None,
    status: Annotated[
        str | None, typer.Option(help="active, checked_out, downgraded, destroyed")
    ] = None,
    text: Annotated[
        str | None, typer.Option("--search", help="Reference, title or compartment")
    ] = None,
) -> None:
    """List register items (the listing is audited)."""
    with cli_session() as session:
        u = resolve_unit(session, unit)
        table = Table("reference", "title", "level", "compartment", "status", "locations")
        for i in reg.list_items(session, unit=u, level=level, status=status, text=text):
            where = [loc.pattern for loc in i.locations]
            if i.room:
                where.append(f"room {i.room}" + (f", safe {i.safe}" if i.safe else ""))
            table.add_row(
                i.reference, i.title, i.level, i.compartment or "", i.status, "\n".join(where)
            )
        console.print(table)


@register_app.command("overdue")
@handle_errors
def register_overdue(unit: UnitOpt = None) -> None:
    """Physical items not returned by their due date."""
    with cli_session() as session:
        u = resolve_unit(session, unit)
        table = Table("reference", "title", "staff id", "due", "days late")
        for o in reg.overdue(session, unit=u):
            table.add_row(
                o.item.reference,
                o.item.title,
                o.person.staff_id,
                o.checkout.due_on.isoformat(),
                str(o.days_late),
            )
        console.print(table)


@grants_app.command("import")
@handle_errors
def grants_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV: grantee_type,grantee,item_reference,purpose,start,end [,approved_by]"
        ),
    ],
    unit: UnitOpt = None,
    known_from: Annotated[
        str | None,
        typer.Option(
            "--known-from", help="Day keyguard learned of these grants (default: each start)"
        ),
    ] = None,
) -> None:
    """Import need-to-know grants (bad rows are listed; the same file twice changes nothing)."""
    with cli_session() as session:
        u = resolve_unit(session, unit)
        show_report(
            imports.import_grants(
                session,
                unit=u,
                path=file,
                known_from=_day(known_from, "--known-from"),
                today=local_today(u),
            )
        )


@grants_app.command("list")
@handle_errors
def grants_list(
    unit: UnitOpt = None,
    status: Annotated[
        str | None, typer.Option(help="requested, approved, refused, revoked")
    ] = None,
) -> None:
    """List grants (the listing is audited)."""
    from keyguard import audit

    with cli_session() as session:
        u = resolve_unit(session, unit)
        q = select(Grant).where(Grant.unit_id == u.id).order_by(Grant.id)
        if status:
            q = q.where(Grant.status == status)
        rows = list(session.scalars(q))
        audit.record(
            session, "view", "grants", None, {"status": status, "shown": len(rows)}, unit_id=u.id
        )
        table = Table("id", "grantee", "scope", "purpose", "from", "until", "known", "status")
        for g in rows:
            scope = g.item.reference if g.item else (g.compartment or g.level or "")
            until = (g.valid_to - dt.timedelta(days=1)).isoformat() if g.valid_to else ""
            table.add_row(
                str(g.id),
                f"{g.grantee_type}: {grant_svc.grantee_label(session, g)}",
                f"{g.scope}: {scope}",
                g.purpose,
                g.valid_from.isoformat(),
                until,
                g.known_from.isoformat(),
                g.status,
            )
        console.print(table)


@hosts_app.command("import")
@handle_errors
def hosts_import(
    file: Annotated[
        Path, typer.Argument(help="CSV: host,assigned_staff_id,shared,removable_media_allowed")
    ],
    unit: UnitOpt = None,
    known_from: Annotated[
        str | None,
        typer.Option(
            "--known-from", help="Day from which the assignments are known (default: today)"
        ),
    ] = None,
) -> None:
    """Import hosts; imported assignments replace inferred ones."""
    with cli_session() as session:
        u = resolve_unit(session, unit)
        show_report(
            host_svc.import_hosts(
                session, unit=u, path=file, known_from=_day(known_from, "--known-from")
            )
        )


@hosts_app.command("infer")
@handle_errors
def hosts_infer(unit: UnitOpt = None) -> None:
    """Infer each host's main user from the logons in the event store."""
    with cli_session() as session:
        u = resolve_unit(session, unit)
        result = host_svc.infer_hosts(session, unit=u)
        console.print(
            f"hosts seen in logons: {result['hosts']}, assignments inferred or "
            f"changed: {result['inferred']}"
        )


@hosts_app.command("list")
@handle_errors
def hosts_list(unit: UnitOpt = None) -> None:
    """List hosts with their assigned person and where that came from."""
    with cli_session() as session:
        u = resolve_unit(session, unit)
        table = Table("host", "assigned", "shared", "removable media", "source", "known from")
        for r in host_svc.host_assignments(session, u).to_pylist():
            table.add_row(
                r["host"],
                r["assigned_staff_id"] or "",
                "yes" if r["shared"] else "no",
                "allowed" if r["removable_media_allowed"] else "not allowed",
                r["source"],
                r["known_from"].isoformat(),
            )
        console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(register_app, name="register")
    app.add_typer(grants_app, name="grants")
    app.add_typer(hosts_app, name="hosts")
