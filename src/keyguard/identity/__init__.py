"""Accounts, roles and permissions (roles are data: ``library/roles.yaml``), password and
TOTP authentication, web sessions, API tokens, and the separation-of-duty rules (two-person
checks compare people, not accounts). Refers to people by id only.

May import ``keyguard.library``, ``keyguard.audit``, ``keyguard.db``, ``keyguard.config``.
"""
