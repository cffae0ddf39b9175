"""Unit compliance and case reports as HTML and PDF, CSV/JSON exports over the services.

May import every domain below it (cases, controls, analytics, records, ...).
"""
