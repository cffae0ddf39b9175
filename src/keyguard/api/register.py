"""JSON twins of the register pages: items (filtered) and one item with its grants. Views
are audited by the register service; people are pseudonyms without ``people.identify``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.api import ActiveUnit, DbSession, require
from keyguard.identity.permissions import Principal, can
from keyguard.records.org.models import Person, Unit
from keyguard.records.register import service as reg
from keyguard.records.register.grants import grantee_label
from keyguard.records.register.models import Grant, Item

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
