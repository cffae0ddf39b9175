"""Cookies of the web login: the session cookie and where to go after logging in."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import Response

from keyguard.config import get_settings
from keyguard.identity.auth import SESSION_COOKIE
from keyguard.web.csrf import PRE_COOKIE


def set_session_cookie(response: Response, token: str) -> None:
    """HttpOnly, SameSite=Lax, Secure when served behind TLS; lasts the session's hours."""
    settings = get_settings()
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )
    # The pre-login CSRF token is spent: the session now carries its own.
    response.delete_cookie(PRE_COOKIE, path="/")


def clear_session_cookie(response: Response) -> None:
    settings = get_settings()
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, secure=settings.secure_cookies, samesite="lax"
    )


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go to after login (never another site, never the login page)."""
    if not target:
        return default
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or parts.path.startswith("/login")
    ):
        return default
    return target
