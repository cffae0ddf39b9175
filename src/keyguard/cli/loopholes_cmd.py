"""``keyguard loopholes``: run every loophole check and print the findings; ``checks`` lists
the checks and whether they apply, ``validate`` checks check files, ``show`` prints one
finding with its evidence."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Column, Table
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.cli.common import cli_session, console, err_console, handle_errors
from keyguard.controls import service
from keyguard.controls.checks import load_check, load_checks
from keyguard.controls.models import Finding
from keyguard.controls.scan import ScanResult
from keyguard.errors import InputError, KeyguardError
from keyguard.library.content_yaml import ContentError
from keyguard.records.org import service as org
from keyguard.records.org.models import Person, Unit

loopholes_app = typer.Typer(
    help="Loophole checks over the records and the event store: findings with owner, due "
    "date and evidence.",
    invoke_without_command=True,
)

UnitOpt = Annotated[str | None, typer.Option("--unit", help="Unit code (default: every unit)")]
FORMATS = ("table", "json", "csv")
CSV_COLUMNS = [
    "id",
    "unit",
    "check",
    "severity",
    "status",
    "subject",
    "owner",
    "due_on",
    "opened_on",
    "evidence_rows",
    "supports",
]


def _units(session: Session, code: str | None) -> list[Unit]:
    if code:
        return [org.get_unit(session, code)]
    units = org.list_units(session)
    if not units:
        raise KeyguardError("there is no unit yet (ingest a CERT folder or run `keyguard demo`)")
    return units


def _owner(session: Session, f: Finding) -> str:
    p = session.get(Person, f.owner_person_id) if f.owner_person_id else None
    who = f"{p.full_name} ({p.staff_id})" if p else ""
    return (
        f"{who} — {f.owner_label}"
        if who and f.owner_label != "assigned"
        else (who or f.owner_label)
    )


def finding_dict(session: Session, unit: Unit, f: Finding, evidence: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": f.id,
        "unit": unit.code,
        "check": f.check_id,
        "title": f.check_title,
        "severity": f.severity,
        "status": f.status,
        "resolution": f.resolution,
        "subject": f.subject,
        "owner": _owner(session, f),
        "due_on": f.due_on.isoformat(),
        "opened_on": f.opened_on.isoformat(),
        "evidence_rows": f.evidence_total,
        "supports": list(f.supports or []),
    }
    if evidence:
        out["evidence"] = f.evidence
    return out


def _checks_json(result: ScanResult) -> list[dict[str, Any]]:
    return [
        {"id": o.check.id, "title": o.check.title, "severity": o.check.severity, **o.as_dict()}
        for o in result.outcomes
    ]


def _print_table(session: Session, unit: Unit, result: ScanResult, found: list[Finding]) -> None:
    run = result.run
    horizon = f", events up to {run.horizon}" if run.horizon else ", no events"
    console.print(f"[bold]{unit.code}[/] loophole scan as of {run.as_of}{horizon} (run {run.id})")
    table = Table("severity", "check", "finding", "owner", "due", show_lines=False)
    table.add_column("id", no_wrap=True)
    for f in found:
        table.add_row(
            f.severity, f.check_id, f.subject, _owner(session, f), f.due_on.isoformat(), f.id[:12]
        )
    console.print(table)
    c = result.counts
    console.print(
        f"{len(found)} open finding(s): {c['new']} new, {c['reopened']} reopened, "
        f"{c['closed']} closed as resolved by this run; checks: {c['ran']} ran, "
        f"{c['not_applicable']} not applicable, {c['disabled']} disabled, {c['failed']} failed",
        highlight=False,
    )
    for o in result.outcomes:
        if o.state == "not_applicable":
            console.print(f"  {o.check.id}: {o.reason}", highlight=False)
        elif o.state == "failed":
            console.print(f"  [red]{o.check.id}: failed: {o.error}[/]", highlight=False)
        elif o.state == "disabled":
            console.print(f"  {o.check.id}: disabled", highlight=False)


@loopholes_app.callback()
@handle_errors
def loopholes(
    ctx: typer.Context,
    unit: UnitOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv")] = "table",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Scan as of this local day (YYYY-MM-DD)")
    ] = None,
    check: Annotated[
        list[str] | None, typer.Option("--check", help="Run only this check (repeatable)")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file")] = None,
    evidence: Annotated[
        bool, typer.Option("--evidence/--no-evidence", help="Evidence rows in JSON output")
    ] = True,
) -> None:
    """Run every loophole check of the unit (or of every unit) and print the open findings;
    checks whose inputs are absent are listed as not applicable."""
    if ctx.invoked_subcommand is not None:
        return
    if fmt not in FORMATS:
        raise KeyguardError(f"--format must be one of {', '.join(FORMATS)}")
    day = None
    if as_of:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError as exc:
            raise InputError("--as-of", f"{as_of!r} is not a date (YYYY-MM-DD)") from exc
    buffer = io.StringIO()
    docs: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    with cli_session() as session:
        checks = load_checks()
        for u in _units(session, unit):
            result = service.scan_unit_locked(session, unit=u, as_of=day, checks=checks, only=check)
            found = service.list_findings(session, unit=u)
            if check:
                found = [f for f in found if f.check_id in check]
            audit.record(
                session,
                "export",
                "control_findings",
                result.run.id,
                {"format": fmt, "findings": len(found), "out": str(out) if out else None},
                unit_id=u.id,
            )
            if fmt == "table" and out is None:
                _print_table(session, u, result, found)
                continue
            items = [finding_dict(session, u, f, evidence and fmt == "json") for f in found]
            docs.append(
                {
                    "unit": u.code,
                    "as_of": result.run.as_of.isoformat(),
                    "horizon": result.run.horizon.isoformat() if result.run.horizon else None,
                    "run": result.run.id,
                    "counts": result.counts,
                    "checks": _checks_json(result),
                    "findings": items,
                }
            )
            rows += items
            for o in result.outcomes:
                if o.state != "ran":
                    err_console.print(
                        f"{u.code} {o.check.id}: {o.reason or o.error}", highlight=False
                    )
    if fmt == "table" and out is None:
        return
    if fmt == "json":
        buffer.write(json.dumps(docs[0] if unit else docs, indent=2, ensure_ascii=False))
        buffer.write("\n")
    elif fmt == "csv":
        writer = csv.DictWriter(
            buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "supports": ";".join(r["supports"])})
    else:
        raise KeyguardError("--out needs --format json or csv")
    if out is not None:
        out.write_text(buffer.getvalue(), encoding="utf-8")
        err_console.print(f"wrote {len(rows)} finding(s) to {out}")
    else:
        sys.stdout.write(buffer.getvalue())


@loopholes_app.command("checks")
@handle_errors
def list_checks(unit: UnitOpt = None) -> None:
    """List the checks: id, severity, query, inputs and whether each applies to the unit."""
    with cli_session() as session:
        for u in _units(session, unit):
            table = Table("severity", "query", "inputs", "state", title=u.code)
            table.columns.insert(0, Column("check", no_wrap=True))
            for s in service.check_states(session, unit=u):
                state = s.state if not s.reason else s.reason
                table.add_row(
                    s.check.id, s.check.severity, s.check.query, ", ".join(s.check.inputs), state
                )
            console.print(table)


@loopholes_app.command("validate")
@handle_errors
def validate(
    files: Annotated[list[Path], typer.Argument(help="Check YAML files")],
) -> None:
    """Validate check files; every problem is printed as file:line:column: reason."""
    bad = 0
    for path in files:
        try:
            c = load_check(path, origin="home")
        except ContentError as exc:
            bad += 1
            for problem in exc.problems:
                err_console.print(str(problem), highlight=False)
            continue
        console.print(f"{path}: ok ({c.id}, query {c.query})", highlight=False)
    if bad:
        raise typer.Exit(1)


@loopholes_app.command("show")
@handle_errors
def show(
    finding_id: Annotated[str, typer.Argument(help="Finding id (or its first characters)")],
    unit: UnitOpt = None,
) -> None:
    """One finding with its owner, due date, history and evidence rows."""
    with cli_session() as session:
        for u in _units(session, unit):
            matches = [
                f
                for f in service.list_findings(
                    session, unit=u, filt=service.FindingFilter(status=None), limit=100000
                )
                if f.id.startswith(finding_id)
            ]
            if not matches:
                continue
            if len(matches) > 1:
                raise KeyguardError(f"{finding_id!r} names {len(matches)} findings: give more")
            f = service.get_finding(session, unit=u, finding_id=matches[0].id)
            doc = finding_dict(session, u, f, True)
            doc["history"] = [
                {"at": e.at.isoformat(), "kind": e.kind, "actor": e.actor, "note": e.note}
                for e in service.finding_history(session, finding=f)
            ]
            sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
            return
    raise KeyguardError(f"no finding {finding_id!r}")


def register(app: typer.Typer) -> None:
    app.add_typer(loopholes_app, name="loopholes")
