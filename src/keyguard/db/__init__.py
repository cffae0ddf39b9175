"""Database plumbing: engine, sessions, declarative base, column types, Alembic migrations.

Owns no domain logic. May import ``keyguard.config`` and ``keyguard.errors`` only.
"""

from keyguard.db.base import Base, TimestampMixin, UnitScoped
from keyguard.db.engine import get_engine, make_engine
from keyguard.db.session import session_scope, sessionmaker_for

__all__ = [
    "Base",
    "TimestampMixin",
    "UnitScoped",
    "get_engine",
    "make_engine",
    "session_scope",
    "sessionmaker_for",
]
