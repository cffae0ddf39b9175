"""argon2id password hashing (parameters from settings; tests use cheap ones)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from keyguard.config import get_settings
from keyguard.errors import RuleViolation

MIN_LENGTH = 12


def _hasher() -> PasswordHasher:
    s = get_settings()
    return PasswordHasher(time_cost=s.argon2_time_cost, memory_cost=s.argon2_memory_cost)


def check_strength(password: str) -> None:
    """Refuse passwords that are too short or all one kind of character."""
    if len(password) < MIN_LENGTH:
        raise RuleViolation(f"a password needs at least {MIN_LENGTH} characters")
    if len(set(password)) < 5:
        raise RuleViolation("a password needs more different characters")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher().verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher().check_needs_rehash(stored)
