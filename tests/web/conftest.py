"""Fixtures for web and API tests (documented in docs/web.md, "Test fixtures").

* ``world`` — the prepared data of :mod:`web.prepared` in a fresh SQLite home.
* ``app`` — ``create_app()`` over that home.
* ``client`` — an anonymous ``TestClient`` (server errors raise).
* ``signed_in(key)`` — a ``TestClient`` logged in as account ``key`` of the world (a fresh
  server-side session, no password round trip); its ``csrf`` attribute holds the token.
* ``login(client, email, password)`` — the real login form; returns the response.
* ``csrf_of(client)`` — the CSRF token the last rendered page of ``client`` carries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from keyguard.db.session import session_scope
from keyguard.identity.auth import SESSION_COOKIE
from keyguard.identity.models import Account
from keyguard.identity.sessions import create_session
from keyguard.web.app import create_app

from .prepared import World, build_world

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def world(engine: Engine) -> World:
    with session_scope(engine) as s:
        return build_world(s)


@pytest.fixture
def app(world: World) -> FastAPI:
    return create_app()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def new_session_cookie(engine: Engine, account_id: int) -> tuple[str, str]:
    """A fresh logged-in session for ``account_id``: (cookie value, CSRF token)."""
    with session_scope(engine) as s:
        account = s.get(Account, account_id)
        assert account is not None
        token, ws = create_session(s, account, totp_passed=True)
        return token, ws.csrf_token


@pytest.fixture
def signed_in(app: FastAPI, world: World, engine: Engine) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(key: str, *, raise_server_exceptions: bool = True) -> TestClient:
        token, csrf = new_session_cookie(engine, world.accounts[key])
        c = TestClient(app, raise_server_exceptions=raise_server_exceptions)
        c.cookies.set(SESSION_COOKIE, token)
        c.csrf = csrf  # type: ignore[attr-defined]
        c.headers["X-CSRF-Token"] = csrf
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


def csrf_of(response_text: str) -> str:
    match = CSRF_FIELD.search(response_text)
    assert match, "the page carries no CSRF field"
    return match.group(1)


def login(client: TestClient, email: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    """Log in through the form (GET /login for the token, then POST)."""
    page = client.get("/login")
    data = {"email": email, "password": password, "csrf_token": csrf_of(page.text), **extra}
    return client.post("/login", data=data, follow_redirects=False)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session to inspect what requests wrote (expire_on_commit off; re-query to refresh)."""
    from keyguard.db.session import sessionmaker_for

    with sessionmaker_for(engine)() as s:
        yield s
