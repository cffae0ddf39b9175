"""Errors of the duties domain (named so callers and tests can tell them apart)."""

from __future__ import annotations

from keyguard.errors import RuleViolation


class FrameworkVersionError(RuleViolation):
    """A framework file older than (or conflicting with) the version already loaded."""


class DependencyMissing(RuleViolation):
    """A framework names a library that is not loaded in the unit."""
