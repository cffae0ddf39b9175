"""Units (organizations), supervising bodies, working calendars, the org tree, positions and
people with their history (bitemporal person versions) and pseudonyms.

May import ``keyguard.privacy``, ``keyguard.audit``, ``keyguard.db``, ``keyguard.config``.
"""
