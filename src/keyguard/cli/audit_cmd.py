"""``keyguard audit verify|checkpoint|export``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from keyguard.audit import service as audit_service
from keyguard.cli.common import cli_session, console, handle_errors
from keyguard.errors import InputError

audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@audit_app.command("verify")
@handle_errors
def verify(
    checkpoint: Annotated[
        Path | None, typer.Option(help="A checkpoint file written by `audit checkpoint`")
    ] = None,
) -> None:
    """Check the chain; name the first entry edited, deleted, inserted or reordered."""
    cp = None
    if checkpoint is not None:
        try:
            cp = json.loads(checkpoint.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(str(checkpoint), f"cannot read checkpoint: {exc}") from exc
    with cli_session() as session:
        result = audit_service.verify(session, checkpoint=cp)
    if result.ok:
        console.print(f"[green]{result}[/]")
    else:
        console.print(f"[bold red]{result}[/]")
        raise typer.Exit(2)


@audit_app.command("checkpoint")
@handle_errors
def checkpoint(
    out: Annotated[Path, typer.Option("--out", help="File to write (keep it outside the home)")],
) -> None:
    """Write the chain head to a file so a later cut-off tail can be detected."""
    with cli_session() as session:
        data = audit_service.write_checkpoint(session, out)
    console.print(f"checkpoint at entry {data['seq']} written to {out}")


@audit_app.command("export")
@handle_errors
def export(
    out: Annotated[
        Path | None, typer.Option("--out", help="File (default: standard output)")
    ] = None,
) -> None:
    """Write the log as JSON lines with every hash (verifiable elsewhere)."""
    with cli_session() as session:
        lines = audit_service.export_lines(session)
        if out is None:
            for line in lines:
                sys.stdout.write(line + "\n")
        else:
            with out.open("w", encoding="utf-8") as fh:
                n = 0
                for line in lines:
                    fh.write(line + "\n")
                    n += 1
            console.print(f"{n} lines written to {out}")


@audit_app.command("verify-export")
@handle_errors
def verify_export(path: Path) -> None:
    """Verify an exported JSON-lines file without the database."""
    try:
        with path.open(encoding="utf-8") as fh:
            ok, message = audit_service.verify_lines(fh)
    except OSError as exc:
        raise InputError(str(path), str(exc)) from exc
    console.print(message)
    if not ok:
        raise typer.Exit(2)


@audit_app.command("seal")
@handle_errors
def seal(
    before: Annotated[str, typer.Option(help="Seal (prune) entries older than this ISO date")],
    reason: Annotated[str, typer.Option(help="Why (e.g. the retention rule)")],
) -> None:
    """Prune old entries by sealing a segment: its last hash is kept; nothing is edited."""
    import datetime as dt

    try:
        cutoff = dt.datetime.fromisoformat(before)
    except ValueError as exc:
        raise InputError("--before", f"{before!r} is not an ISO date") from exc
    if cutoff.tzinfo is None:
        cutoff = cutoff.replace(tzinfo=dt.UTC)
    with cli_session() as session:
        sealed = audit_service.seal(session, before=cutoff, reason=reason)
    if sealed is None:
        console.print("no entry is older than that; nothing sealed")
    else:
        console.print(f"sealed entries up to {sealed.seq} (last hash {sealed.hash[:16]})")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
