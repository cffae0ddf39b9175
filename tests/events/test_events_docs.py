"""docs/events.md and docs/ingest.md follow the code: every column, every declared source,
every shipped mapping is documented."""

from __future__ import annotations

from pathlib import Path

from keyguard.events.schema import ACTIVITIES, FIELDS
from keyguard.ingest.mapping import shipped_mappings
from keyguard.ingest.registry import adapters

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_events_doc_lists_every_column_activity_and_source() -> None:
    text = (DOCS / "events.md").read_text(encoding="utf-8")
    for name in FIELDS:
        assert f"| `{name}` |" in text, name
    for acts in ACTIVITIES.values():
        for act in acts:
            assert act in text, act
    for adapter in adapters().values():
        for decl in adapter.declarations():
            assert f"| {decl.source} |" in text, decl.source


def test_ingest_doc_names_every_shipped_mapping() -> None:
    text = (DOCS / "ingest.md").read_text(encoding="utf-8")
    for name in shipped_mappings():
        assert f"`{name}`" in text, name
