"""``keyguard detect``: run detection for a unit (incremental unless ``--full``)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from keyguard.cli.common import cli_session, console, handle_errors, progress, require_home
from keyguard.scheduler.lock import job_lock


def register(app: typer.Typer) -> None:
    @app.command("detect")
    @handle_errors
    def detect_command(
        unit: Annotated[
            str | None,
            typer.Option("--unit", help="Unit code (needed when there are several units)"),
        ] = None,
        full: Annotated[
            bool,
            typer.Option(
                "--full", help="Recompute everything from the events instead of only new days"
            ),
        ] = False,
    ) -> None:
        """Compute indicators, baselines, anomaly and risk scores, and alerts."""
        from keyguard.analytics.run import detect
        from keyguard.records.org.service import resolve_unit

        home = require_home()
        with job_lock("detect", home), cli_session() as session, progress() as bar:
            target = resolve_unit(session, unit)
            task = bar.add_task(f"detect {target.code}", total=None, rate="")

            def tick(step: str, done: int, total: int) -> None:
                bar.update(
                    task,
                    description=f"{target.code}: {step}",
                    completed=done,
                    total=total,
                    rate=f"{done}/{total} day steps",
                )

            result = detect(session, target.code, home=home, progress=tick)
        table = Table(title=f"detection: unit {result.unit}", show_header=False)
        table.add_row("mode", result.mode)
        if result.first_day:
            table.add_row(
                "days computed", f"{result.first_day} .. {result.last_day} ({result.days})"
            )
        else:
            table.add_row("days computed", "none: already up to date")
        table.add_row("policy hits", str(result.hits))
        table.add_row("alerts (active)", f"{result.alerts} ({result.new_alerts} new)")
        for note in result.notes:
            table.add_row("note", note)
        console.print(table)
