"""The supervising body's view across units: scorecards (aggregates only, no personal data),
guidance and training material published to units, rectification orders tracked to closure.

May import every domain below it (cases, controls, analytics, records, ...).
"""
