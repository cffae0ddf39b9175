"""Who is acting: a context variable set by the CLI, the web layer and jobs."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """An actor: ``name`` as written in the log (``cli:alice``, ``account:3``, ``job:tick``)."""

    name: str
    account_id: int | None = None
    person_id: int | None = None


_ACTOR: ContextVar[Actor | None] = ContextVar("keyguard_actor", default=None)


def cli_actor() -> Actor:
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        user = "unknown"
    return Actor(name=f"cli:{user}")


def current_actor() -> Actor:
    """The actor in force; the operating-system user when nobody set one."""
    return _ACTOR.get() or cli_actor()


@contextmanager
def actor_scope(actor: Actor) -> Iterator[Actor]:
    token = _ACTOR.set(actor)
    try:
        yield actor
    finally:
        _ACTOR.reset(token)
