"""Pseudonyms (keyed hashes; the key lives under ``KEYGUARD_HOME``, never in the database),
dual-control re-identification and retention rules.

May import ``keyguard.audit``, ``keyguard.db``, ``keyguard.config``, ``keyguard.errors``.
"""
