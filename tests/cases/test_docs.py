"""docs/cases.md and docs/privacy.md name every command, job, outcome, retention kind,
re-identification audit action and page of the cases domain."""

from __future__ import annotations

import re
from pathlib import Path

from keyguard.cases.hooks import keyguard_jobs
from keyguard.cases.models import OUTCOMES
from keyguard.cli.cases_cmd import cases_app
from keyguard.cli.retention_cmd import retention_app
from keyguard.privacy.retention import KINDS
from keyguard.web.routes import audit_views, cases, rectification, reident, retention

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_docs_name_everything() -> None:
    text = (DOCS / "cases.md").read_text(encoding="utf-8")
    text += (DOCS / "privacy.md").read_text(encoding="utf-8")
    wanted = [f"keyguard cases {c.name}" for c in cases_app.registered_commands]
    wanted += [f"keyguard retention {c.name}" for c in retention_app.registered_commands]
    wanted += ["keyguard audit who-saw"]
    wanted += [f"`{j.name}`" for j in keyguard_jobs()]
    wanted += [f"`{o}`" for o in OUTCOMES] + [f"`{k}`" for k in KINDS]
    wanted += [
        f"`reident_{a}`" for a in ("request", "approve", "refuse", "withdraw", "revoke", "view")
    ]
    for module in (cases, reident, rectification, retention, audit_views):
        for route in module.router.routes:
            last = re.sub(r"\{\w+\}", "", str(getattr(route, "path", ""))).rstrip("/")
            wanted.append(last.rsplit("/", 1)[-1])
    missing = [w for w in wanted if w not in text]
    assert not missing, f"the docs do not mention {missing}"
