"""JSON twin of the hosts page (people as pseudonyms without ``people.identify``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile

from keyguard import audit
from keyguard.api import ActiveUnit, DbSession, require
from keyguard.api.register import person_out, unit_row, upload
from keyguard.identity.permissions import Principal
from keyguard.records.register.hosts import host_assignments

router = APIRouter()


@router.get("/units/{unit_id}/hosts")
def hosts(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("hosts.view")],
) -> list[dict[str, Any]]:
    """Hosts with their assigned person, shared and removable-media flags and the source."""
    rows = host_assignments(db, unit_row(db, unit_id)).to_pylist()
    audit.record(db, "view", "hosts", None, {"shown": len(rows)}, unit_id=unit_id)
    out = []
    for r in rows:
        person = person_out(db, principal, unit_id, r.pop("person_id"))
        r.pop("assigned_staff_id")
        if r["source"] == "inferred" and not (person and "staff_id" in person):
            r.pop("inferred_user")
        out.append({**r, "assigned_to": person})
    return out


@router.post("/units/{unit_id}/hosts/import")
async def hosts_import(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("hosts.manage")],
    file: Annotated[UploadFile, File()],
    known_from: Annotated[str, Form()] = "",
) -> dict[str, Any]:
    """Import hosts from an uploaded CSV (same rules as ``keyguard hosts import``)."""
    return await upload(db, unit_id, "hosts", file, known_from)
