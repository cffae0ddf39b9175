"""Plugin hooks of the generator: adds ``keyguard generate`` to the CLI."""

from __future__ import annotations

from typing import Any

from keyguard.generator.cli import generate_command
from keyguard.hookspecs import hookimpl


@hookimpl
def keyguard_cli(app: Any) -> None:
    """Register ``keyguard generate`` on the Typer ``app``."""
    app.command("generate")(generate_command)
