"""Reportable events: an employee files their own (foreign travel, foreign contacts,
unexplained income or gifts, approaches); the security officer reviews them. Filing never
raises the filer's risk score: the analytics do not read these records."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keyguard.errors import KeyguardError
from keyguard.identity.permissions import Principal, can
from keyguard.records.personnel import service as svc
from keyguard.records.personnel.models import REPORT_KINDS, REPORT_OUTCOMES
from keyguard.web.deps import ActiveUnit, CurrentAccount, DbSession, notice, render, require
from keyguard.web.i18n import lazy_gettext
from keyguard.web.routes.register import person_label, unit_row

router = APIRouter(include_in_schema=False)

NAV = [
    {
        "label": lazy_gettext("Reportable events"),
        "path": "/units/{unit_id}/reportable",
        "permission": "reportable.file",
        "order": 40,
    }
]
FILED = notice("report-filed", lazy_gettext("Thank you: your report is filed."))
REVIEWED = notice("report-reviewed", lazy_gettext("The review is recorded."))


@router.get("/units/{unit_id}/reportable", response_class=HTMLResponse)
def reports_page(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    account: CurrentAccount,
    principal: Annotated[Principal, require("reportable.file")],
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    u = unit_row(db, unit_id)
    reports = svc.reports_visible_to(db, account=account, unit_id=unit_id)
    return render(
        request,
        "reportable/list.html",
        {
            "reports": [
                {
                    "r": r,
                    "who": person_label(db, principal, u, r.person_id),
                    "own": r.person_id == account.person_id,
                }
                for r in reports
            ],
            "kinds": [(k, str(v)) for k, v in REPORT_KINDS.items()],
            "error": error,
            "reviewer": can(principal, "reportable.review", unit_id),
        },
        status_code=status_code,
    )


def _day(value: str) -> dt.date | None:
    return dt.date.fromisoformat(value) if value.strip() else None


@router.post("/units/{unit_id}/reportable")
def file_report(
    request: Request,
    unit_id: int,
    db: DbSession,
    unit: ActiveUnit,
    account: CurrentAccount,
    principal: Annotated[Principal, require("reportable.file")],
    kind: Annotated[str, Form()],
    occurred_on: Annotated[str, Form()] = "",
    until_on: Annotated[str, Form()] = "",
    country: Annotated[str, Form()] = "",
    counterpart: Annotated[str, Form()] = "",
    details: Annotated[str, Form()] = "",
) -> Response:
    try:
        day = _day(occurred_on)
        if day is None:
            raise KeyguardError("say when it happened")
        with db.begin_nested():
            svc.file_report(
                db,
                account=account,
                kind=kind,
                occurred_on=day,
                until_on=_day(until_on),
                country=country,
                counterpart=counterpart,
                details=details,
            )
    except (KeyguardError, ValueError) as exc:
        return reports_page(
            request, unit_id, db, unit, account, principal, error=str(exc), status_code=400
        )
    return RedirectResponse(f"/units/{unit_id}/reportable?notice={FILED}", 303)


@router.get("/units/{unit_id}/reportable/{report_id}", response_class=HTMLResponse)
def report_page(
    request: Request,
    unit_id: int,
    report_id: int,
    db: DbSession,
    unit: ActiveUnit,
    account: CurrentAccount,
    principal: Annotated[Principal, require("reportable.file")],
) -> HTMLResponse:
    u = unit_row(db, unit_id)
    report = svc.get_report(db, account=account, report_id=report_id)
    own = report.person_id == account.person_id
    return render(
        request,
        "reportable/detail.html",
        {
            "r": report,
            "who": person_label(db, principal, u, report.person_id),
            "kind": REPORT_KINDS.get(report.kind, report.kind),
            "outcomes": [(k, str(v)) for k, v in REPORT_OUTCOMES.items()],
            "may_review": not own and can(principal, "reportable.review", unit_id),
        },
    )


@router.post("/units/{unit_id}/reportable/{report_id}/review")
def review(
    unit_id: int,
    report_id: int,
    db: DbSession,
    account: CurrentAccount,
    principal: Annotated[Principal, require("reportable.review")],
    outcome: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    report = svc.get_report(db, account=account, report_id=report_id)
    svc.review_report(db, report=report, reviewer=account, outcome=outcome, note=note)
    return RedirectResponse(f"/units/{unit_id}/reportable/{report_id}?notice={REVIEWED}", 303)
