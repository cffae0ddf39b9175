"""Cases: the list, the triage queue (bulk dismissal with a reason, escalation to a case),
triage metrics, one case with its timeline, evidence and actions (assign, status, link an
alert or finding, attach events, notes, files, close with an outcome, refresher, legal
hold, rectification actions), its files and its report as HTML and PDF.

People are pseudonyms unless the viewer holds an approved re-identification for the case
(see ``reident``); every look at a case is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from keyguard.cases import rectification as rect
from keyguard.cases import report, service, triage, views
from keyguard.cases.models import Case
from keyguard.errors import KeyguardError, NotFound, RuleViolation
from keyguard.identity.models import Account
from keyguard.identity.permissions import Principal, can
from keyguard.records.education.service import list_courses
from keyguard.records.org.models import Person, Unit
from keyguard.records.register.common import person_by_staff_id
from keyguard.web import i18n
from keyguard.web.deps import (
    ActiveUnit,
    CurrentAccount,
    DashboardCard,
    DbSession,
    UnitInfo,
    notice,
    render,
    request_language,
    require,
)
from keyguard.web.i18n import lazy_gettext

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("Cases"),
        "path": "/units/{unit_id}/cases",
        "permission": "cases.view",
        "order": 45,
    },
]

OUTCOME_LABELS = {
    "no_concern": lazy_gettext("No concern"),
    "policy_violation": lazy_gettext("Policy violation"),
    "referred": lazy_gettext("Referred"),
    "closed": lazy_gettext("Closed without a finding"),
}
OPENED = notice("case_opened", lazy_gettext("The case was opened."))
SAVED = notice("case_saved", lazy_gettext("The case was updated."))
CLOSED = notice("case_closed", lazy_gettext("The case was closed."))
DISMISSED = notice("alerts_dismissed", lazy_gettext("The alerts were dismissed."))

#: The report is a standalone document with its own inline styles and no script at all.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)

Viewer = Annotated[Principal, require("cases.view")]
Manager = Annotated[Principal, require("cases.manage")]
Triager = Annotated[Principal, require("alerts.triage")]
Keeper = Annotated[Principal, require("retention.manage")]


def _unit(db: Session, info: UnitInfo) -> Unit:
    unit = db.get(Unit, info.id)
    if unit is None:
        raise NotFound("no such unit")
    return unit


def _case(db: Session, unit: Unit, principal: Principal, case_id: int) -> Case:
    return service.get_case(db, unit=unit, case_id=case_id, viewer_person_id=principal.person_id)


def _error(request: Request, exc: Exception) -> str:
    ctx = getattr(request.state, "keyguard", None)
    with i18n.language_scope(request_language(request, ctx)):
        return i18n.gettext(str(exc))


def card_data(db: Session, info: UnitInfo, principal: Principal) -> dict[str, Any]:
    """Open cases, alerts waiting for triage and overdue actions (dashboard card and API)."""
    return triage.dashboard(db, unit_id=info.id, viewer_person_id=principal.person_id)


DASHBOARD_CARDS = [
    DashboardCard(
        key="cases",
        title=lazy_gettext("Cases"),
        template="cases/_dashboard_card.html",
        data=card_data,
        permission="cases.view",
        order=45,
    )
]


@router.get("/units/{unit_id}/cases")
def cases_page(
    request: Request,
    unit_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Viewer,
    status: str = "active",
) -> HTMLResponse:
    unit = _unit(db, info)
    rows = service.list_cases(
        db, unit=unit, status=status or None, viewer_person_id=principal.person_id
    )
    return render(
        request,
        "cases/list.html",
        {
            "cases": [views.case_row(db, c) for c in rows],
            "status": status,
            "outcomes": OUTCOME_LABELS,
        },
    )


@router.post("/units/{unit_id}/cases")
def open_case(
    request: Request,
    unit_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    account: CurrentAccount,
    kind: Annotated[str, Form()] = "alert",
    ref: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
) -> Response:
    unit = _unit(db, info)
    try:
        case = service.open_case(
            db, unit=unit, kind=kind, ref=ref.strip(), title=title or None, assignee=account
        )
    except RuleViolation as exc:
        db.rollback()
        return render(
            request, "error.html", {"status": 400, "message": _error(request, exc)}, status_code=400
        )
    return RedirectResponse(f"/units/{unit_id}/cases/{case.id}?notice={OPENED}", status_code=303)


@router.get("/units/{unit_id}/cases/triage")
def triage_page(
    request: Request,
    unit_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Triager,
    policy: str = "",
    error: str | None = None,
) -> HTMLResponse:
    rows = triage.queue_rows(db, unit_id=info.id, policy_id=policy or None)
    return render(
        request,
        "cases/triage.html",
        {"alerts": rows, "policy": policy, "error": error},
        status_code=400 if error else 200,
    )


@router.post("/units/{unit_id}/cases/triage/dismiss")
async def dismiss(
    request: Request, unit_id: int, db: DbSession, info: ActiveUnit, principal: Triager
) -> Response:
    form = await request.form()
    ids = [str(v) for v in form.getlist("alert")]
    reason = str(form.get("reason") or "")
    try:
        triage.dismiss_alerts(db, unit_id=info.id, alert_ids=ids, reason=reason)
    except KeyguardError as exc:
        db.rollback()
        return triage_page(request, unit_id, db, info, principal, error=_error(request, exc))
    return RedirectResponse(f"/units/{unit_id}/cases/triage?notice={DISMISSED}", status_code=303)


@router.get("/units/{unit_id}/cases/metrics")
def metrics_page(
    request: Request, unit_id: int, db: DbSession, info: ActiveUnit, principal: Viewer
) -> HTMLResponse:
    return render(request, "cases/metrics.html", {"m": triage.metrics(db, unit_id=info.id)})


def detail_page(
    request: Request,
    db: Session,
    principal: Principal,
    account: Account,
    unit: Unit,
    case: Case,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = views.case_view(
        db, unit=unit, case=case, account=account, names=can(principal, "people.identify", unit.id)
    )
    return render(
        request,
        "cases/detail.html",
        {
            "c": view,
            "error": error,
            "outcomes": OUTCOME_LABELS,
            "investigators": [(a.id, a.display_name) for a in service.investigators(db, unit=unit)],
            "courses": [
                (c.urn, c.title) for c in list_courses(db, unit_id=unit.id) if c.kind == "course"
            ],
            "today": service.local_day(unit).isoformat(),
        },
        status_code=status_code,
    )


@router.get("/units/{unit_id}/cases/{case_id}")
def case_page(
    request: Request,
    unit_id: int,
    case_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Viewer,
    account: CurrentAccount,
) -> HTMLResponse:
    unit = _unit(db, info)
    return detail_page(request, db, principal, account, unit, _case(db, unit, principal, case_id))


def _act(
    request: Request,
    db: Session,
    principal: Principal,
    account: Account,
    info: UnitInfo,
    case_id: int,
    fn: Callable[[Case, Unit], Any],
    done: str = SAVED,
) -> Response:
    unit = _unit(db, info)
    case = _case(db, unit, principal, case_id)
    try:
        fn(case, unit)
    except KeyguardError as exc:
        db.rollback()
        return detail_page(
            request,
            db,
            principal,
            account,
            unit,
            _case(db, unit, principal, case_id),
            error=_error(request, exc),
            status_code=400,
        )
    return RedirectResponse(f"/units/{unit.id}/cases/{case_id}?notice={done}", status_code=303)


@router.post("/units/{unit_id}/cases/{case_id}/assign")
def assign(
    request: Request,
    unit_id: int,
    case_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    account: CurrentAccount,
    account_id: Annotated[str, Form()] = "",
) -> Response:
    def run(case: Case, unit: Unit) -> None:
        target = db.get(Account, int(account_id)) if account_id.isdigit() else None
        if account_id and target is None:
            raise NotFound("no such account")
        service.assign(db, case=case, account=target)

    return _act(request, db, principal, account, info, case_id, run)


@router.post("/units/{unit_id}/cases/{case_id}/status")
def status(
    request: Request,
    unit_id: int,
    case_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    account: CurrentAccount,
    value: Annotated[str, Form()] = "",
) -> Response:
    return _act(
        request,
        db,
        principal,
        account,
        info,
        case_id,
        lambda case, unit: service.set_status(db, case=case, status=value),
    )


@router.post("/units/{unit_id}/cases/{case_id}/link")
def link(
    request: Request,
    unit_id: int,
    case_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    account: CurrentAccount,
    kind: Annotated[str, Form()] = "alert",
    ref: Annotated[str, Form()] = "",
) -> Response:
    return _act(
        request,
        db,
        principal,
        account,
        info,
        case_id,
        lambda case, unit: service.link_subject(db, case=case, kind=kind, ref=ref.strip()),
    )


@router.post("/units/{unit_id}/cases/{case_id}/events")
def attach(
    request: Request,
    unit_id: int,
    case_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    account: CurrentAccount,
    events: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    return _act(
        request,
        db,
        principal,
        account,
        info,
        case_id,
        lambda case, unit: service.attach_events(
            db, case=case, events=service.parse_event_refs(events.splitlines()), note=note
        ),
    )


@router.post("/units/{unit_id}/cases/{case_id}/notes")
def add_note(
    request: Request,
    unit_id: int,
    case_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    account: CurrentAccount,
    text: Annotated[str, Form()] = "",
) -> Response:
    return _act(
        request,
        db,
        principal,
        account,
        info,
        case_id,
        lambda case, unit: service.add_note(db, case=case, text=text),
    )


@router.post("/units/{unit_id}/cases/{case_id}/files")
async def add_file(
    request: Request,
    unit_id: int,
    case_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    account: CurrentAccount,
    file: Annotated[UploadFile | None, File()] = None,
    text: Annotated[str, Form()] = "",
) -> Response:
    data = await file.read(service.MAX_FILE_BYTES + 1) if file is not None else b""
    name = (file.filename or "") if file is not None else ""
    kind = file.content_type if file is not None else None
    return _act(
        request,
        db,
        principal,
        account,
        info,
        case_id,
        lambda case, unit: service.add_file(
            db, case=case, name=name, data=data, content_type=kind, text=text
        ),
    )


@router.get("/units/{unit_id}/cases/{case_id}/files/{evidence_id}")
def get_file(
    unit_id: int, case_id: int, evidence_id: int, db: DbSession, info: ActiveUnit, principal: Viewer
) -> Response:
    unit = _unit(db, info)
    ev, data = service.read_file(
        db, case=_case(db, unit, principal, case_id), evidence_id=evidence_id
    )
    name = (ev.file_name or "file").replace('"', "")
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.post("/units/{unit_id}/cases/{case_id}/close")
def close(
    request: Request,
    unit_id: int,
    case_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    account: CurrentAccount,
    outcome: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    return _act(
        request,
        db,
        principal,
        account,
        info,
        case_id,
        lambda case, unit: service.close_case(db, case=case, outcome=outcome, note=note),
        CLOSED,
    )


@router.post("/units/{unit_id}/cases/{case_id}/refresher")
def refresher(
    request: Request,
    unit_id: int,
    case_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    account: CurrentAccount,
    course: Annotated[str, Form()] = "",
) -> Response:
    return _act(
        request,
        db,
        principal,
        account,
        info,
        case_id,
        lambda case, unit: service.assign_case_refresher(db, case=case, course_urn=course),
    )


@router.post("/units/{unit_id}/cases/{case_id}/legal-hold")
def legal_hold(
    request: Request,
    unit_id: int,
    case_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Keeper,
    account: CurrentAccount,
    on: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    return _act(
        request,
        db,
        principal,
        account,
        info,
        case_id,
        lambda case, unit: service.set_legal_hold(db, case=case, on=on == "1", reason=reason),
    )


def _person(db: Session, unit: Unit, staff_id: str) -> Person | None:
    return person_by_staff_id(db, unit.id, staff_id.strip()) if staff_id.strip() else None


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise RuleViolation(f"{value!r} is not a date (YYYY-MM-DD)") from None


@router.post("/units/{unit_id}/cases/{case_id}/actions")
def add_action(
    request: Request,
    unit_id: int,
    case_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Manager,
    account: CurrentAccount,
    title: Annotated[str, Form()] = "",
    owner: Annotated[str, Form()] = "",
    due_on: Annotated[str, Form()] = "",
    finding_id: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    return _act(
        request,
        db,
        principal,
        account,
        info,
        case_id,
        lambda case, unit: rect.create_action(
            db,
            unit=unit,
            title=title,
            owner=_person(db, unit, owner),
            due_on=_day(due_on),
            case=case,
            finding_id=finding_id.strip() or None,
            description=description,
        ),
    )


def _report(
    db: Session, info: UnitInfo, principal: Principal, account: Account, case_id: int, fmt: str
) -> tuple[Case, bytes]:
    """The case's report in ``fmt`` (html or pdf), names only for ``people.identify``."""
    unit = _unit(db, info)
    case = _case(db, unit, principal, case_id)
    names = can(principal, "people.identify", unit.id)
    return case, report.report(db, unit=unit, case=case, account=account, fmt=fmt, names=names)


@router.get("/units/{unit_id}/cases/{case_id}/report")
def report_html(
    unit_id: int,
    case_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Viewer,
    account: CurrentAccount,
) -> Response:
    _c, body = _report(db, info, principal, account, case_id, "html")
    return HTMLResponse(body.decode("utf-8"), headers={"content-security-policy": REPORT_CSP})


@router.get("/units/{unit_id}/cases/{case_id}/report.pdf")
def report_pdf(
    unit_id: int,
    case_id: int,
    db: DbSession,
    info: ActiveUnit,
    principal: Viewer,
    account: CurrentAccount,
) -> Response:
    case, body = _report(db, info, principal, account, case_id, "pdf")
    return Response(
        body,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="case-{case.number}.pdf"'},
    )
