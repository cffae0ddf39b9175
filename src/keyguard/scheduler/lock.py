"""One job lock per home: ingest and detection runs never interleave."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from keyguard.config import get_settings
from keyguard.errors import JobLocked


@contextmanager
def job_lock(name: str, home: Path | None = None, wait: bool = False) -> Iterator[None]:
    """Hold ``<home>/job.lock`` for the duration; raise :class:`JobLocked` if taken."""
    home = home or get_settings().home
    home.mkdir(parents=True, exist_ok=True)
    path = home / "job.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            holder = path.read_text(encoding="utf-8", errors="replace").strip() or "another job"
            raise JobLocked(f"{holder} is running in {home}; try again when it ends") from exc
        os.ftruncate(fd, 0)
        os.write(fd, f"{name} (pid {os.getpid()})".encode())
        yield
    finally:
        os.close(fd)
