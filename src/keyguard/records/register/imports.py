"""CSV imports of the register and of grants. Bad rows are refused with file, line and
reason; valid rows are imported; nothing stored is deleted; importing the same file twice
changes nothing (rows are matched to what is stored by reference, or by grantee, scope and
start)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.errors import KeyguardError, NotFound, SourceProblem
from keyguard.identity.models import Account
from keyguard.identity.permissions import can
from keyguard.identity.service import principal_for
from keyguard.records.org.models import ImportRun, Person, PersonVersion, Position, Unit
from keyguard.records.register.common import (
    CsvRows,
    canonical_level,
    facts_on,
    find_node,
    parse_day,
    person_by_staff_id,
    read_csv,
)
from keyguard.records.register.grants import Grantee, Scope, new_grant
from keyguard.records.register.models import GRANTED_STATUSES, Grant, GrantApproval, Item
from keyguard.records.register.service import add_locations, create_item, parse_location

REGISTER_COLUMNS = ("reference", "title", "level", "owner_department", "location")
REGISTER_OPTIONAL = ("compartment", "custodian", "owner", "review_date")
GRANT_COLUMNS = ("grantee_type", "grantee", "item_reference", "purpose", "start", "end")
GRANT_OPTIONAL = ("approved_by",)
#: Job titles / position titles whose holders may approve grants (unit setting
#: ``settings["register"]["approver_titles"]`` overrides).
DEFAULT_APPROVER_TITLES = ("securityofficer", "security officer", "chief security officer")


@dataclass
class ImportReport:
    """What an import did; ``read == created + updated + unchanged + rejected``."""

    kind: str
    file: str
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[SourceProblem] = field(default_factory=list)
    warnings: list[SourceProblem] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({p.line for p in self.problems if p.line is not None})

    def counts(self) -> dict[str, int]:
        return {
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


@contextmanager
def _bulk(session: Session, kind: str, file: str, unit: Unit) -> Iterator[None]:
    session.info["audit_summary"] = {"action": f"{kind}_import", "source": file, "unit_id": unit.id}
    try:
        yield
        session.flush()
    finally:
        session.info.pop("audit_summary", None)


def _run_rows(
    session: Session,
    rows: CsvRows,
    report: ImportReport,
    handle: Callable[[int, dict[str, str]], str],
) -> None:
    """Apply ``handle`` to each row in a savepoint; a refused row is rolled back alone."""
    report.problems.extend(rows.problems)
    report.warnings.extend(rows.warnings)
    report.read = len(rows.rows) + len(rows.problems)
    for line, values in rows.rows:
        try:
            with session.begin_nested():
                outcome = handle(line, values)
        except KeyguardError as exc:
            report.problems.append(SourceProblem(rows.file, line, str(exc)))
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)


def _finish(session: Session, unit: Unit, rows: CsvRows, report: ImportReport) -> ImportReport:
    if report.created or report.updated or report.problems:
        session.add(
            ImportRun(
                unit_id=unit.id,
                kind=report.kind,
                source=rows.file,
                sha256=rows.sha256,
                actor=audit.current_actor().name,
                counts=report.counts(),
                problems=[str(p) for p in report.problems[:1000]],
            )
        )
        session.flush()
    return report


def import_register(
    session: Session, *, unit: Unit, path: Path, name: str | None = None
) -> ImportReport:
    """Import ``reference,title,level,owner_department,location`` (+ ``compartment,
    custodian,owner,review_date``). A known reference is updated (title, compartment,
    owner, custodian, review date; new locations added); a level change is refused: record a
    downgrade instead."""
    rows = read_csv(path, REGISTER_COLUMNS, REGISTER_OPTIONAL, name=name)
    report = ImportReport("register", rows.file)
    seen: dict[str, int] = {}

    def handle(line: int, v: dict[str, str]) -> str:
        ref = v["reference"]
        if not ref or not v["title"] or not v["level"] or not v["location"]:
            missing = [c for c in ("reference", "title", "level", "location") if not v[c]]
            raise KeyguardError(f"empty {', '.join(missing)}")
        if ref.casefold() in seen:
            raise KeyguardError(f"duplicate reference {ref} (first on line {seen[ref.casefold()]})")
        seen[ref.casefold()] = line
        level = canonical_level(unit, v["level"])
        dept = _department(session, unit, v["owner_department"]) if v["owner_department"] else None
        owner = person_by_staff_id(session, unit.id, v["owner"]) if v.get("owner") else None
        custodian = (
            person_by_staff_id(session, unit.id, v["custodian"]) if v.get("custodian") else None
        )
        review = parse_day(v.get("review_date", ""), "review_date")
        room, safe, digital = parse_location(v["location"])
        compartment = v.get("compartment") or None
        item = session.scalar(
            select(Item).where(Item.unit_id == unit.id, func.lower(Item.reference) == ref.lower())
        )
        if item is None:
            create_item(
                session,
                unit=unit,
                reference=ref,
                title=v["title"],
                level=level,
                locations=digital,
                compartment=compartment,
                owner_department_id=dept,
                owner=owner,
                custodian=custodian,
                review_date=review,
                room=room,
                safe=safe,
                source=f"{rows.file}:{line}",
            )
            return "created"
        if item.level != level:
            raise KeyguardError(
                f"{ref} is {item.level} in the register, {level} in the file: record a "
                "downgrade (two witnesses) instead of re-importing"
            )
        changed = add_locations(session, item, digital) > 0
        updates: dict[str, Any] = {
            "title": v["title"],
            "compartment": compartment,
            "review_date": review or item.review_date,
            "owner_department_id": dept or item.owner_department_id,
            "owner_id": owner.id if owner else item.owner_id,
            "custodian_id": custodian.id if custodian else item.custodian_id,
            "room": room or item.room,
            "safe": safe or item.safe,
        }
        for key, value in updates.items():
            if getattr(item, key) != value:
                setattr(item, key, value)
                changed = True
        session.flush()
        return "updated" if changed else "unchanged"

    with _bulk(session, "register", rows.file, unit):
        _run_rows(session, rows, report, handle)
    return _finish(session, unit, rows, report)


def _department(session: Session, unit: Unit, name: str) -> int:
    try:
        return find_node(session, unit.id, name, kinds=("department",)).id
    except NotFound:
        return find_node(session, unit.id, name).id


def approver_titles(unit: Unit) -> set[str]:
    custom = ((unit.settings or {}).get("register") or {}).get("approver_titles")
    return {t.casefold() for t in (custom or DEFAULT_APPROVER_TITLES)}


def unauthorised_reason(
    session: Session,
    *,
    unit: Unit,
    person: Person,
    item: Item | None,
    day: dt.date,
) -> str | None:
    """Why ``person`` could not have approved a grant on ``item`` on ``day`` (``None`` if
    they could): the item's owner, a holder of ``grants.approve``, a leadership or
    security-office position or an approver title (unit setting) may approve."""
    if item is not None and item.owner_id == person.id:
        return None
    for account in session.scalars(select(Account).where(Account.person_id == person.id)):
        if account.is_active and can(principal_for(session, account), "grants.approve", unit.id):
            return None
    facts: PersonVersion | None = facts_on(session, person.id, day)
    titles = {(facts.job_title if facts else person.job_title) or ""}
    position_id = facts.position_id if facts else person.position_id
    if position_id is not None:
        pos = session.get(Position, position_id)
        if pos is not None:
            if pos.level in ("leadership", "security_office"):
                return None
            titles.add(pos.title)
    if {t.casefold() for t in titles} & approver_titles(unit):
        return None
    return f"{person.staff_id} may not approve access (not the owner, no approver role or title)"


def _scope(session: Session, unit: Unit, ref: str) -> Scope:
    kind, _, value = ref.partition(":")
    if value and kind.strip().casefold() == "compartment":
        return Scope("compartment", compartment=value.strip())
    if value and kind.strip().casefold() == "level":
        return Scope("level", level=canonical_level(unit, value))
    item = session.scalar(
        select(Item).where(
            Item.unit_id == unit.id, func.lower(Item.reference) == ref.strip().lower()
        )
    )
    if item is None:
        raise NotFound(f"no register item with reference {ref!r}")
    return Scope("item", item=item)


def _grantee(session: Session, unit: Unit, kind: str, name: str, scope: Scope) -> Grantee:
    kind = kind.strip().casefold()
    near = scope.item.owner_department_id if scope.item else None
    if kind == "person":
        return Grantee("person", person=person_by_staff_id(session, unit.id, name))
    if kind == "team":
        return Grantee("team", node=find_node(session, unit.id, name, kinds=("team",), near=near))
    if kind == "department":
        try:
            node = find_node(session, unit.id, name, kinds=("department",), near=near)
        except NotFound:
            node = find_node(session, unit.id, name, near=near)
        return Grantee("department", node=node)
    if kind == "position":
        key = name.strip().casefold()
        known = session.scalar(
            select(Position.id).where(
                Position.unit_id == unit.id, func.lower(Position.title) == key
            )
        ) or session.scalar(
            select(PersonVersion.id)
            .where(PersonVersion.unit_id == unit.id, func.lower(PersonVersion.job_title) == key)
            .limit(1)
        )
        if not known:
            raise NotFound(f"no position or job title {name!r} in this unit")
        return Grantee("position", title=name.strip())
    raise KeyguardError(f"grantee_type {kind!r}: use person, team, department or position")


def _same_grant(session: Session, unit: Unit, g: Grantee, s: Scope, start: dt.date) -> Grant | None:
    q = select(Grant).where(
        Grant.unit_id == unit.id,
        Grant.grantee_type == g.type,
        Grant.valid_from == start,
        Grant.scope == s.kind,
        Grant.status.in_(GRANTED_STATUSES),
    )
    if g.person is not None:
        q = q.where(Grant.grantee_person_id == g.person.id)
    if g.node is not None:
        q = q.where(Grant.grantee_node_id == g.node.id)
    if g.title:
        q = q.where(func.lower(Grant.grantee_title) == g.title.casefold())
    if s.item is not None:
        q = q.where(Grant.item_id == s.item.id)
    if s.compartment:
        q = q.where(func.lower(Grant.compartment) == s.compartment.casefold())
    if s.level:
        q = q.where(Grant.level == s.level)
    found = session.scalars(q.order_by(Grant.id)).first()
    while found is not None and found.superseded_by_id is not None:  # the latest version
        found = session.get(Grant, found.superseded_by_id)
    return found


def import_grants(
    session: Session,
    *,
    unit: Unit,
    path: Path,
    known_from: dt.date | None = None,
    today: dt.date,
    name: str | None = None,
) -> ImportReport:
    """Import ``grantee_type,grantee,item_reference,purpose,start,end`` (+ ``approved_by``,
    staff ids joined by ``;``). ``item_reference`` may also be ``compartment:NAME`` or
    ``level:NAME``. ``end`` is the last day (empty: no expiry). Grants are known from
    ``known_from`` (default: each row's start — the unit's register recorded them then). A
    stored grant whose end changed is closed today and followed by a new one known from
    today, so earlier days keep what was known then."""
    rows = read_csv(path, GRANT_COLUMNS, GRANT_OPTIONAL, name=name)
    report = ImportReport("grants", rows.file)

    def handle(line: int, v: dict[str, str]) -> str:
        missing = [
            c for c in ("grantee_type", "grantee", "item_reference", "purpose", "start") if not v[c]
        ]
        if missing:
            raise KeyguardError(f"empty {', '.join(missing)}")
        scope = _scope(session, unit, v["item_reference"])
        grantee = _grantee(session, unit, v["grantee_type"], v["grantee"], scope)
        start = parse_day(v["start"], "start")
        end = parse_day(v["end"], "end")
        assert start is not None
        if end is not None and end < start:
            raise KeyguardError(f"the end ({end}) is before the start ({start})")
        approvers = _approvers(session, unit, v.get("approved_by", ""), grantee, scope, start)
        existing = _same_grant(session, unit, grantee, scope, start)
        valid_to = end + dt.timedelta(days=1) if end else None
        if existing is not None:
            return _update(
                session,
                existing,
                unit,
                v["purpose"],
                valid_to,
                approvers,
                today,
                f"{rows.file}:{line}",
            )
        g = new_grant(
            session,
            unit=unit,
            grantee=grantee,
            scope=scope,
            purpose=v["purpose"],
            start=start,
            end=end,
            status="approved",
            known_from=max(known_from or start, start),
            source=f"{rows.file}:{line}",
        )
        _add_approvals(g, approvers)
        g.decided_at = g.requested_at
        if len(approvers) < g.approvals_required:
            report.warnings.append(
                SourceProblem(
                    rows.file,
                    line,
                    f"{len(approvers)} approval(s) recorded where "
                    f"{g.approvals_required} are required: stored and left for the loophole checks",
                )
            )
        session.flush()
        return "created"

    with _bulk(session, "grants", rows.file, unit):
        _run_rows(session, rows, report, handle)
    return _finish(session, unit, rows, report)


def _approvers(
    session: Session,
    unit: Unit,
    cell: str,
    grantee: Grantee,
    scope: Scope,
    day: dt.date,
) -> list[Person]:
    out: list[Person] = []
    for sid in [s.strip() for s in cell.split(";") if s.strip()]:
        try:
            person = person_by_staff_id(session, unit.id, sid)
        except NotFound:
            raise KeyguardError(f"unknown approver {sid!r}") from None
        if grantee.person is not None and person.id == grantee.person.id:
            raise KeyguardError(f"{sid} approved their own access")
        if any(p.id == person.id for p in out):
            raise KeyguardError(f"{sid} is named twice as approver: two people must approve")
        why = unauthorised_reason(session, unit=unit, person=person, item=scope.item, day=day)
        if why:
            raise KeyguardError(why)
        out.append(person)
    return out


def _add_approvals(g: Grant, approvers: list[Person]) -> bool:
    have = {a.person_id for a in g.approvals}
    added = False
    for p in approvers:
        if p.id not in have:
            g.approvals.append(
                GrantApproval(
                    unit_id=g.unit_id,
                    person_id=p.id,
                    account_id=None,
                    decision="approve",
                    decided_at=g.requested_at or g.created_at,
                    note="imported",
                )
            )
            added = True
    return added


def _update(
    session: Session,
    g: Grant,
    unit: Unit,
    purpose: str,
    valid_to: dt.date | None,
    approvers: list[Person],
    today: dt.date,
    source: str,
) -> str:
    changed = _add_approvals(g, approvers)
    if g.purpose != purpose.strip():
        g.purpose, changed = purpose.strip(), True
    if g.valid_to == valid_to or g.status == "revoked":
        session.flush()
        return "updated" if changed else "unchanged"
    # The end changed: keep what was known until today, then the new end from today on.
    old_to = g.valid_to
    g.valid_to = min(old_to, today) if old_to is not None else today
    g.valid_to = max(g.valid_to, g.valid_from)
    if valid_to is None or valid_to > today:
        successor = Grant(
            unit_id=g.unit_id,
            grantee_type=g.grantee_type,
            grantee_person_id=g.grantee_person_id,
            grantee_node_id=g.grantee_node_id,
            grantee_title=g.grantee_title,
            scope=g.scope,
            item_id=g.item_id,
            compartment=g.compartment,
            level=g.level,
            purpose=g.purpose,
            status="approved",
            approvals_required=g.approvals_required,
            requested_at=g.requested_at,
            decided_at=g.decided_at,
            valid_from=max(today, g.valid_from),
            valid_to=valid_to,
            known_from=today,
            source=source,
        )
        session.add(successor)
        session.flush()
        _add_approvals(
            successor,
            [p for p in (session.get(Person, a.person_id) for a in g.approvals) if p is not None],
        )
        g.superseded_by_id = successor.id
    session.flush()
    return "updated"
