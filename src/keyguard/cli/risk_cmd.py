"""``keyguard risk``: export each person's risk (audited)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from keyguard.cli.common import cli_session, console, handle_errors
from keyguard.errors import KeyguardError

risk_app = typer.Typer(help="Risk scores per person and day.", no_args_is_help=True)


def _day(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise KeyguardError(f"{name} {value!r} is not an ISO date (YYYY-MM-DD)") from exc


@risk_app.command("export")
@handle_errors
def export_command(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write")],
    start: Annotated[str | None, typer.Option("--from", help="First local day (ISO)")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last local day (ISO)")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The decayed risk on this day instead of the peak")
    ] = None,
    unit: Annotated[
        str | None, typer.Option("--unit", help="Unit code (needed when there are several units)")
    ] = None,
    pseudonymised: Annotated[
        bool,
        typer.Option("--pseudonymised", help="Write pseudonyms instead of users as in the logs"),
    ] = False,
) -> None:
    """Write user,score,top_indicators: each person's peak daily risk over the range."""
    from keyguard.analytics.exports import export_risk
    from keyguard.records.org.service import resolve_unit

    with cli_session() as session:
        target = resolve_unit(session, unit)
        n = export_risk(
            session,
            target,
            out,
            pseudonymised=pseudonymised,
            start=_day(start, "--from"),
            end=_day(end, "--to"),
            as_of=_day(as_of, "--as-of"),
        )
    console.print(f"{n} people of unit {target.code} written to {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(risk_app, name="risk")
