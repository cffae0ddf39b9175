"""JSON twins of the register pages: items (filtered) and one item with its grants. Views
are audited by the register service; people are pseudonyms without ``people.identify``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.api import ActiveUnit, DbSession, require
from keyguard.errors import KeyguardError
from keyguard.identity.permissions import Principal, can
from keyguard.records.org.models import Person, Unit
from keyguard.records.register import service as reg
from keyguard.records.register.grants import grantee_label
from keyguard.records.register.imports import ImportReport
from keyguard.records.register.models import Disposal, Grant, Item
from keyguard.records.register.uploads import MAX_UPLOAD_BYTES, import_upload, report_rows

router = APIRouter()


def unit_row(db: Session, unit_id: int) -> Unit:
    unit = db.get(Unit, unit_id)
    assert unit is not None
    return unit


def person_out(
    db: Session, principal: Principal, unit_id: int, person_id: int | None
) -> dict[str, Any] | None:
    """A person as the caller may see them: pseudonym, plus staff id and name if allowed."""
    if person_id is None:
        return None
    p = db.get(Person, person_id)
    if p is None:
        return None
    out: dict[str, Any] = {"id": p.id, "pseudonym": p.pseudonym}
    if can(principal, "people.identify", unit_id):
        out.update(staff_id=p.staff_id, name=p.full_name)
    return out


def grant_out(db: Session, principal: Principal, g: Grant) -> dict[str, Any]:
    item = db.get(Item, g.item_id) if g.item_id else None
    return {
        "id": g.id,
        "grantee_type": g.grantee_type,
        "grantee": (
            person_out(db, principal, g.unit_id, g.grantee_person_id)
            if g.grantee_type == "person"
            else grantee_label(db, g)
        ),
        "scope": g.scope,
        "item_id": g.item_id,
        "reference": item.reference if item else None,
        "compartment": g.compartment,
        "level": g.level,
        "purpose": g.purpose,
        "status": g.status,
        "start": g.valid_from,
        "end": g.valid_to - dt.timedelta(days=1) if g.valid_to else None,
        "known_from": g.known_from,
        "approvals_required": g.approvals_required,
        "approvals": sum(a.decision == "approve" for a in g.approvals),
    }


def item_out(i: Item) -> dict[str, Any]:
    return {
        "id": i.id,
        "reference": i.reference,
        "title": i.title,
        "level": i.level,
        "compartment": i.compartment,
        "status": i.status,
        "owner_department_id": i.owner_department_id,
        "review_date": i.review_date,
        "room": i.room,
        "safe": i.safe,
        "locations": [{"kind": loc.kind, "pattern": loc.pattern} for loc in i.locations],
    }


@router.get("/units/{unit_id}/register")
def register_list(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("register.view")],
    level: str = "",
    status: str = "",
    q: str = "",
) -> list[dict[str, Any]]:
    """Items of the register (audited)."""
    items = reg.list_items(
        db, unit=unit_row(db, unit_id), level=level or None, status=status or None, text=q or None
    )
    return [item_out(i) for i in items]


def import_out(report: ImportReport) -> dict[str, Any]:
    """An import's counts and its refused rows and warnings, each with line and reason."""
    return {
        "kind": report.kind,
        "file": report.file,
        **report.counts(),
        "rows": report_rows(report),
    }


async def upload(
    db: Session, unit_id: int, kind: str, file: UploadFile, known_from: str = ""
) -> dict[str, Any]:
    """Import an uploaded CSV with the CLI's service (multipart field ``file``)."""
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    try:
        day = dt.date.fromisoformat(known_from) if known_from.strip() else None
    except ValueError:
        raise KeyguardError(f"known_from: not a date ({known_from})") from None
    with db.begin_nested():
        report = import_upload(
            db,
            unit=unit_row(db, unit_id),
            kind=kind,
            filename=file.filename,
            data=data,
            known_from=day,
        )
    return import_out(report)


@router.post("/units/{unit_id}/register/import")
async def register_import(
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("register.manage")],
    file: Annotated[UploadFile, File()],
) -> dict[str, Any]:
    """Import register items from an uploaded CSV (same rules as ``keyguard register import``)."""
    return await upload(db, unit_id, "register", file)


@router.get("/units/{unit_id}/register/{item_id}")
def register_item(
    unit_id: int,
    item_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("register.view")],
) -> dict[str, Any]:
    """One item with its grants (audited)."""
    item = reg.get_item(db, unit_id=unit_id, item_id=item_id)
    grants = db.scalars(select(Grant).where(Grant.item_id == item.id).order_by(Grant.id))
    return {
        **item_out(item),
        "owner": person_out(db, principal, unit_id, item.owner_id),
        "custodian": person_out(db, principal, unit_id, item.custodian_id),
        "grants": [grant_out(db, principal, g) for g in grants],
    }


class DisposalIn(BaseModel):
    on_day: dt.date
    witness1_id: int
    witness2_id: int
    method: str = ""
    to_level: str | None = None


def disposal_out(db: Session, principal: Principal, d: Disposal) -> dict[str, Any]:
    return {
        "id": d.id,
        "item_id": d.item_id,
        "kind": d.kind,
        "on_day": d.on_day,
        "from_level": d.from_level,
        "to_level": d.to_level,
        "method": d.method,
        "witnesses": [
            person_out(db, principal, d.unit_id, d.witness1_id),
            person_out(db, principal, d.unit_id, d.witness2_id),
        ],
        "recorded_by": d.recorded_by,
    }


def _witness(db: Session, unit_id: int, person_id: int) -> Person:
    person = db.get(Person, person_id)
    if person is None or person.unit_id != unit_id:
        raise KeyguardError(f"no person {person_id} in this unit")
    return person


@router.post("/units/{unit_id}/register/{item_id}/destroy", status_code=201)
def register_destroy(
    body: DisposalIn,
    unit_id: int,
    item_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("register.manage")],
) -> dict[str, Any]:
    """Record an item's destruction with its two witnesses (two different people)."""
    item = reg.get_item(db, unit_id=unit_id, item_id=item_id, view=False)
    d = reg.record_destruction(
        db,
        item=item,
        on_day=body.on_day,
        witness1=_witness(db, unit_id, body.witness1_id),
        witness2=_witness(db, unit_id, body.witness2_id),
        method=body.method,
    )
    return disposal_out(db, principal, d)


@router.post("/units/{unit_id}/register/{item_id}/downgrade", status_code=201)
def register_downgrade(
    body: DisposalIn,
    unit_id: int,
    item_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("register.manage")],
) -> dict[str, Any]:
    """Record a downgrade (``to_level``) with its two witnesses (two different people)."""
    if not body.to_level:
        raise KeyguardError("to_level: the new level is required")
    item = reg.get_item(db, unit_id=unit_id, item_id=item_id, view=False)
    d = reg.record_downgrade(
        db,
        item=item,
        to_level=body.to_level,
        on_day=body.on_day,
        witness1=_witness(db, unit_id, body.witness1_id),
        witness2=_witness(db, unit_id, body.witness2_id),
        method=body.method,
    )
    return disposal_out(db, principal, d)
