"""``keyguard alerts``: list and export alerts (exports are audited)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from keyguard.cli.common import cli_session, console, handle_errors

alerts_app = typer.Typer(
    help="Alerts: episodes of one person and one policy.", no_args_is_help=True
)
UnitOpt = Annotated[
    str | None, typer.Option("--unit", help="Unit code (needed when there are several units)")
]


@alerts_app.command("export")
@handle_errors
def export_command(
    out: Annotated[Path, typer.Option("--out", help="File to write")],
    fmt: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
    unit: UnitOpt = None,
    pseudonymised: Annotated[
        bool,
        typer.Option("--pseudonymised", help="Write pseudonyms instead of users as in the logs"),
    ] = False,
) -> None:
    """Write every active alert: user,score,day,first_day,detector,indicators."""
    from keyguard.analytics.exports import export_alerts
    from keyguard.records.org.service import resolve_unit

    with cli_session() as session:
        target = resolve_unit(session, unit)
        n = export_alerts(session, target, out, fmt=fmt, pseudonymised=pseudonymised)
    console.print(f"{n} alerts of unit {target.code} written to {out}")


@alerts_app.command("list")
@handle_errors
def list_command(
    unit: UnitOpt = None,
    status: Annotated[
        str | None, typer.Option("--status", help="new, under_review, dismissed or confirmed")
    ] = None,
    limit: Annotated[int, typer.Option("--limit")] = 50,
) -> None:
    """Show the alert queue (pseudonymised), highest score first."""
    from keyguard.analytics.service import Viewer, list_alerts
    from keyguard.records.org.service import resolve_unit

    with cli_session() as session:
        target = resolve_unit(session, unit)
        rows = list_alerts(session, unit=target, viewer=Viewer(), status=status, limit=limit)
    table = Table("id", "user", "score", "policy", "fired", "first", "status")
    for r in rows:
        table.add_row(
            r["id"][:12],
            r["user"],
            f"{r['score']:.1f}",
            r["policy"],
            r["fired_day"],
            r["first_day"],
            r["status"],
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")
