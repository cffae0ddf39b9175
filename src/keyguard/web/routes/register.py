"""The classified register: the list (filter by level, status, text), an item with its
locations, grants and recent access (from the event store), check-out and return of
physical items, and the overdue list. Every view is audited by the register service; the
recent-access list shows pseudonyms unless the viewer may identify people."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.config import get_settings
from keyguard.errors import KeyguardError, NotFound
from keyguard.identity.permissions import Principal, can
from keyguard.privacy.pseudonyms import pseudonym
from keyguard.records.org.models import OrgNode, Person, Unit
from keyguard.records.register import service as reg
from keyguard.records.register.common import local_today
from keyguard.records.register.grants import grantee_label
from keyguard.records.register.matching import event_items, user_key
from keyguard.records.register.models import ITEM_STATUSES, CheckOut, Grant, Item
from keyguard.records.register.uploads import KINDS, MAX_UPLOAD_BYTES, import_upload, report_rows
from keyguard.web.deps import ActiveUnit, DbSession, notice, render, require
from keyguard.web.i18n import lazy_gettext

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("Register"),
        "path": "/units/{unit_id}/register",
        "permission": "register.view",
        "order": 30,
    },
]
CHECKED_OUT = notice("register-checked-out", lazy_gettext("The item is checked out."))
RETURNED = notice("register-returned", lazy_gettext("The return is recorded."))
DESTROYED = notice("register-destroyed", lazy_gettext("The destruction is recorded."))
DOWNGRADED = notice("register-downgraded", lazy_gettext("The downgrade is recorded."))
IMPORT_TITLES = {
    "register": lazy_gettext("Import register items"),
    "grants": lazy_gettext("Import grants"),
    "hosts": lazy_gettext("Import hosts"),
}
RECENT = 20


def unit_row(db: Session, unit_id: int) -> Unit:
    unit = db.get(Unit, unit_id)
    assert unit is not None
    return unit


def person_label(db: Session, principal: Principal, unit: Unit, person_id: int | None) -> str:
    """Staff id and name for those who may identify people, else the pseudonym."""
    if person_id is None:
        return ""
    p = db.get(Person, person_id)
    if p is None:
        return ""
    if can(principal, "people.identify", unit.id):
        return f"{p.full_name} ({p.staff_id})"
    return p.pseudonym


def user_label(principal: Principal, unit: Unit, source_user: str) -> str:
    if can(principal, "people.identify", unit.id):
        return source_user
    return pseudonym(unit.code, user_key(source_user))


def grant_rows(
    db: Session, principal: Principal, unit: Unit, grants: list[Grant]
) -> list[dict[str, Any]]:
    """Grants as rows for the templates (person grantees pseudonymised when required)."""
    out = []
    for g in grants:
        who = (
            person_label(db, principal, unit, g.grantee_person_id)
            if g.grantee_type == "person"
            else grantee_label(db, g)
        )
        item = db.get(Item, g.item_id) if g.item_id else None
        out.append(
            {
                "id": g.id,
                "grantee_type": g.grantee_type,
                "grantee": who,
                "scope": g.scope,
                "what": item.reference if item else (g.compartment or g.level),
                "item_id": g.item_id,
                "purpose": g.purpose,
                "status": g.status,
                "start": g.valid_from,
                "end": g.valid_to - dt.timedelta(days=1) if g.valid_to else None,
                "known_from": g.known_from,
                "approvals": sum(a.decision == "approve" for a in g.approvals),
                "approvals_required": g.approvals_required,
            }
        )
    return out


def _search_terms(item: Item) -> list[str]:
    """For each location, its longest literal folder or file name: every object the location
    matches contains it (lower case), so the event store can be narrowed cheaply first."""
    terms = []
    for loc in item.locations:
        words = [
            w
            for part in loc.normalised.split("*")
            for w in part.split("/")
            if w and not w.endswith(":")
        ]
        if words:
            terms.append(max(words, key=len))
    return terms


def recent_access(
    db: Session, unit: Unit, item: Item, events_dir: Path | None = None
) -> list[dict[str, Any]]:
    """The latest accesses to ``item`` in the unit's event store."""
    root = events_dir or get_settings().events_dir
    files = list((root / f"unit={unit.code}").glob("day=*/*.parquet"))
    terms = _search_terms(item)
    if not files or not terms:
        return []
    con = duckdb.connect()
    try:
        glob = str(root / f"unit={unit.code}" / "day=*" / "*.parquet")

        def lit(text: str) -> str:
            return "'" + text.replace("'", "''") + "'"

        where = " OR ".join(f"contains(lower(object), {lit(t)})" for t in terms)
        con.execute(
            f"CREATE TEMP VIEW events AS SELECT * FROM read_parquet({lit(glob)}, "
            f"hive_partitioning = false, union_by_name = true) WHERE {where}"
        )
        rel = event_items(con, unit.code, session=db).filter(f"item_id = {int(item.id)}")
        rows = rel.order("local_date DESC, event_id").limit(RECENT).fetchall()
        cols = rel.columns
    finally:
        con.close()
    return [dict(zip(cols, r, strict=True)) for r in rows]


