"""Activity ingestion: adapters (CERT insider-threat folders, CSV and JSON lines with a
declarative YAML mapping) that read source files in bounded chunks, normalise each row
into the event schema of :mod:`keyguard.events`, keep rejected rows with their reason,
and commit day partitions atomically and idempotently. Every run is recorded in the
records DB (``ingest_run``, ``ingest_file``) and in the audit chain.

Entry points: :mod:`keyguard.ingest.service` (``ingest_cert``, ``ingest_mapped``).
May import ``keyguard.records``, ``keyguard.events``, ``keyguard.library``, ``keyguard.privacy``,
``keyguard.scheduler``, ``keyguard.audit``, ``keyguard.db``, ``keyguard.config`` and
``keyguard.errors``.
"""
