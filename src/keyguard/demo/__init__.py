"""``keyguard demo``: builds a realistic demo organization end to end through the same
services a real installation uses (audited), then serves the UI. Each domain contributes
ordered steps through the ``keyguard_demo_steps`` hook.

May import every layer below the CLI and web.
"""
