"""Duty frameworks loaded from versioned YAML (two stages: the raw file with its SHA-256,
then the objects), duty assignments to positions at every level, responsibility statements
and periodic attestations, escalation of overdue items, and the evidence-only compliance
score with its daily snapshots.

May import ``keyguard.records.org``, ``keyguard.records.education``, ``keyguard.library``,
``keyguard.scheduler``, ``keyguard.audit``, ``keyguard.db``, ``keyguard.config``.
"""
