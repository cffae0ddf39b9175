"""Analytics settings: shipped defaults, ``<home>/analytics/config.yaml``, then the unit's
``settings["analytics"]`` — each overriding the one before, key by key."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from keyguard.errors import ConfigError

DEFAULTS_FILE = Path(__file__).with_name("defaults.yaml")


def _merge(base: dict[str, Any], extra: dict[str, Any], where: str) -> None:
    for key, value in extra.items():
        if key not in base:
            raise ConfigError(f"{where}: unknown analytics setting {key!r}")
        if isinstance(base[key], dict) and not isinstance(value, dict):
            raise ConfigError(f"{where}: {key} must be a mapping")
        if isinstance(base[key], dict):
            if key in ("boosters", "level_weights", "level_points"):
                unknown = set(value) - set(base[key])
                if unknown:
                    raise ConfigError(f"{where}: unknown {key} {sorted(unknown)}")
            _merge(base[key], value, f"{where}: {key}")
        else:
            if isinstance(base[key], (int, float)) and not isinstance(value, (int, float)):
                raise ConfigError(f"{where}: {key} must be a number")
            base[key] = value


def load_config(home: Path | None, unit_settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """The analytics settings in force for a unit."""
    cfg: dict[str, Any] = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))
    cfg = copy.deepcopy(cfg)
    if home is not None:
        path = home / "analytics" / "config.yaml"
        if path.exists():
            try:
                extra = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
            if not isinstance(extra, dict):
                raise ConfigError(f"{path}: expected a mapping")
            _merge(cfg, extra, str(path))
    unit_extra = (unit_settings or {}).get("analytics") or {}
    if unit_extra:
        _merge(cfg, unit_extra, "unit settings")
    return cfg


def fingerprint(value: Any) -> str:
    """A stable SHA-256 of any JSON-able value."""
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
