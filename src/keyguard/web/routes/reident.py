"""Re-identification: ask to see who a case is about (with a written purpose), the queue of
requests waiting for a second person, and approve, refuse, revoke or withdraw. A refusal
of the two-person rule is shown with its reason on the page the control was on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from keyguard.cases import reident, service, views
from keyguard.config import utcnow
from keyguard.errors import KeyguardError, NotFound
from keyguard.identity.models import Account
from keyguard.identity.permissions import Principal
from keyguard.privacy import reid
from keyguard.privacy.models import ReidentRequest
from keyguard.records.org.models import Unit
from keyguard.web.auth import safe_next
from keyguard.web.deps import (
    ActiveUnit,
    CurrentAccount,
    DbSession,
    UnitInfo,
    notice,
    render,
    require,
)
from keyguard.web.i18n import lazy_gettext
from keyguard.web.routes.cases import _error, detail_page

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("Re-identification"),
        "path": "/units/{unit_id}/reident",
        "permission": "reident.approve",
        "order": 46,
    }
]

REQUESTED = notice("reident_requested", lazy_gettext("Your request waits for a second person."))
DECIDED = notice("reident_decided", lazy_gettext("The decision was recorded."))

Requester = Annotated[Principal, require("reident.request")]
Approver = Annotated[Principal, require("reident.approve")]


def _unit(db: Session, info: UnitInfo) -> Unit:
    unit = db.get(Unit, info.id)
    if unit is None:
        raise NotFound("no such unit")
    return unit


def queue_page(
    request: Request,
    db: Session,
    account: Account,
    unit: Unit,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = utcnow()
    rows = [
        views.request_row(db, r, now, account)
        for r in reid.open_requests(db, unit_id=unit.id)
        if r.state(now) != "expired"
    ]
    return render(
        request, "reident/queue.html", {"requests": rows, "error": error}, status_code=status_code
    )


@router.get("/units/{unit_id}/reident")
def queue(
    request: Request,
    unit_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Approver,
    account: CurrentAccount,
) -> HTMLResponse:
    return queue_page(request, db, account, _unit(db, info))


@router.post("/units/{unit_id}/cases/{case_id}/reident")
def ask(
    request: Request,
    unit_id: int,
    case_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Requester,
    account: CurrentAccount,
    purpose: Annotated[str, Form()] = "",
    hours: Annotated[str, Form()] = "",
) -> Response:
    unit = _unit(db, info)
    case = service.get_case(db, unit=unit, case_id=case_id, viewer_person_id=principal.person_id)
    try:
        n = int(hours) if hours.strip() else reid.DEFAULT_HOURS
        reident.request(db, case=case, account=account, purpose=purpose, hours=n)
    except (KeyguardError, ValueError) as exc:
        db.rollback()
        case = service.get_case(
            db, unit=unit, case_id=case_id, viewer_person_id=principal.person_id
        )
        return detail_page(
            request, db, principal, account, unit, case, error=_error(request, exc), status_code=400
        )
    return RedirectResponse(f"/units/{unit_id}/cases/{case_id}?notice={REQUESTED}", status_code=303)


def _decide(
    request: Request,
    db: Session,
    principal: Principal,
    account: Account,
    info: UnitInfo,
    request_id: int,
    nxt: str,
    fn: Callable[[ReidentRequest], object],
) -> Response:
    unit = _unit(db, info)
    req: ReidentRequest = reid.get_request(db, unit_id=unit.id, request_id=request_id)
    target = safe_next(nxt, f"/units/{unit.id}/reident")
    try:
        fn(req)
    except KeyguardError as exc:
        db.rollback()
        message = _error(request, exc)
        case_id = int(req.scope_id) if req.scope_kind == reident.SCOPE else None
        if case_id is not None and target.startswith(f"/units/{unit.id}/cases/"):
            case = service.get_case(
                db, unit=unit, case_id=case_id, viewer_person_id=principal.person_id
            )
            return detail_page(
                request, db, principal, account, unit, case, error=message, status_code=400
            )
        return queue_page(request, db, account, unit, error=message, status_code=400)
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}notice={DECIDED}", status_code=303)


def _decision_route(action: str, decide: Callable[..., object]) -> Callable[..., Response]:
    """The POST route of a second person's decision (``approve`` or ``refuse``) with a note;
    both take the same form and differ only in the service function they call."""

    def route(
        request: Request,
        unit_id: int,
        request_id: int,
        db: DbSession,
        info: ActiveUnit,
        principal: Approver,
        account: CurrentAccount,
        note: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "",
    ) -> Response:
        return _decide(
            request,
            db,
            principal,
            account,
            info,
            request_id,
            next,
            lambda req: decide(db, req=req, account=account, note=note),
        )

    route.__name__ = route.__qualname__ = action
    return router.post(f"/units/{{unit_id}}/reident/{{request_id}}/{action}")(route)


approve = _decision_route("approve", reident.approve)
refuse = _decision_route("refuse", reident.refuse)


@router.post("/units/{unit_id}/reident/{request_id}/revoke")
def revoke(
    request: Request,
    unit_id: int,
    request_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Requester,
    account: CurrentAccount,
    reason: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    return _decide(
        request,
        db,
        principal,
        account,
        info,
        request_id,
        next,
        lambda req: reident.revoke(db, req=req, account=account, reason=reason),
    )


@router.post("/units/{unit_id}/reident/{request_id}/withdraw")
def withdraw(
    request: Request,
    unit_id: int,
    request_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Requester,
    account: CurrentAccount,
    next: Annotated[str, Form()] = "",
) -> Response:
    return _decide(
        request,
        db,
        principal,
        account,
        info,
        request_id,
        next,
        lambda req: reident.withdraw(db, req=req, account=account),
    )
