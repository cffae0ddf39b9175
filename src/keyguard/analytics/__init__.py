"""Insider-risk analytics: daily indicators per person from the event store (DuckDB SQL that
SQLGlot renders for Spark), own and peer baselines, the IsolationForest anomaly score, the
detection run (full or incremental, no look-ahead), risk scores, alert episodes with their
explanations and evidence, exports, and the triage service.

May import ``keyguard.policies``, ``keyguard.records``, ``keyguard.events``,
``keyguard.library``, ``keyguard.scheduler``, ``keyguard.privacy``, ``keyguard.audit``,
``keyguard.db``, ``keyguard.config`` and ``keyguard.errors``.
"""
