"""The loophole scanner: control checks as data (YAML) computed from the records and the
event store, producing findings with owner, due date and evidence.

May import ``policies``, ``ingest``, ``records``, ``identity``, ``events``, ``library``,
``scheduler``, ``privacy``, ``audit``, ``db``.
"""
