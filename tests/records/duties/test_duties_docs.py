"""docs/duties.md names every command, job, setting and audience rule of duties and
training; docs/compliance-score.md names every evidence source shipped."""

from __future__ import annotations

from pathlib import Path

from keyguard.cli.duties_cmd import duties_app
from keyguard.cli.training_cmd import training_app
from keyguard.records.duties.hooks import keyguard_jobs as duty_jobs
from keyguard.records.duties.settings import DEFAULTS
from keyguard.records.education.audiences import audience_rules
from keyguard.records.education.hooks import keyguard_jobs as training_jobs

DOCS = Path(__file__).resolve().parents[3] / "docs"


def test_duties_doc_covers_commands_jobs_settings_and_audiences() -> None:
    text = (DOCS / "duties.md").read_text(encoding="utf-8")
    missing = [
        f"keyguard duties {c.name}"
        for c in duties_app.registered_commands
        if f"keyguard duties {c.name}" not in text
    ]
    missing += [
        f"keyguard training {c.name}"
        for c in training_app.registered_commands
        if f"keyguard training {c.name}" not in text
    ]
    missing += [j.name for j in [*duty_jobs(), *training_jobs()] if f"`{j.name}`" not in text]
    missing += [k for k in DEFAULTS if f"{k}" not in text]
    missing += [k for k in audience_rules() if k != "assigned" and f"`{k}`" not in text]
    assert not missing, f"docs/duties.md does not mention: {missing}"


def test_score_doc_covers_the_shipped_sources() -> None:
    from keyguard.records.duties.evidence import SOURCES as DUTY_SOURCES
    from keyguard.records.education.evidence import SOURCES as TRAINING_SOURCES

    text = (DOCS / "compliance-score.md").read_text(encoding="utf-8")
    missing = [s.key for s in [*DUTY_SOURCES, *TRAINING_SOURCES] if f"`{s.key}`" not in text]
    assert not missing, f"docs/compliance-score.md does not mention: {missing}"
