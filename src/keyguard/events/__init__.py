"""The normalised activity-event schema (aligned with OCSF), its field registry and the
Parquet event store (``<home>/events/unit=<code>/day=<YYYY-MM-DD>/part-*.parquet``) with the
read API the analytics and the web use (:class:`keyguard.events.store.EventStore`).

May import ``keyguard.config``, ``keyguard.errors`` and ``keyguard.db``.
"""
