"""Imports every domain's ``models`` module so ``metadata`` holds all tables.

Used by Alembic's env.py and by the model/migration consistency test. Discovery walks the
package tree, so a new domain's ``models.py`` is picked up without editing this file.
"""

from __future__ import annotations

import importlib
import pkgutil

import keyguard
from keyguard.db.base import Base


def import_all_models() -> None:
    for info in pkgutil.walk_packages(keyguard.__path__, prefix="keyguard."):
        if info.name.endswith(".models") or info.name.endswith(".models_"):
            importlib.import_module(info.name)


import_all_models()
metadata = Base.metadata
