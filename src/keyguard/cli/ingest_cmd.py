"""``keyguard ingest cert|jsonl|csv|runs|rejects|mappings``: activity logs into the store."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, TaskID
from rich.table import Table
from rich.text import Text

from keyguard.cli.common import cli_session, console, handle_errors, progress
from keyguard.config import get_settings
from keyguard.errors import InputError
from keyguard.events.store import EventStore
from keyguard.ingest import service
from keyguard.ingest.context import COUNT_FIELDS
from keyguard.ingest.mapping import load_mapping, shipped_mappings

ingest_app = typer.Typer(help="Ingest activity logs into the event store.", no_args_is_help=True)

UnitOpt = Annotated[str | None, typer.Option("--unit", help="Unit code (created if missing)")]
KeepOpt = Annotated[
    str | None, typer.Option("--keep-from", help="Keep only events on or after this local day")
]
MappingOpt = Annotated[
    str, typer.Option("--mapping", help="YAML mapping file, or the name of a shipped mapping")
]


def _day(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputError("--keep-from", f"{value!r} is not a date (YYYY-MM-DD)") from exc


@contextmanager
def _reporter() -> Iterator[Callable[[str, int, int, int], None]]:
    """A progress callback drawing one Rich bar per step with its rows per second."""
    bar: Progress = progress()
    tasks: dict[str, tuple[TaskID, float, bool]] = {}

    def report(step: str, done: int, total: int, rows: int) -> None:
        in_mb = step.startswith("read ")
        if step not in tasks:
            label = f"{step} (MB)" if in_mb else step
            scale_total = max(1, round(total / 1e6)) if in_mb else max(total, 1)
            tasks[step] = (bar.add_task(label, total=scale_total, rate=""), time.monotonic(), in_mb)
        task, started, mb = tasks[step]
        elapsed = max(time.monotonic() - started, 1e-6)
        shown = round(done / 1e6) if mb else done
        bar.update(task, completed=shown, rate=f"{rows / elapsed:,.0f} rows/s")

    with bar:
        yield report


def _print(result: service.IngestResult) -> None:
    table = Table(
        "file",
        "layout",
        "read",
        "accepted",
        "duplicate",
        "rejected",
        "skipped by policy",
        "outside retention",
        title=f"ingest run {result.run_uid} — unit {result.unit}",
    )
    for fc in result.files:
        table.add_row(
            Text(fc.name), fc.variant or fc.kind, *(f"{getattr(fc, k):,}" for k in COUNT_FIELDS)
        )
    totals = result.totals
    table.add_row("[bold]total", "", *(f"[bold]{totals[k]:,}" for k in COUNT_FIELDS))
    console.print(table)
    for note in result.notes:
        console.print(Text(f"note: {note}"), highlight=False)
    if totals["rejected"]:
        console.print(f"rejected rows: keyguard ingest rejects {result.run_uid}")


@ingest_app.command("cert")
@handle_errors
def cert(
    folder: Annotated[Path, typer.Argument(help="A CERT dataset folder (one unit)")],
    unit: UnitOpt = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            help="Time zone of the folder's times (default: the unit's; sets a new unit's zone)",
        ),
    ] = None,
    keep_from: KeepOpt = None,
    ldap: Annotated[bool, typer.Option(help="Import LDAP/ with the org domain")] = True,
) -> None:
    """Ingest a CERT Insider Threat dataset folder (r4.2-r6.2)."""
    with cli_session() as session, _reporter() as report:
        result = service.ingest_cert(
            session,
            folder=folder,
            unit_code=unit,
            timezone=timezone,
            keep_from=_day(keep_from),
            import_ldap=ldap,
            progress=report,
        )
    _print(result)


def _mapped(fmt: str, path: Path, mapping: str, unit: str | None, keep_from: str | None) -> None:
    with cli_session() as session, _reporter() as report:
        result = service.ingest_mapped(
            session,
            path=path,
            mapping=mapping,
            fmt=fmt,
            unit_code=unit,
            keep_from=_day(keep_from),
            progress=report,
        )
    _print(result)


@ingest_app.command("jsonl")
@handle_errors
def jsonl(
    path: Annotated[Path, typer.Argument(help="A JSON-lines file")],
    mapping: MappingOpt,
    unit: UnitOpt = None,
    keep_from: KeepOpt = None,
) -> None:
    """Ingest a JSON-lines file with a YAML mapping."""
    _mapped("jsonl", path, mapping, unit, keep_from)


@ingest_app.command("csv")
@handle_errors
def csv_command(
    path: Annotated[Path, typer.Argument(help="A CSV file")],
    mapping: MappingOpt,
    unit: UnitOpt = None,
    keep_from: KeepOpt = None,
) -> None:
    """Ingest a CSV file with a YAML mapping."""
    _mapped("csv", path, mapping, unit, keep_from)


@ingest_app.command("runs")
@handle_errors
def runs(limit: Annotated[int, typer.Option(help="How many runs")] = 20) -> None:
    """Recent ingest runs."""
    with cli_session() as session:
        table = Table(
            "run",
            "status",
            "adapter",
            "started (UTC)",
            "read",
            "accepted",
            "duplicate",
            "rejected",
            "source",
        )
        for r in service.recent_runs(session, limit=limit):
            t = r.totals or {}
            table.add_row(
                r.uid,
                r.status,
                r.adapter,
                f"{r.started_at:%Y-%m-%d %H:%M}",
                *(f"{t.get(k, 0):,}" for k in ("read", "accepted", "duplicate", "rejected")),
                Text(r.source),
            )
        console.print(table)


@ingest_app.command("rejects")
@handle_errors
def rejects(
    run: Annotated[str, typer.Argument(help="Run id (see `keyguard ingest runs`)")],
    limit: Annotated[int, typer.Option(help="How many rows to show")] = 50,
) -> None:
    """Rows an ingest run rejected: file, line, reason and the row without content."""
    with cli_session() as session:
        code = service.run_unit_code(session, run)
    rows = EventStore(get_settings().home).rejects(code, run)
    table = Table("file", "line", "reason", "row (content removed)")
    for row in rows.slice(0, limit).to_pylist():  # source text: never read as markup
        table.add_row(
            Text(row["source_file"]), str(row["line"]), Text(row["reason"]), Text(row["raw"])
        )
    console.print(table)
    console.print(f"{rows.num_rows:,} rejected rows in run {run}")


@ingest_app.command("mappings")
@handle_errors
def mappings() -> None:
    """The mappings shipped with keyguard (use the name with --mapping)."""
    table = Table("name", "format", "description")
    for name, path in shipped_mappings().items():
        spec = load_mapping(path)
        table.add_row(name, spec.format, spec.description)
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(ingest_app, name="ingest")
