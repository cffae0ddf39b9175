"""The normalised activity-event schema (aligned with OCSF), its field registry and the
Parquet partition layout of the event store (``<home>/events/unit=<code>/day=<YYYY-MM-DD>/``).

May import ``keyguard.config``, ``keyguard.errors`` and ``keyguard.db``.
"""
