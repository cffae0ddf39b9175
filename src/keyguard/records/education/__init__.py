"""Courses and publicity material (stored with their content and SHA-256), quiz attempts,
certificates, campaigns aimed at audiences (pluggable rules), training assignments with
reminders, and the analyst's refresher assignment that looks like any campaign item.

May import ``keyguard.records.org``, ``keyguard.library``, ``keyguard.scheduler``,
``keyguard.audit``, ``keyguard.db``, ``keyguard.config``.
"""
