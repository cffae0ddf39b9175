"""Units, supervising bodies and people lookups; the entry point of the org domain.

Imports of people and org trees live in ``ldap.py`` (CERT LDAP folders) and
``people_import.py`` (plain CSV/YAML); both write versions through ``facts.Timeline``, as
does :func:`apply_person_facts` for changes recorded by other domains (notice, departure).
Questions over time are in ``queries.py``; what the web UI shows is in ``browse.py``.
Everything is re-exported here: other domains import only this module.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.errors import NotFound, RuleViolation
from keyguard.records.org.browse import (
    department_of_head,
    get_person,
    list_people,
    org_tree,
    person_history,
    subordinates,
)
from keyguard.records.org.facts import nfc, staff_key
from keyguard.records.org.ldap import import_ldap_folder
from keyguard.records.org.models import SupervisingBody, Unit
from keyguard.records.org.people_import import import_people_file, local_today
from keyguard.records.org.queries import (
    PeopleByUser,
    apply_person_facts,
    departing_known_on,
    people_by_source_user,
    person_facts_as_of,
)
from keyguard.records.org.schemas import (
    Departure,
    FileSummary,
    HistoryEntry,
    ImportReport,
    OrgTreeNode,
    PeoplePage,
    PersonFacts,
    PersonRow,
)

__all__ = [
    "Departure",
    "FileSummary",
    "HistoryEntry",
    "ImportReport",
    "OrgTreeNode",
    "PeopleByUser",
    "PeoplePage",
    "PersonFacts",
    "PersonRow",
    "apply_person_facts",
    "check_timezone",
    "create_supervising_body",
    "create_unit",
    "departing_known_on",
    "department_of_head",
    "get_or_create_unit",
    "get_person",
    "get_unit",
    "import_ldap_folder",
    "import_people_file",
    "is_working_time",
    "list_people",
    "list_units",
    "local_today",
    "nfc",
    "org_tree",
    "people_by_source_user",
    "person_facts_as_of",
    "person_history",
    "resolve_unit",
    "staff_key",
    "subordinates",
]


def check_timezone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise RuleViolation(f"{name!r} is not an IANA time zone") from exc
    return name


def create_unit(
    session: Session,
    *,
    code: str,
    name: str,
    timezone: str = "UTC",
    supervising_body: SupervisingBody | None = None,
    is_demo: bool = False,
) -> Unit:
    """Create a unit (organization) with a time zone and the default working calendar."""
    code = code.strip()
    if not code or not code.replace("-", "").replace("_", "").isalnum():
        raise RuleViolation(f"unit code {code!r}: use letters, digits, '-' and '_'")
    if session.scalar(select(Unit.id).where(Unit.code == code)):
        raise RuleViolation(f"unit {code!r} already exists")
    unit = Unit(
        code=code,
        name=nfc(name),
        timezone=check_timezone(timezone),
        supervising_body_id=supervising_body.id if supervising_body else None,
        is_demo=is_demo,
    )
    session.add(unit)
    session.flush()
    return unit


def get_or_create_unit(
    session: Session, *, code: str, name: str | None = None, timezone: str = "UTC"
) -> Unit:
    """The unit ``code``, created when missing."""
    unit = session.scalar(select(Unit).where(Unit.code == code))
    return unit or create_unit(session, code=code, name=name or code, timezone=timezone)


def create_supervising_body(session: Session, *, code: str, name: str) -> SupervisingBody:
    body = SupervisingBody(code=code, name=nfc(name))
    session.add(body)
    session.flush()
    return body


def get_unit(session: Session, code: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(f"no unit {code!r}")
    return unit


def list_units(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).order_by(Unit.code)))


def resolve_unit(session: Session, code: str | None) -> Unit:
    """The unit named by ``code``, or the only unit; several units need an explicit code."""
    if code:
        return get_unit(session, code)
    units = list_units(session)
    if not units:
        raise NotFound("there is no unit yet (import people or run `keyguard demo`)")
    if len(units) > 1:
        codes = ", ".join(u.code for u in units)
        raise RuleViolation(f"there are several units ({codes}): choose one with --unit")
    return units[0]


def is_working_time(unit: Unit, local: dt.datetime, holidays: set[dt.date]) -> bool:
    """Whether a local time falls in the unit's working calendar."""
    if local.isoweekday() not in unit.work_days or local.date() in holidays:
        return False
    start, end = dt.time.fromisoformat(unit.work_start), dt.time.fromisoformat(unit.work_end)
    return start <= local.time() < end
