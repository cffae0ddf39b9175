"""The REST API under ``/api/v1``: thin JSON routes over the services, one module per area.

A module ``keyguard/api/<area>.py`` with ``router = APIRouter()`` is mounted under
``/api/v1`` (see :func:`build_router`); the JSON twin of page ``/x/y`` is ``/api/v1/x/y``.
Routes use the same dependencies as the pages (re-exported here from
``keyguard.identity.auth``): ``require("perm")``, ``login_required()``, ``public()``,
``DbSession``, ``ActiveUnit``, ``CurrentAccount``. Authentication: ``Authorization: Bearer``
with a personal API token, or the session cookie (unsafe methods then need ``X-CSRF-Token``).

May import every layer below ``cli | web | api``; never ``keyguard.web`` or ``keyguard.cli``.
"""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter

from keyguard.identity.auth import (
    ActiveUnit,
    CurrentAccount,
    DbSession,
    RequestCtx,
    UnitInfo,
    login_required,
    public,
    require,
)

__all__ = [
    "PREFIX",
    "ActiveUnit",
    "CurrentAccount",
    "DbSession",
    "RequestCtx",
    "UnitInfo",
    "build_router",
    "login_required",
    "public",
    "require",
]

PREFIX = "/api/v1"
_NOT_AREAS = {"hooks", "schemas"}


def build_router() -> APIRouter:
    """One router holding every ``keyguard.api.<area>.router`` under ``/api/v1``."""
    import keyguard.api

    root = APIRouter(prefix=PREFIX)
    for info in sorted(pkgutil.iter_modules(keyguard.api.__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.name in _NOT_AREAS:
            continue
        module = importlib.import_module(f"keyguard.api.{info.name}")
        root.include_router(module.router, tags=[info.name])
    return root
