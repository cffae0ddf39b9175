"""Personnel security: clearances with expiry and vetting dates, reportable events that
employees file about themselves (reviewed by the security officer, never a risk input),
joiner/mover/leaver tasks that list grants for revocation, and the priority groups
(departing, privileged, top-level access) the analytics use.

May import ``keyguard.records.org``, ``keyguard.records.register``, ``keyguard.identity``,
``keyguard.scheduler``, ``keyguard.audit``, ``keyguard.db``.
"""
