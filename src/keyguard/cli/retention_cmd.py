"""``keyguard retention``: show and set a unit's retention (checked against what detection
needs), put a case on legal hold, purge now; and ``keyguard audit who-saw``: every look at a
real identity — who saw whom, when and why."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import typer
from rich.table import Table

from keyguard.cases import retention, service, views
from keyguard.cli.common import cli_session, console, handle_errors
from keyguard.config import get_settings
from keyguard.errors import InputError, NotFound
from keyguard.records.org.service import resolve_unit
from keyguard.scheduler.lock import job_lock

retention_app = typer.Typer(
    help="Retention per kind of data, legal holds and purges.", no_args_is_help=True
)
UnitOpt = Annotated[str | None, typer.Option("--unit", help="Unit code (default: the only unit)")]
DaysOpt = Annotated[int | None, typer.Option(min=1, help="Days to keep")]


def _print_json(data: Any) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


@retention_app.command("show")
@handle_errors
def show(unit: UnitOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Days kept per kind, the raw-event minimum, today's cut-offs and cases on hold."""
    with cli_session() as session:
        data = retention.settings_view(session, unit=resolve_unit(session, unit))
    if as_json:
        _print_json(data)
        return
    m = data["minimum"]
    console.print(
        f"raw events must be kept at least {m['days']} days (longest detector window "
        f"{m['detector_days']} + baseline period {m['baseline_days']})"
    )
    if data["problem"]:
        console.print(f"[bold red]{data['problem']}[/]")
    table = Table("data", "days kept", "first day kept today")
    for kind, cut in data["cutoffs"].items():
        days = data["values"].get(kind)
        table.add_row(kind, "for ever" if days is None else str(days), cut or "—")
    console.print(table)
    for c in data["held"]:
        console.print(f"legal hold: {c['number']} — {c['reason']}")


@retention_app.command("set")
@handle_errors
def set_(
    unit: UnitOpt = None,
    raw_events: DaysOpt = None,
    alerts: DaysOpt = None,
    dismissed_alerts: DaysOpt = None,
    cases: DaysOpt = None,
    audit_log: DaysOpt = None,
    keep_cases_for_ever: Annotated[bool, typer.Option(help="Never purge closed cases")] = False,
    keep_audit_for_ever: Annotated[bool, typer.Option(help="Never seal the audit log")] = False,
) -> None:
    """Change the unit's retention; options not given keep their value."""
    with cli_session() as session:
        u = resolve_unit(session, unit)
        values = dict((u.settings or {}).get("retention") or {})
        for key, value in (
            ("raw_events", raw_events),
            ("alerts", alerts),
            ("dismissed_alerts", dismissed_alerts),
            ("cases", cases),
            ("audit_log", audit_log),
        ):
            if value is not None:
                values[key] = value
        if keep_cases_for_ever:
            values["cases"] = None
        if keep_audit_for_ever:
            values["audit_log"] = None
        policy = retention.set_retention(session, unit=u, values=values)
    console.print(f"retention of {u.code}: {policy.model_dump()}")


@retention_app.command("hold")
@handle_errors
def hold(
    case: Annotated[str, typer.Argument(help="Case number (C-0001) or id")],
    reason: Annotated[str, typer.Option("--reason", help="Why (court order, inquiry...)")],
    lift: Annotated[bool, typer.Option("--lift", help="Lift the hold instead")] = False,
    unit: UnitOpt = None,
) -> None:
    """Put a case on legal hold (never purged) or lift the hold."""
    with cli_session() as session:
        u = resolve_unit(session, unit)
        found = [
            c for c in service.list_cases(session, unit=u) if c.number == case or str(c.id) == case
        ]
        if not found:
            raise NotFound(f"no case {case} in unit {u.code}")
        service.set_legal_hold(session, case=found[0], on=not lift, reason=reason)
    console.print(f"{found[0].number}: legal hold {'lifted' if lift else 'on'}")


@retention_app.command("purge")
@handle_errors
def purge(unit: UnitOpt = None) -> None:
    """Purge now what is past retention (one unit, or every unit and the audit-log seal)."""
    with cli_session() as session:
        if unit:
            with job_lock("retention purge"):
                counts = retention.purge_unit(session, unit=resolve_unit(session, unit))
            result: dict[str, Any] = {unit: counts}
        else:
            from keyguard.config import utcnow

            result = retention.purge_all(session, utcnow(), get_settings().home)
    _print_json(result)


def _day(value: str | None, what: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(what, f"{value!r} is not a date (YYYY-MM-DD)") from exc


def who_saw(
    unit: UnitOpt = None,
    person: Annotated[str | None, typer.Option(help="Only this pseudonym")] = None,
    since: Annotated[str | None, typer.Option(help="From this day (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option(help="Until this day (YYYY-MM-DD)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Who saw whom, when and why: every look at a real identity, from the audit chain."""
    with cli_session() as session:
        data = views.who_saw(
            session,
            unit=resolve_unit(session, unit),
            subject=person,
            since=_day(since, "--since"),
            until=_day(until, "--until"),
        )
    if as_json:
        _print_json(data)
        return
    table = Table("when", "who", "whom", "why", "approved by", "where")
    for v in data["views"]:
        table.add_row(
            v["at"][:19],
            v["who"],
            v["whom"],
            v["why"],
            v["approved_by"] or "",
            f"{v['scope']} · {v['what']}",
        )
    console.print(table)
    console.print(f"{len(data['views'])} look(s); {len(data['requests'])} request(s)")


def register(app: typer.Typer) -> None:
    from keyguard.cli.audit_cmd import audit_app

    app.add_typer(retention_app, name="retention")
    audit_app.command("who-saw")(handle_errors(who_saw))
