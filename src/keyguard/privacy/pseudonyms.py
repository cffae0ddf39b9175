"""Stable pseudonyms: ``P-`` + 10 base32 characters of HMAC-SHA256(key, unit/staff id).

The key is 32 random bytes in ``<home>/secrets/pseudonym.key`` (mode 0600), created on
first use. Without the key nobody can recompute a pseudonym from a name list.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

from keyguard.config import get_settings

KEY_FILE = "pseudonym.key"


def key_path(home: Path | None = None) -> Path:
    return (home or get_settings().home) / "secrets" / KEY_FILE


def ensure_key(home: Path | None = None) -> bytes:
    """The home's pseudonym key, created (0600) if missing."""
    path = key_path(home)
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


@lru_cache(maxsize=8)
def _cached_key(path: str) -> bytes:
    return ensure_key(Path(path).parent.parent)


def pseudonym_with_key(key: bytes, unit_code: str, source_id: str) -> str:
    """Pseudonym of ``source_id`` (a staff id or a user name in the logs) in a unit."""
    msg = f"{unit_code}\x1f{source_id.strip().casefold()}".encode()
    digest = hmac.new(key, msg, hashlib.sha256).digest()
    return "P-" + base64.b32encode(digest)[:10].decode("ascii")


def pseudonym(unit_code: str, source_id: str, home: Path | None = None) -> str:
    """Pseudonym using the current home's key."""
    return pseudonym_with_key(_cached_key(str(key_path(home))), unit_code, source_id)


def clear_key_cache() -> None:
    _cached_key.cache_clear()
