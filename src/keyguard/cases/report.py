"""The case report as HTML and PDF (WeasyPrint): the case, what it is about, the timeline
of actions and evidence events (with their source file and line), notes and files, the
outcome and the rectification actions. Pseudonymous unless the reader holds an approved
re-identification for the case (then the identity is shown and the look is audited).

The template lives in this package (``templates/report.html``) so the web page, the API
and the CLI render the same document.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.cases.models import Case
from keyguard.cases.views import case_view
from keyguard.config import utcnow
from keyguard.identity.models import Account
from keyguard.records.org.models import Unit

TEMPLATES = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def report_data(
    session: Session, *, unit: Unit, case: Case, account: Account | None, names: bool = False
) -> dict[str, Any]:
    """The case as the report shows it (audited as a look at the case)."""
    view = case_view(
        session, unit=unit, case=case, account=account, names=names, what="case report"
    )
    view["generated_at"] = utcnow().isoformat(timespec="seconds")
    view["generated_by"] = audit.current_actor().name
    return view


def render_html(data: dict[str, Any]) -> str:
    """The report as a self-contained HTML document (inline CSS, no scripts)."""
    return _env().get_template("report.html").render(case=data)


def render_pdf(data: dict[str, Any]) -> bytes:
    """The same document as PDF."""
    from weasyprint import HTML

    pdf = HTML(string=render_html(data)).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def report(
    session: Session,
    *,
    unit: Unit,
    case: Case,
    account: Account | None,
    fmt: str = "html",
    names: bool = False,
) -> bytes:
    """The report of a case in ``html`` or ``pdf``; the export is audited."""
    data = report_data(session, unit=unit, case=case, account=account, names=names)
    out = render_pdf(data) if fmt == "pdf" else render_html(data).encode("utf-8")
    audit.record(
        session,
        "export",
        "case_report",
        case.id,
        {"format": fmt, "identified": data["identified"]},
        unit_id=unit.id,
    )
    return out
