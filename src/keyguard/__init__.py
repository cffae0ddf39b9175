"""keyguard: a security-prevention program for key units and their supervising body.

Package layers (top may import bottom, never the reverse) are listed in
``pyproject.toml`` under ``[tool.importlinter]`` and checked by ``make lint``.
"""

__version__ = "0.1.0"
