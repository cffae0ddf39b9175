"""Settings (environment ``KEYGUARD_*``), the home folder layout and the clock.

Imports nothing from keyguard but ``errors``. ``KEYGUARD_NOW`` fixes the clock for tests
and for ``keyguard tick`` replays.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from keyguard.errors import ConfigError


def default_home() -> Path:
    return Path(os.environ.get("KEYGUARD_HOME") or Path.home() / ".keyguard")


class Settings(BaseSettings):
    """Everything configurable from the environment; nothing here is a secret default."""

    model_config = SettingsConfigDict(env_prefix="KEYGUARD_", extra="ignore")

    home: Path = Field(default_factory=default_home)
    database_url: str | None = None
    now: str | None = None  # ISO timestamp (UTC if naive) fixing the clock
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "keyguard@localhost"
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    secure_cookies: bool = False  # set when served behind TLS
    session_hours: int = 8
    session_idle_minutes: int = 30  # a session unused this long ends (0: no idle limit)
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    login_max_failures: int = 5
    login_backoff_seconds: int = 30
    login_ip_max_failures: int = 20  # failed sign-ins per client address and window (0: off)
    login_ip_window_seconds: int = 600
    demo: bool = False

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'keyguard.db'}"

    @property
    def events_dir(self) -> Path:
        return self.home / "events"

    @property
    def rejects_dir(self) -> Path:
        return self.home / "rejects"

    @property
    def secrets_dir(self) -> Path:
        return self.home / "secrets"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests call ``reset_settings`` after changing env)."""
    return Settings()


def reset_settings() -> None:
    get_settings.cache_clear()


def utcnow() -> dt.datetime:
    """Current time as an aware UTC datetime, honouring ``KEYGUARD_NOW``."""
    fixed = os.environ.get("KEYGUARD_NOW")
    if fixed:
        try:
            value = dt.datetime.fromisoformat(fixed)
        except ValueError as exc:
            raise ConfigError(f"KEYGUARD_NOW={fixed!r} is not an ISO date/time") from exc
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
    return dt.datetime.now(dt.UTC)


def today_utc() -> dt.date:
    return utcnow().date()
