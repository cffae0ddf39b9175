"""Alert and finding triage into cases: timeline, evidence copied with provenance, outcomes,
rectification actions with owners and deadlines, triage metrics.

May import ``analytics`` and ``controls`` (alerts and findings become cases) and every
layer below them.
"""
