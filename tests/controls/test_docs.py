"""docs/loopholes.md names every shipped check, every query and every query parameter."""

from __future__ import annotations

from pathlib import Path

from keyguard.controls.checks import load_checks
from keyguard.controls.queries import registry

DOC = Path(__file__).resolve().parents[2] / "docs" / "loopholes.md"


def test_docs_cover_checks_queries_and_parameters() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [
        f"check {c.id}" for c in load_checks(Path("/nonexistent")) if f"`{c.id}`" not in text
    ]
    for name, q in registry().items():
        if f"`{name}`" not in text:
            missing.append(f"query {name}")
        missing += [f"{name} parameter {p}" for p in q.params if f"`{p}`" not in text]
    assert not missing, f"docs/loopholes.md does not mention: {missing}"
