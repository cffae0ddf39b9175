"""``keyguard init``, ``serve``, ``tick`` and ``units``."""

from __future__ import annotations

import os
import threading
import time
from typing import Annotated

import typer
from rich.table import Table

from keyguard.cli.common import cli_session, console, err_console, handle_errors, require_home
from keyguard.config import get_settings, utcnow
from keyguard.db.session import sessionmaker_for
from keyguard.errors import KeyguardError
from keyguard.identity.bootstrap import initialise_home
from keyguard.plugins import get_plugin_manager
from keyguard.records.org import service as org
from keyguard.scheduler.service import Job, tick

units_app = typer.Typer(help="Units (organizations) of this installation.", no_args_is_help=True)


def all_jobs() -> list[Job]:
    jobs: list[Job] = []
    for batch in get_plugin_manager().hook.keyguard_jobs():
        jobs.extend(batch)
    return sorted(jobs, key=lambda j: j.name)


@handle_errors
def init(
    admin_email: Annotated[str, typer.Option("--admin-email", help="E-mail of the first admin")],
) -> None:
    """Create the home folder, the records database and the first admin account.

    The password comes from KEYGUARD_ADMIN_PASSWORD (scripted installs) or a prompt.
    """
    password = os.environ.get("KEYGUARD_ADMIN_PASSWORD")
    if not password:
        password = typer.prompt("Admin password", hide_input=True, confirmation_prompt=True)
    initialise_home(admin_email=admin_email, admin_password=password)
    settings = get_settings()
    console.print(f"keyguard home ready at [bold]{settings.home}[/]; admin {admin_email}")


@handle_errors
def tick_command(
    force: Annotated[bool, typer.Option(help="Run every job, due or not")] = False,
) -> None:
    """Run every due scheduled job (expiries, reminders, escalations, retention)."""
    require_home()
    # Jobs that must not interleave with ingest or detection take the job lock themselves.
    runs = tick(sessionmaker_for(), all_jobs(), now=utcnow(), force=force)
    table = Table("job", "status", "result")
    for run in runs:
        table.add_row(run.job, run.status, run.error or str(run.result))
    console.print(table if runs else "no job was due")
    if any(r.status != "ok" for r in runs):
        raise typer.Exit(1)


def _tick_loop(every: int, stop: threading.Event) -> None:
    while not stop.wait(every):
        try:
            tick(sessionmaker_for(), all_jobs())
        except KeyguardError as exc:
            err_console.print(f"tick failed: {exc}")


@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    tick_every: Annotated[int, typer.Option(help="Run due jobs every N seconds (0: never)")] = 300,
) -> None:
    """Serve the web UI and the REST API."""
    import uvicorn

    require_home()
    stop = threading.Event()
    if tick_every > 0:
        threading.Thread(target=_tick_loop, args=(tick_every, stop), daemon=True).start()
    console.print(f"keyguard serving on http://{host}:{port}/")
    try:
        uvicorn.run(
            "keyguard.web.app:create_app", factory=True, host=host, port=port, log_level="warning"
        )
    finally:
        stop.set()
        time.sleep(0)


@units_app.command("list")
@handle_errors
def units_list() -> None:
    """List units."""
    with cli_session() as session:
        table = Table("code", "name", "time zone", "supervising body")
        for unit in org.list_units(session):
            table.add_row(unit.code, unit.name, unit.timezone, str(unit.supervising_body_id or ""))
        console.print(table)


@units_app.command("add")
@handle_errors
def units_add(
    code: str,
    name: Annotated[str, typer.Option(help="Display name")],
    timezone: Annotated[str, typer.Option(help="IANA time zone")] = "UTC",
) -> None:
    """Add a unit."""
    with cli_session() as session:
        org.create_unit(session, code=code, name=name, timezone=timezone)
    console.print(f"unit {code} added")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("tick")(tick_command)
    app.command("serve")(serve)
    app.add_typer(units_app, name="units")
