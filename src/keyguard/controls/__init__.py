"""The loophole scanner: control checks as data (YAML in ``library/controls``, each naming a
registered query of ``controls.queries``) computed from the records and the event store,
producing findings with owner, due date and evidence (``scan``, ``service``), a daily job
(``hooks``) and the compliance score's "findings closed on time" term (``evidence``).

May import ``policies``, ``ingest``, ``records``, ``identity``, ``events``, ``library``,
``scheduler``, ``privacy``, ``audit``, ``db``.
"""
