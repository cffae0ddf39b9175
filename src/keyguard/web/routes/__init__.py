"""Page modules: each ``<area>.py`` has ``router`` and optionally ``NAV`` and
``DASHBOARD_CARDS``; ``keyguard.web.app`` finds them (no central list)."""
