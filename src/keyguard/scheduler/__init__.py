"""Scheduled jobs (``keyguard tick``) against a settable clock, the per-home job lock, and
notifications (in-app and e-mail through SMTP). Domains register jobs with the
``keyguard_jobs`` hook.

May import ``keyguard.audit``, ``keyguard.db``, ``keyguard.config``, ``keyguard.errors``.
"""
