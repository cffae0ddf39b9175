"""CSV imports uploaded through the web UI or the JSON API: the bytes are written to a
private temporary file and handed to the very services the CLI uses
(:func:`imports.import_register`, :func:`imports.import_grants`,
:func:`hosts.import_hosts`), so the rules, the per-line refusals and re-run safety are the
same. Problems name the file as it was uploaded; every upload is in the audit chain."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.errors import InputError, RuleViolation
from keyguard.records.org.models import Unit
from keyguard.records.register import hosts, imports
from keyguard.records.register.common import local_today

#: What may be uploaded, with the columns each kind needs (shown on the upload page).
KINDS = {
    "register": (imports.REGISTER_COLUMNS, imports.REGISTER_OPTIONAL),
    "grants": (imports.GRANT_COLUMNS, imports.GRANT_OPTIONAL),
    "hosts": (hosts.HOST_COLUMNS, ()),
}
#: Largest accepted upload (a register of ~100,000 rows fits).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def upload_name(filename: str | None, kind: str) -> str:
    """The uploaded file's own name without any folder, in safe characters."""
    base = re.split(r"[\\/]", filename or "")[-1].strip()
    base = re.sub(r"[^\w.\- ]", "_", base)[:120].strip(" .")
    return base or f"{kind}.csv"


def import_upload(
    session: Session,
    *,
    unit: Unit,
    kind: str,
    filename: str | None,
    data: bytes,
    known_from: dt.date | None = None,
) -> imports.ImportReport:
    """Import an uploaded CSV of ``kind`` (register, grants or hosts) with the CLI's service.

    A file that cannot be used at all raises :class:`InputError` naming it; refused rows are
    in the report with their line and reason while valid rows are imported."""
    if kind not in KINDS:
        raise RuleViolation(f"unknown import {kind!r}: one of {', '.join(KINDS)}")
    name = upload_name(filename, kind)
    if not data:
        raise InputError(name, "the file is empty", line=1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(name, f"larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    with tempfile.TemporaryDirectory(prefix="kg-upload-") as folder:
        path = Path(folder) / "upload.csv"
        path.write_bytes(data)
        if kind == "register":
            report = imports.import_register(session, unit=unit, path=path, name=name)
        elif kind == "grants":
            report = imports.import_grants(
                session,
                unit=unit,
                path=path,
                known_from=known_from,
                today=local_today(unit),
                name=name,
            )
        else:
            report = hosts.import_hosts(
                session, unit=unit, path=path, known_from=known_from, name=name
            )
    audit.record(
        session,
        "upload",
        f"{kind}_import",
        None,
        {
            "file": name,
            "sha256": hashlib.sha256(data).hexdigest(),
            **report.counts(),
            "problems": [str(p) for p in report.problems[:50]],
        },
        unit_id=unit.id,
    )
    return report


def report_rows(report: imports.ImportReport) -> list[dict[str, object]]:
    """The refused rows and warnings of a report as ``{line, reason, kind}``, by line."""
    out: list[dict[str, object]] = [
        {"line": p.line, "reason": p.reason, "kind": "refused"} for p in report.problems
    ] + [{"line": p.line, "reason": p.reason, "kind": "warning"} for p in report.warnings]
    return sorted(out, key=lambda r: (r["line"] or 0, str(r["kind"])))