@router.get("/units/{unit_id}/register", response_class=HTMLResponse)
def register_list(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("register.view")],
    level: str = "",
    status: str = "",
    q: str = "",
) -> HTMLResponse:
    u = unit_row(db, unit_id)
    items = reg.list_items(db, unit=u, level=level or None, status=status or None, text=q or None)
    late = reg.overdue(db, unit=u) if can(principal, "register.manage", unit_id) else []
    depts = dict(
        db.execute(select(OrgNode.id, OrgNode.name).where(OrgNode.unit_id == unit_id)).all()
    )
    return render(
        request,
        "register/list.html",
        {
            "items": items,
            "levels": list(u.classification_levels),
            "statuses": ITEM_STATUSES,
            "level": level,
            "status": status,
            "q": q,
            "depts": depts,
            "overdue": [
                {
                    "item": o.item,
                    "who": person_label(db, principal, u, o.person.id),
                    "due": o.checkout.due_on,
                    "days": o.days_late,
                }
                for o in late
            ],
        },
    )


def import_page(
    request: Request,
    kind: str,
    *,
    report: Any = None,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """The upload form of one CSV import and, after an upload, its per-line result."""
    required, optional = KINDS[kind]
    response = render(
        request,
        "register/import.html",
        {
            "kind": kind,
            "title": IMPORT_TITLES[kind],
            "required": required,
            "optional": optional,
            "report": report,
            "counts": report.counts() if report is not None else None,
            "rows": report_rows(report) if report is not None else [],
            "error": error,
            "with_known_from": kind in ("grants", "hosts"),
        },
    )
    response.status_code = status_code
    return response


async def handle_upload(
    request: Request,
    db: Session,
    unit_id: int,
    kind: str,
    file: UploadFile | None,
    known_from: str,
) -> HTMLResponse:
    """Import an uploaded CSV with the CLI's service; a refused file is shown with its reason
    and imports nothing, refused rows are listed by line."""
    data = await file.read(MAX_UPLOAD_BYTES + 1) if file is not None else b""
    try:
        day = dt.date.fromisoformat(known_from) if known_from.strip() else None
    except ValueError:
        return import_page(
            request, kind, error=f"known from: not a date ({known_from})", status_code=422
        )
    try:
        with db.begin_nested():
            report = import_upload(
                db,
                unit=unit_row(db, unit_id),
                kind=kind,
                filename=file.filename if file is not None else None,
                data=data,
                known_from=day,
            )
    except KeyguardError as exc:
        return import_page(request, kind, error=str(exc), status_code=422)
    return import_page(request, kind, report=report)


@router.get("/units/{unit_id}/register/import", response_class=HTMLResponse)
def register_import_form(
    request: Request,
    unit_id: int,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("register.manage")],
) -> HTMLResponse:
    return import_page(request, "register")


@router.post("/units/{unit_id}/register/import", response_class=HTMLResponse)
async def register_import(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("register.manage")],
    file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    return await handle_upload(request, db, unit_id, "register", file, "")


@router.get("/units/{unit_id}/register/{item_id}", response_class=HTMLResponse)
def register_item(
    request: Request,
    unit_id: int,
    item_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("register.view")],
    error: str = "",
) -> HTMLResponse:
    u = unit_row(db, unit_id)
    item = reg.get_item(db, unit_id=unit_id, item_id=item_id)
    grants = list(db.scalars(select(Grant).where(Grant.item_id == item.id).order_by(Grant.id)))
    access = recent_access(db, u, item)
    audit.record(
        db,
        "view",
        "register_access",
        item.id,
        {"reference": item.reference, "shown": len(access)},
        unit_id=unit_id,
    )
    checkouts = list(
        db.scalars(
            select(CheckOut)
            .where(CheckOut.item_id == item.id)
            .order_by(CheckOut.checked_out_at.desc())
        )
    )
    people = []
    if can(principal, "register.manage", unit_id):
        people = [
            (p.id, f"{p.full_name} ({p.staff_id})")
            for p in db.scalars(
                select(Person)
                .where(Person.unit_id == unit_id, Person.status != "left")
                .order_by(Person.full_name)
                .limit(2000)
            )
        ]
    return render(
        request,
        "register/item.html",
        {
            "item": item,
            "grants": grant_rows(db, principal, u, grants),
            "access": [dict(a, who=user_label(principal, u, a["source_user"])) for a in access],
            "owner": person_label(db, principal, u, item.owner_id),
            "custodian": person_label(db, principal, u, item.custodian_id),
            "checkouts": [
                {"c": c, "who": person_label(db, principal, u, c.person_id)} for c in checkouts
            ],
            "disposals": [
                {
                    "d": d,
                    "w1": person_label(db, principal, u, d.witness1_id),
                    "w2": person_label(db, principal, u, d.witness2_id),
                }
                for d in reg.disposals(db, item=item)
            ],
            "people": people,
            "levels_below": [
                lv
                for lv in u.classification_levels
                if list(u.classification_levels).index(lv)
                < list(u.classification_levels).index(item.level)
            ]
            if item.level in u.classification_levels
            else [],
            "error": error,
            "today": local_today(u),
        },
    )


