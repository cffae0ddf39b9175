"""The relational records of a unit's security program, one sub-package per domain:
``org`` (units, org tree, positions, people), ``register`` (classified items, grants, hosts),
``personnel`` (clearances, reportable events, joiner/mover/leaver), ``duties`` and
``education``.

May import ``keyguard.library``, ``keyguard.privacy``, ``keyguard.audit``, ``keyguard.db``.
"""
