"""The ``keyguard`` application: global options and every command group from the hooks."""

from __future__ import annotations

import importlib
import os
import pkgutil
from pathlib import Path
from typing import Annotated

import typer

from keyguard import __version__
from keyguard.config import reset_settings
from keyguard.plugins import get_plugin_manager

app = typer.Typer(
    name="keyguard",
    help="keyguard — security prevention for key units: duties, education, classified "
    "register, insider-risk analytics, loopholes, cases and supervision.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"keyguard {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    home: Annotated[
        Path | None, typer.Option("--home", help="Data folder (default: $KEYGUARD_HOME)")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version")
    ] = False,
) -> None:
    """Global options."""
    if home is not None:
        os.environ["KEYGUARD_HOME"] = str(home.expanduser().resolve())
        reset_settings()


def build_app() -> typer.Typer:
    """Register the built-in command modules and every plugin's commands."""
    import keyguard.cli

    for info in sorted(pkgutil.iter_modules(keyguard.cli.__path__), key=lambda i: i.name):
        if info.name.endswith("_cmd"):
            importlib.import_module(f"keyguard.cli.{info.name}").register(app)
    get_plugin_manager().hook.keyguard_cli(app=app)
    return app


_built = False


def get_app() -> typer.Typer:
    global _built
    if not _built:
        build_app()
        _built = True
    return app


def main() -> None:
    get_app()()


if __name__ == "__main__":
    main()