@router.post("/units/{unit_id}/register/{item_id}/checkout")
def register_checkout(
    request: Request,
    unit_id: int,
    item_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("register.manage")],
    person_id: Annotated[int, Form()],
    due_on: Annotated[str, Form()],
    purpose: Annotated[str, Form()] = "",
) -> Response:
    item = reg.get_item(db, unit_id=unit_id, item_id=item_id, view=False)
    person = db.get(Person, person_id)
    try:
        if person is None or person.unit_id != unit_id:
            raise KeyguardError("choose a person of this unit")
        with db.begin_nested():
            reg.check_out(
                db, item=item, person=person, due_on=dt.date.fromisoformat(due_on), purpose=purpose
            )
    except (KeyguardError, ValueError) as exc:
        return register_item(request, unit_id, item_id, db, unit, principal, error=str(exc))
    return RedirectResponse(f"/units/{unit_id}/register/{item_id}?notice={CHECKED_OUT}", 303)


@router.post("/units/{unit_id}/register/{item_id}/checkouts/{checkout_id}/return")
def register_return(
    unit_id: int,
    item_id: int,
    checkout_id: int,
    db: DbSession,
    principal: Annotated[Principal, require("register.manage")],
) -> Response:
    co = db.get(CheckOut, checkout_id)
    if co is None or co.unit_id != unit_id or co.item_id != item_id:
        raise NotFound("no such check-out")
    reg.return_item(db, checkout=co)
    return RedirectResponse(f"/units/{unit_id}/register/{item_id}?notice={RETURNED}", 303)


def _witness(db: Session, unit_id: int, person_id: int) -> Person:
    person = db.get(Person, person_id)
    if person is None or person.unit_id != unit_id:
        raise KeyguardError("choose witnesses of this unit")
    return person


@router.post("/units/{unit_id}/register/{item_id}/destroy")
def register_destroy(
    request: Request,
    unit_id: int,
    item_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("register.manage")],
    on_day: Annotated[str, Form()],
    witness1_id: Annotated[int, Form()],
    witness2_id: Annotated[int, Form()],
    method: Annotated[str, Form()] = "",
) -> Response:
    """Record the destruction of an item with the two people who witnessed it."""
    item = reg.get_item(db, unit_id=unit_id, item_id=item_id, view=False)
    try:
        with db.begin_nested():
            reg.record_destruction(
                db,
                item=item,
                on_day=dt.date.fromisoformat(on_day),
                witness1=_witness(db, unit_id, witness1_id),
                witness2=_witness(db, unit_id, witness2_id),
                method=method,
            )
    except (KeyguardError, ValueError) as exc:
        return register_item(request, unit_id, item_id, db, unit, principal, error=str(exc))
    return RedirectResponse(f"/units/{unit_id}/register/{item_id}?notice={DESTROYED}", 303)


@router.post("/units/{unit_id}/register/{item_id}/downgrade")
def register_downgrade(
    request: Request,
    unit_id: int,
    item_id: int,
    db: DbSession,
    unit: ActiveUnit,
    principal: Annotated[Principal, require("register.manage")],
    to_level: Annotated[str, Form()],
    on_day: Annotated[str, Form()],
    witness1_id: Annotated[int, Form()],
    witness2_id: Annotated[int, Form()],
    method: Annotated[str, Form()] = "",
) -> Response:
    """Record a downgrade of an item's level with the two people who witnessed it."""
    item = reg.get_item(db, unit_id=unit_id, item_id=item_id, view=False)
    try:
        with db.begin_nested():
            reg.record_downgrade(
                db,
                item=item,
                to_level=to_level,
                on_day=dt.date.fromisoformat(on_day),
                witness1=_witness(db, unit_id, witness1_id),
                witness2=_witness(db, unit_id, witness2_id),
                method=method,
            )
    except (KeyguardError, ValueError) as exc:
        return register_item(request, unit_id, item_id, db, unit, principal, error=str(exc))
    return RedirectResponse(f"/units/{unit_id}/register/{item_id}?notice={DOWNGRADED}", 303)
