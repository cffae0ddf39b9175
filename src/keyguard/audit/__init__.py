"""The hash-chained, append-only audit log: append, automatic change capture, verify,
checkpoint, export and sealing.

Imports only ``keyguard.db``, ``keyguard.config`` and ``keyguard.errors`` — no domain.
Every domain writes to it inside its own transaction (changes are captured automatically
on flush; reads of personal data call :func:`record`).
"""

from keyguard.audit import capture as _capture  # noqa: F401  (registers the listener)
from keyguard.audit.context import actor_scope, current_actor
from keyguard.audit.service import record, verify

__all__ = ["actor_scope", "current_actor", "record", "verify"]
