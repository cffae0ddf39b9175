"""The plugin manager: loads every built-in domain's ``hooks`` module and entry points."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

import pluggy

import keyguard
from keyguard import hookspecs


def _builtin_hook_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(keyguard.__path__, prefix="keyguard."):
        if info.name.endswith(".hooks"):
            names.append(info.name)
    return sorted(names)


@lru_cache(maxsize=1)
def get_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("keyguard")
    pm.add_hookspecs(hookspecs)
    for name in _builtin_hook_modules():
        pm.register(importlib.import_module(name), name=name)
    pm.load_setuptools_entrypoints("keyguard")
    return pm
