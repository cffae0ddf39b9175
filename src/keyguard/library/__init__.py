"""YAML/Markdown content shipped with keyguard (roles, frameworks, detectors, controls,
courses, mappings, site categories) and the loaders that validate it.

Imports only ``keyguard.config`` and ``keyguard.errors``.
"""
