"""Failed sign-ins counted per client address, on top of the per-account back-off.

The account back-off (``identity.sessions``) stops guessing one account's password; this
stops one address from trying a few passwords on many accounts (password spraying). Each
address may fail ``KEYGUARD_LOGIN_IP_MAX_FAILURES`` times within
``KEYGUARD_LOGIN_IP_WINDOW_SECONDS``; after that its sign-in attempts are answered 429
until the oldest failure leaves the window. The counts live in the serving process (one
table per application); a restart forgets them, the audit log keeps every failure.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections import deque

from keyguard.config import get_settings, utcnow


class FailureWindow:
    """Sliding window of failure times per key (a client address)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._times: dict[str, deque[dt.datetime]] = {}

    def _window(self) -> tuple[int, dt.timedelta]:
        settings = get_settings()
        return settings.login_ip_max_failures, dt.timedelta(
            seconds=settings.login_ip_window_seconds
        )

    def _prune(self, key: str, now: dt.datetime, window: dt.timedelta) -> deque[dt.datetime]:
        times = self._times.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - window:
            times.popleft()
        if not times:
            del self._times[key]
        return times

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may try again (0: it may now)."""
        limit, window = self._window()
        if limit <= 0:
            return 0
        now = utcnow()
        with self._lock:
            times = self._prune(key, now, window)
            if len(times) < limit:
                return 0
            return max(1, math.ceil((times[0] + window - now).total_seconds()))

    def fail(self, key: str) -> None:
        """Count one failed attempt from ``key``."""
        limit, window = self._window()
        if limit <= 0:
            return
        now = utcnow()
        with self._lock:
            self._prune(key, now, window)
            times = self._times.setdefault(key, deque())
            times.append(now)
            while len(times) > limit:  # only the newest ``limit`` matter
                times.popleft()
