"""Bootstrapping an installation: the home folder, its database and the first admin."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlalchemy import select

from keyguard import __version__
from keyguard.config import get_settings, utcnow
from keyguard.db.engine import get_engine
from keyguard.db.migrate import upgrade
from keyguard.db.session import session_scope
from keyguard.errors import ConfigError
from keyguard.identity.models import Account
from keyguard.identity.service import create_account
from keyguard.privacy.pseudonyms import ensure_key

MARKER = "home.json"


def home_in_use(home: Path) -> bool:
    return (home / MARKER).exists() or (home / "keyguard.db").exists()


def prepare_home(home: Path) -> None:
    """Create the folder layout (mode 0700) and the pseudonym key."""
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)
    for sub in ("events", "rejects", "secrets", "exports", "runs"):
        (home / sub).mkdir(exist_ok=True)
    ensure_key(home)


def mark_home(home: Path) -> None:
    """Write the marker that makes ``home`` a keyguard home (last step of a set-up)."""
    marker = home / MARKER
    if not marker.exists():
        marker.write_text(
            json.dumps({"created": utcnow().isoformat(), "keyguard": __version__}, indent=2),
            encoding="utf-8",
        )


def migrate() -> None:
    """Bring the records database up to date (every migration branch)."""
    upgrade(get_engine())


def initialise_home(*, admin_email: str, admin_password: str, allow_existing: bool = False) -> int:
    """Create home, database and the first admin; refuse a home already in use."""
    settings = get_settings()
    home = settings.home
    if home_in_use(home) and not allow_existing:
        raise ConfigError(f"{home} is already a keyguard home; choose another with --home")
    prepare_home(home)
    migrate()
    with session_scope() as session:
        if session.scalar(select(Account.id).limit(1)) is not None and not allow_existing:
            raise ConfigError(f"the database {settings.db_url.split('@')[-1]} already has accounts")
        admin = create_account(
            session,
            email=admin_email,
            password=admin_password,
            display_name="Administrator",
            roles=[("admin", None)],
        )
        admin_id = admin.id
    mark_home(home)
    return admin_id
