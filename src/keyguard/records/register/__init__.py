"""The classified-information register: items and where they live (path/URL patterns,
document ids, rooms and safes), check-outs, destruction and downgrade records,
need-to-know grants with request/approve and access reviews, and hosts with their
assigned people. ``service``, ``grants``, ``hosts``, ``reviews`` and ``imports`` are the
entry points; ``matching`` is the DuckDB API for the analytics and loophole checks.

May import ``keyguard.records.org``, ``keyguard.identity`` (accounts, separation rules),
``keyguard.scheduler``, ``keyguard.privacy``, ``keyguard.audit``, ``keyguard.db``.
"""
