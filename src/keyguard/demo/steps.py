"""The demo's step model and runner."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from keyguard.config import get_settings
from keyguard.errors import ConfigError


@dataclass
class DemoContext:
    """What steps share: options, the generated data folder and what earlier steps made."""

    home: Path
    users: int
    days: int
    seed: int
    start: str
    console: Console
    unit_code: str = "demo"
    data_dir: Path | None = None
    answers_dir: Path | None = None
    accounts: dict[str, dict[str, str]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoStep:
    """``run(ctx)`` performs one part of the demo; steps run by ascending ``order``."""

    order: int
    name: str
    run: Callable[[DemoContext], None]


DEMO_MARKER = "demo.json"


def reset_demo_home(home: Path) -> None:
    """Empty a demo home for a fresh demo; refuse a home that holds real data."""
    if not home.exists():
        return
    if (home / "home.json").exists() and not (home / DEMO_MARKER).exists():
        raise ConfigError(f"{home} holds a real keyguard home; the demo needs its own --home")
    if any(home.iterdir()) and not (home / DEMO_MARKER).exists():
        raise ConfigError(f"{home} is not empty and not a demo home; choose another --home")
    settings = get_settings()
    if settings.database_url and not settings.database_url.startswith("sqlite"):
        raise ConfigError(
            "the demo runs on the embedded SQLite database; unset KEYGUARD_DATABASE_URL"
        )
    shutil.rmtree(home)


def run_steps(ctx: DemoContext, steps: Sequence[DemoStep]) -> None:
    """Run steps in order, printing each."""
    started = time.perf_counter()
    for step in sorted(steps, key=lambda s: s.order):
        ctx.console.print(f"[bold cyan]demo[/] {step.order:>3} {step.name}")
        began = time.perf_counter()
        step.run(ctx)
        ctx.console.print(f"      [dim]done in {time.perf_counter() - began:.1f} s[/]")
    ctx.console.print(f"[bold cyan]demo[/] built in {time.perf_counter() - started:.0f} s")
    (ctx.home / DEMO_MARKER).write_text(
        json.dumps(
            {"unit": ctx.unit_code, "users": ctx.users, "days": ctx.days, "seed": ctx.seed},
            indent=2,
        ),
        encoding="utf-8",
    )


def builtin_steps() -> list[DemoStep]:
    """Every ``STEPS`` list of the modules in this package."""
    import importlib
    import pkgutil

    import keyguard.demo

    steps: list[DemoStep] = []
    for info in pkgutil.iter_modules(keyguard.demo.__path__):
        if info.name == "steps":
            continue
        module = importlib.import_module(f"keyguard.demo.{info.name}")
        steps.extend(getattr(module, "STEPS", []))
    return steps
