"""The API plugs itself into the web application through ``keyguard_web_routers``."""

from __future__ import annotations

from typing import Any

from keyguard.api import build_router
from keyguard.hookspecs import hookimpl


@hookimpl
def keyguard_web_routers() -> list[Any]:
    return [build_router()]
