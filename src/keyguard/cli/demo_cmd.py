"""``keyguard demo``: make the demo organization, load it, detect, serve, print the logins."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from keyguard.cli.common import console, handle_errors
from keyguard.config import get_settings, reset_settings
from keyguard.demo.steps import DemoContext, builtin_steps, reset_demo_home, run_steps
from keyguard.plugins import get_plugin_manager


@handle_errors
def demo(
    users: Annotated[int, typer.Option(help="People in the demo organization")] = 300,
    days: Annotated[int, typer.Option(help="Days of activity")] = 120,
    seed: Annotated[int, typer.Option(help="Random seed")] = 7,
    start: Annotated[str, typer.Option(help="First day of activity")] = "2026-06-01",
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the UI at the end")
    ] = True,
    host: Annotated[str, typer.Option(help="Address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on")] = 8000,
) -> None:
    """Build the demo organization end to end and serve it (everything is DEMO DATA)."""
    settings = get_settings()
    home: Path = settings.home
    reset_demo_home(home)
    os.environ["KEYGUARD_DEMO"] = "1"
    reset_settings()
    ctx = DemoContext(home=home, users=users, days=days, seed=seed, start=start, console=console)
    steps = builtin_steps()
    steps += [s for batch in get_plugin_manager().hook.keyguard_demo_steps() for s in batch]
    run_steps(ctx, steps)
    console.rule("keyguard demo ready")
    console.print(f"Home: {home}")
    console.print(
        f"Open http://{host}:{port}/ and log in with one of these accounts "
        f"(also in {home / 'demo-accounts.txt'}, readable only by you):"
    )
    for acc in ctx.accounts.values():
        console.print(f"  {acc['role']:<18} {acc['email']:<36} {acc['password']}")
    if serve:
        from keyguard.cli.setup_cmd import serve as serve_command

        serve_command(host=host, port=port, tick_every=300)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
