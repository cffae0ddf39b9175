"""``keyguard generate``: write a realistic fictional unit in the CERT r6.2 layout and its
labelled answers. Imports typer and rich; the generator itself is imported when run.
"""

from __future__ import annotations

import datetime as dt
import shlex
from pathlib import Path
from typing import Annotated

import typer

from keyguard.errors import KeyguardError


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def generate_command(
    out: Annotated[Path, typer.Option("--out", help="Folder for the CERT-layout files")],
    answers_out: Annotated[
        Path, typer.Option("--answers-out", help="Separate folder for the labelled answers")
    ],
    users: Annotated[int, typer.Option("--users", help="Head count at the start")] = 200,
    days: Annotated[int, typer.Option("--days", help="Number of days to generate")] = 60,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same bytes)")] = 1,
    start: Annotated[str, typer.Option("--start", help="First day, YYYY-MM-DD")] = "2024-01-15",
    tz: Annotated[str, typer.Option("--tz", help="IANA time zone of the unit")] = "Europe/Berlin",
    domain: Annotated[
        str, typer.Option("--domain", help="The unit's internal e-mail domain")
    ] = "dtaa.example",
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar")] = False,
) -> None:
    """Generate a fictional unit's activity logs (CERT r6.2 layout) with labelled insiders."""
    from rich.console import Console

    from keyguard.generator.params import GeneratorParams
    from keyguard.generator.run import generate

    console = Console(stderr=True)
    params = GeneratorParams(
        users=users, days=days, seed=seed, start=_date(start), tz=tz, domain=domain
    )
    words = ["keyguard", "generate", "--users", str(users), "--days", str(days)]
    words += ["--seed", str(seed), "--out", str(out), "--answers-out", str(answers_out)]
    words += ["--start", params.start.isoformat(), "--tz", tz, "--domain", domain]
    command = " ".join(shlex.quote(w) for w in words)
    try:
        result = generate(params, out, answers_out, progress=not quiet, command=command)
    except KeyguardError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from exc
    activity = ("logon.csv", "device.csv", "file.csv", "email.csv", "http.csv")
    rows = ", ".join(f"{name} {result.counts[name]:,}" for name in activity)
    typer.echo(f"wrote {result.out} ({result.people} people; {rows})")
    typer.echo(
        f"answers in {result.answers}: {result.insiders} insiders, "
        f"{result.dirty_rows} malformed rows listed in meta.json"
    )
    typer.echo(f"took {result.seconds:.1f} s")
