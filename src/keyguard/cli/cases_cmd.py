"""``keyguard cases``: list cases, show one (pseudonymous), write its report as HTML or PDF,
triage metrics, bulk dismissal of alerts with a reason, and the unit's rectification
actions. The CLI acts as ``cli:<os user>``, which holds no re-identification: identities
are never printed here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from keyguard.cases import rectification as rect
from keyguard.cases import report, service, triage, views
from keyguard.cli.common import cli_session, console, handle_errors
from keyguard.errors import NotFound, RuleViolation
from keyguard.records.org.service import resolve_unit

cases_app = typer.Typer(
    help="Cases, triage metrics, bulk dismissal of alerts, rectification actions.",
    no_args_is_help=True,
)
UnitOpt = Annotated[str | None, typer.Option("--unit", help="Unit code (default: the only unit)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


def _print_json(data: Any) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


@cases_app.command("list")
@handle_errors
def list_cases(
    unit: UnitOpt = None,
    status: Annotated[str, typer.Option(help="active | open | investigating | closed | all")] = (
        "active"
    ),
    as_json: JsonOpt = False,
) -> None:
    """Cases of the unit, open first (people by pseudonym)."""
    with cli_session() as session:
        u = resolve_unit(session, unit)
        rows = [
            views.case_row(session, c)
            for c in service.list_cases(session, unit=u, status=None if status == "all" else status)
        ]
    if as_json:
        _print_json(rows)
        return
    table = Table("case", "title", "about", "status", "outcome", "investigator", "opened")
    for r in rows:
        table.add_row(
            r["number"],
            r["title"],
            r["subject"],
            r["status"],
            r["outcome"] or "",
            r["assigned_to"] or "",
            r["opened_at"][:10],
        )
    console.print(table)


def _case(session: Any, unit: Any, number: str) -> Any:
    for c in service.list_cases(session, unit=unit):
        if c.number == number or str(c.id) == number:
            return c
    raise NotFound(f"no case {number} in unit {unit.code}")


@cases_app.command("show")
@handle_errors
def show(
    case: Annotated[str, typer.Argument(help="Case number (C-0001) or id")], unit: UnitOpt = None
) -> None:
    """One case with its timeline, as JSON (the look is audited)."""
    with cli_session() as session:
        u = resolve_unit(session, unit)
        data = views.case_view(
            session, unit=u, case=_case(session, u, case), account=None, what="cli"
        )
    _print_json(data)


@cases_app.command("report")
@handle_errors
def write_report(
    case: Annotated[str, typer.Argument(help="Case number (C-0001) or id")],
    out: Annotated[Path, typer.Option("--out", help="File to write")],
    fmt: Annotated[str, typer.Option("--format", help="html | pdf")] = "pdf",
    unit: UnitOpt = None,
) -> None:
    """Write the case report as HTML or PDF (the export is audited)."""
    if fmt not in ("html", "pdf"):
        raise RuleViolation("--format is html or pdf")
    with cli_session() as session:
        u = resolve_unit(session, unit)
        body = report.report(session, unit=u, case=_case(session, u, case), account=None, fmt=fmt)
    out.write_bytes(body)
    console.print(f"{fmt.upper()} report written to {out} ({len(body)} bytes)")


@cases_app.command("metrics")
@handle_errors
def metrics(unit: UnitOpt = None, as_json: JsonOpt = False) -> None:
    """Time to triage, time to close, alerts per policy and their confirmation rate."""
    with cli_session() as session:
        m = triage.metrics(session, unit_id=resolve_unit(session, unit).id)
    if as_json:
        _print_json(m)
        return
    console.print(
        f"alerts: {m['alerts']} ({m['untriaged']} not triaged); median time to triage: "
        f"{m['time_to_triage']['median_hours']} h; median time to close a case: "
        f"{m['time_to_close']['median_hours']} h"
    )
    table = Table("policy", "alerts", "open", "dismissed", "confirmed", "confirmation rate")
    noisy = {p["policy_id"] for p in m["noisy"]}
    for p in m["policies"]:
        rate = p["confirmation_rate"]
        table.add_row(
            p["title"] + (" (noisy)" if p["policy_id"] in noisy else ""),
            str(p["alerts"]),
            str(p["open"]),
            str(p["dismissed"]),
            str(p["confirmed"]),
            "—" if rate is None else f"{rate:.0%}",
        )
    console.print(table)


@cases_app.command("dismiss")
@handle_errors
def dismiss(
    alerts: Annotated[list[str], typer.Argument(help="Alert ids")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with each alert)")],
    unit: UnitOpt = None,
) -> None:
    """Dismiss several alerts at once with one reason."""
    with cli_session() as session:
        n = triage.dismiss_alerts(
            session, unit_id=resolve_unit(session, unit).id, alert_ids=alerts, reason=reason
        )
    console.print(f"{n} alert(s) dismissed")


@cases_app.command("actions")
@handle_errors
def actions(
    unit: UnitOpt = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue ones")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The unit's open rectification actions, soonest deadline first."""
    with cli_session() as session:
        u = resolve_unit(session, unit)
        today = service.local_day(u)
        rows = [
            views.action_row(a, today, None, False)
            for a in rect.list_actions(session, unit=u, overdue=overdue)
        ]
    if as_json:
        _print_json(rows)
        return
    table = Table("id", "action", "deadline", "overdue", "case", "finding")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["title"],
            r["due_on"],
            "yes" if r["overdue"] else "",
            str(r["case_id"] or ""),
            r["finding_id"] or "",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(cases_app, name="cases")
