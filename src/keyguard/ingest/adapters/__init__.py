"""Ingest adapters, one module each, found by :mod:`keyguard.ingest.registry`.

A module here defines ``ADAPTER = Adapter(name, title, declarations, plan)``: ``plan``
returns the files to read (:class:`keyguard.ingest.context.PlannedFile`, each with a parser
that turns line chunks into pre-events), ``declarations`` which event fields it fills.
"""
