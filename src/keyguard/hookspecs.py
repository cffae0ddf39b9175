"""Every extension point of keyguard (pluggy hook specifications).

Built-in domains are plugins of these same hooks: each domain that extends the CLI, the
web UI, the scheduler or the demo has a ``hooks.py`` module with ``@hookimpl`` functions;
``keyguard.plugins`` finds them. A third-party package can do the same through the
``keyguard`` entry-point group.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("keyguard")
hookimpl = pluggy.HookimplMarker("keyguard")


@hookspec
def keyguard_cli(app: Any) -> None:
    """Add commands or command groups to the Typer ``app``."""


@hookspec
def keyguard_web_routers() -> list[Any]:
    """FastAPI ``APIRouter`` objects (HTML pages and ``/api/v1`` JSON)."""


@hookspec
def keyguard_nav_items() -> list[dict[str, Any]]:
    """Navigation entries: ``{"label", "path", "permission", "order"}``; shown only if permitted."""


@hookspec
def keyguard_jobs() -> list[Any]:
    """Scheduled jobs (``keyguard.scheduler.Job``) that ``keyguard tick`` runs when due."""


@hookspec
def keyguard_demo_steps() -> list[Any]:
    """Steps of ``keyguard demo`` (``keyguard.demo.steps.DemoStep``), ordered by ``order``."""


@hookspec
def keyguard_recorded_fields() -> list[dict[str, Any]]:
    """What keyguard records, for the page every employee can read:
    ``{"source", "field", "purpose", "kept"}``."""


@hookspec
def keyguard_template_dirs() -> list[str]:
    """Extra Jinja2 template folders."""
