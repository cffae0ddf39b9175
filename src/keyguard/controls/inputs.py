"""Which inputs a unit has, so that a check whose inputs are absent is reported as "not
applicable: no register" (for example) instead of being skipped silently or firing on
everyone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.events.store import EventStore
from keyguard.records.duties.models import DutyAssignment
from keyguard.records.education.models import Course, TrainingAssignment
from keyguard.records.org.models import Person, Unit
from keyguard.records.personnel.models import Clearance
from keyguard.records.register.models import Host, Item

#: How a missing input is named in "not applicable: no ...".
ABSENT = {
    "people": "people records (LDAP or people import)",
    "register": "register",
    "hosts": "hosts register (hosts import)",
    "clearances": "clearance records",
    "training": "training records",
    "duties": "duty assignments",
    "events": "events in the event store",
    "audit": "audit log",
}


def available_inputs(session: Session, unit: Unit, store: EventStore) -> set[str]:
    """The inputs the unit has today."""
    out = {"audit"}
    probes: dict[str, Any] = {
        "people": select(Person.id).where(Person.unit_id == unit.id),
        "register": select(Item.id).where(Item.unit_id == unit.id),
        "hosts": select(Host.id).where(Host.unit_id == unit.id, Host.assignment_source == "import"),
        "clearances": select(Clearance.id).where(Clearance.unit_id == unit.id),
        "duties": select(DutyAssignment.id).where(DutyAssignment.unit_id == unit.id),
    }
    for name, probe in probes.items():
        if session.scalar(probe.limit(1)) is not None:
            out.add(name)
    if (
        session.scalar(select(Course.id).where(Course.unit_id == unit.id).limit(1)) is not None
        or session.scalar(
            select(TrainingAssignment.id).where(TrainingAssignment.unit_id == unit.id).limit(1)
        )
        is not None
    ):
        out.add("training")
    if store.files(unit.code):
        out.add("events")
    return out


def not_applicable_reason(needed: tuple[str, ...], available: set[str]) -> str | None:
    """``"not applicable: no register"`` when inputs are missing, else ``None``."""
    missing = [ABSENT.get(i, i) for i in needed if i not in available]
    if not missing:
        return None
    return "not applicable: no " + ", no ".join(missing)
