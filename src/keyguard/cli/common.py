"""Helpers shared by command modules: consoles, error handling, sessions, unit choice."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy.orm import Session

from keyguard.audit.context import actor_scope, cli_actor
from keyguard.config import get_settings
from keyguard.db.session import session_scope
from keyguard.errors import KeyguardError

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(fn: F) -> F:
    """Print a keyguard error as one clear line and exit 1 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except KeyguardError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from exc

    return wrapper  # type: ignore[return-value]


def require_home() -> Path:
    """The home folder, which ``keyguard init`` (or ``demo``) must have created."""
    settings = get_settings()
    if not (settings.home / "home.json").exists():
        raise KeyguardError(
            f"{settings.home} is not a keyguard home: run `keyguard init` first "
            "(or set KEYGUARD_HOME / --home)"
        )
    return settings.home


@contextmanager
def cli_session() -> Iterator[Session]:
    """A transaction acting as ``cli:<os user>`` (every change is audited under that name)."""
    require_home()
    with actor_scope(cli_actor()), session_scope() as session:
        yield session


def progress() -> Progress:
    """A Rich progress bar with rate and time left (every long job uses one)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=not os.environ.get("KEYGUARD_PROGRESS_KEEP"),
        disable=bool(os.environ.get("KEYGUARD_NO_PROGRESS")),
    )
