"""Administration of accounts and roles (``accounts.manage``).

Create accounts, assign and revoke roles, deactivate, reset passwords and two-factor
sign-in. Every account records who created it and every role who granted it
(``created_by_id``, ``granted_by_id``), which the two-person rules rely on.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from keyguard.errors import RuleViolation
from keyguard.identity import service as identity
from keyguard.identity import totp
from keyguard.identity.models import Account
from keyguard.identity.permissions import role_book
from keyguard.records.org.models import Person, SupervisingBody, Unit
from keyguard.web import i18n
from keyguard.web.deps import CurrentAccount, DbSession, notice, render, request_language, require
from keyguard.web.i18n import N_, lazy_gettext

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("Accounts"),
        "path": "/admin/accounts",
        "permission": "accounts.manage",
        "order": 70,
    },
    {
        "label": lazy_gettext("Roles"),
        "path": "/admin/roles",
        "permission": "accounts.manage",
        "order": 71,
    },
]

WIDE_ROLES = identity.WIDE_ROLES

ROLE_ASSIGNED = notice("role_assigned", lazy_gettext("The role was given."))
ROLE_REVOKED = notice("role_revoked", lazy_gettext("The role was taken away."))
ACCOUNT_SAVED = notice("account_saved", lazy_gettext("The account was saved."))
TOTP_RESET = notice("totp_reset", lazy_gettext("Two-factor sign-in was reset."))

SERVICE_MESSAGES = (
    N_("you cannot deactivate your own account"),
    N_("choose a unit for this role"),
    N_("admin and supervisor roles apply to the whole installation: leave the unit empty"),
    N_("a supervisor account needs a supervising body"),
    N_("no person with this staff id in the chosen unit"),
)

#: Labels and descriptions of ``library/roles.yaml``, for the catalogues.
ROLE_TEXTS = (
    N_("Security officer"),
    N_("Department head"),
    N_("Analyst / investigator"),
    N_("Employee"),
    N_("Supervisor (supervising body)"),
    N_("Auditor"),
    N_("Administrator"),
    N_("Runs the unit's program — duties, training, register, alerts, cases, reports."),
    N_("Signs the duties of their level; reviews their people's access and training."),
    N_("Triages pseudonymised alerts, opens cases, asks to re-identify."),
    N_("Takes training, signs attestations, files reportable events."),
    N_("Sees supervised units' scorecards, publishes guidance, issues rectification orders."),
    N_("Read-only; verifies the audit chain and the evidence of duties done."),
    N_("Accounts, roles, connectors, retention."),
)

Manager = Annotated[Any, require("accounts.manage")]


def _target(db: Session, account_id: int) -> Account:
    account = db.get(Account, account_id)
    if account is None:
        raise HTTPException(404, "no such account")
    return account


def _units(db: Session) -> list[Unit]:
    return list(db.scalars(select(Unit).order_by(Unit.code)))


def _error(request: Request, exc: Exception) -> str:
    ctx = getattr(request.state, "keyguard", None)
    with i18n.language_scope(request_language(request, ctx)):
        return i18n.gettext(str(exc))


def role_options() -> list[tuple[str, Any]]:
    return [(name, lazy_gettext(role.label)) for name, role in role_book().roles.items()]


def accounts_overview(db: Session) -> list[dict[str, Any]]:
    units = {u.id: u.name for u in _units(db)}
    book = role_book()
    return [
        {
            "account": a,
            "unit": units.get(a.unit_id) if a.unit_id else None,
            "roles": [
                (
                    lazy_gettext(book.roles[r.role].label) if r.role in book.roles else r.role,
                    units.get(r.unit_id) if r.unit_id else None,
                )
                for r in a.roles
            ],
        }
        for a in identity.list_accounts(db)
    ]


@router.get("/admin/accounts")
def accounts(request: Request, db: DbSession, _m: Manager) -> HTMLResponse:
    return render(request, "admin/accounts.html", {"rows": accounts_overview(db)})


def _new_form(
    request: Request,
    db: Session,
    *,
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    bodies = db.scalars(select(SupervisingBody).order_by(SupervisingBody.code))
    return render(
        request,
        "admin/new_account.html",
        {
            "role_options": role_options(),
            "unit_options": [(u.id, u.name) for u in _units(db)],
            "body_options": [(b.id, b.name) for b in bodies],
            "error": error,
            "values": values or {},
        },
        status_code=status,
    )


@router.get("/admin/accounts/new")
def new_account_form(request: Request, db: DbSession, _m: Manager) -> HTMLResponse:
    return _new_form(request, db)


@router.post("/admin/accounts")
def create_account(
    request: Request,
    db: DbSession,
    _m: Manager,
    me: CurrentAccount,
    email: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "employee",
    unit_id: Annotated[str, Form()] = "",
    staff_id: Annotated[str, Form()] = "",
    supervising_body_id: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "en",
) -> Response:
    values = {
        "email": email,
        "display_name": display_name,
        "role": role,
        "unit_id": unit_id,
        "staff_id": staff_id,
        "supervising_body_id": supervising_body_id,
        "language": language,
    }
    unit = int(unit_id) if unit_id.isdigit() else None
    body = int(supervising_body_id) if supervising_body_id.isdigit() else None
    password = identity.generate_password()
    try:
        person_id = None
        if staff_id.strip():
            person_id = db.scalar(
                select(Person.id).where(Person.unit_id == unit, Person.staff_id == staff_id.strip())
            )
            if person_id is None:
                raise RuleViolation("no person with this staff id in the chosen unit")
        identity.check_role_scope(role, None if role in WIDE_ROLES else unit, body)
        if language not in i18n.LANGUAGES:
            language = i18n.DEFAULT
        account = identity.create_account(
            db,
            email=email,
            password=password,
            display_name=display_name.strip() or None,
            unit_id=unit,
            person_id=person_id,
            created_by=me,
            language=language,
            supervising_body_id=body,
            roles=[(role, None if role in WIDE_ROLES else unit)],
        )
    except RuleViolation as exc:
        return _new_form(request, db, error=_error(request, exc), values=values, status=400)
    return account_detail_page(request, db, account, new_password=password)


def account_detail_page(
    request: Request, db: Session, account: Account, **extra: Any
) -> HTMLResponse:
    units = _units(db)
    names = {u.id: u.name for u in units}
    book = role_book()
    context = {
        "target": account,
        "role_options": role_options(),
        "unit_options": [(u.id, u.name) for u in units],
        "held": [
            {
                "role": r.role,
                "label": lazy_gettext(book.roles[r.role].label) if r.role in book.roles else r.role,
                "unit_id": r.unit_id,
                "unit": names.get(r.unit_id) if r.unit_id is not None else None,
            }
            for r in account.roles
        ],
        "created_by": db.get(Account, account.created_by_id) if account.created_by_id else None,
        "error": None,
        "new_password": None,
    }
    context.update(extra)
    return render(
        request, "admin/account.html", context, status_code=400 if extra.get("error") else 200
    )


@router.get("/admin/accounts/{account_id}")
def account_detail(request: Request, db: DbSession, _m: Manager, account_id: int) -> HTMLResponse:
    return account_detail_page(request, db, _target(db, account_id))


@router.post("/admin/accounts/{account_id}/roles")
def assign_role(
    request: Request,
    db: DbSession,
    _m: Manager,
    me: CurrentAccount,
    account_id: int,
    role: Annotated[str, Form()],
    unit_id: Annotated[str, Form()] = "",
) -> Response:
    account = _target(db, account_id)
    unit = int(unit_id) if unit_id.isdigit() else None
    try:
        identity.check_role_scope(role, unit, account.supervising_body_id)
        identity.assign_role(db, account=account, role=role, unit_id=unit, granted_by=me)
    except RuleViolation as exc:
        return account_detail_page(request, db, account, error=_error(request, exc))
    return RedirectResponse(f"/admin/accounts/{account.id}?notice={ROLE_ASSIGNED}", status_code=303)


@router.post("/admin/accounts/{account_id}/roles/revoke")
def revoke_role(
    db: DbSession,
    _m: Manager,
    account_id: int,
    role: Annotated[str, Form()],
    unit_id: Annotated[str, Form()] = "",
) -> Response:
    account = _target(db, account_id)
    identity.revoke_role(
        db, account=account, role=role, unit_id=int(unit_id) if unit_id.isdigit() else None
    )
    return RedirectResponse(f"/admin/accounts/{account.id}?notice={ROLE_REVOKED}", status_code=303)


@router.post("/admin/accounts/{account_id}/active")
def set_active(
    request: Request,
    db: DbSession,
    _m: Manager,
    me: CurrentAccount,
    account_id: int,
    active: Annotated[str, Form()],
) -> Response:
    account = _target(db, account_id)
    try:
        identity.set_active(db, account=account, by=me, active=active == "true")
    except RuleViolation as exc:
        return account_detail_page(request, db, account, error=_error(request, exc))
    return RedirectResponse(f"/admin/accounts/{account.id}?notice={ACCOUNT_SAVED}", status_code=303)


@router.post("/admin/accounts/{account_id}/password")
def reset_password(
    request: Request, db: DbSession, _m: Manager, me: CurrentAccount, account_id: int
) -> Response:
    account = _target(db, account_id)
    password = identity.generate_password()
    identity.reset_password(db, account=account, by=me, new=password)
    return account_detail_page(request, db, account, new_password=password)


@router.post("/admin/accounts/{account_id}/totp-reset")
def reset_totp(db: DbSession, _m: Manager, me: CurrentAccount, account_id: int) -> Response:
    account = _target(db, account_id)
    totp.reset(db, account, by=me)
    return RedirectResponse(f"/admin/accounts/{account.id}?notice={TOTP_RESET}", status_code=303)


@router.get("/admin/roles")
def roles(request: Request, _m: Manager) -> HTMLResponse:
    book = role_book()
    return render(
        request, "admin/roles.html", {"roles": book.roles, "permissions": book.permissions}
    )
