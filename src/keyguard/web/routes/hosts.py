"""Hosts and the people they are assigned to (imported from hosts.csv or inferred from
logons); pseudonyms unless the viewer may identify people."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from keyguard import audit
from keyguard.identity.permissions import Principal
from keyguard.records.register.hosts import host_assignments
from keyguard.web.deps import ActiveUnit, DbSession, render, require
from keyguard.web.i18n import lazy_gettext
from keyguard.web.routes.register import handle_upload, import_page, person_label, unit_row

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("Hosts"),
        "path": "/units/{unit_id}/hosts",
        "permission": "hosts.view",
        "order": 36,
    }
]


@router.get("/units/{unit_id}/hosts/import", response_class=HTMLResponse)
def hosts_import_form(
    request: Request,
    unit_id: int,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("hosts.manage")],
) -> HTMLResponse:
    return import_page(request, "hosts")


@router.post("/units/{unit_id}/hosts/import", response_class=HTMLResponse)
async def hosts_import(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("hosts.manage")],
    file: Annotated[UploadFile | None, File()] = None,
    known_from: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Import hosts.csv with the CLI's rules; an imported host replaces an inferred one."""
    return await handle_upload(request, db, unit_id, "hosts", file, known_from)


@router.get("/units/{unit_id}/hosts", response_class=HTMLResponse)
def hosts_page(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("hosts.view")],
    source: str = "",
) -> HTMLResponse:
    u = unit_row(db, unit_id)
    rows = [r for r in host_assignments(db, u).to_pylist() if not source or r["source"] == source]
    for r in rows:
        r["who"] = person_label(db, principal, u, r["person_id"])
    audit.record(db, "view", "hosts", None, {"shown": len(rows)}, unit_id=unit_id)
    return render(request, "hosts/list.html", {"hosts": rows, "source": source})
