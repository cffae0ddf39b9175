"""Detection policies: the indicator catalog (the fields a policy may name), the policy model
and JSON Schema, the loader/validator (file:line:column errors), and SQL backends that
compile one policy to DuckDB or Spark SQL.

May import ``keyguard.library``, ``keyguard.events``, ``keyguard.errors`` and ``keyguard.config``.
"""
