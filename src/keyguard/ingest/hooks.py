"""The ingest domain's plugin hooks: what each adapter records, for the page every
employee can read ("What keyguard records") and for docs/events.md."""

from __future__ import annotations

from typing import Any

from keyguard.hookspecs import hookimpl
from keyguard.ingest.registry import recorded_fields


@hookimpl
def keyguard_recorded_fields() -> list[dict[str, Any]]:
    return recorded_fields()
