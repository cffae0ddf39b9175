"""Optional records: hosts register, need-to-know grants and register items, personnel
priority groups. Each is used when its domain module is installed and holds data for the
unit; otherwise the documented fallback applies and the run says so in its notes."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pyarrow as pa
from sqlalchemy.orm import Session

from keyguard.analytics.days import NEVER
from keyguard.records.org.models import Unit


def _module(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def add_optional(session: Session, unit: Unit, cfg: dict[str, Any], inputs: Any) -> None:
    """Fill ``host_records``, ``grants``, ``flags`` and the register flag of ``inputs``."""
    from keyguard.analytics.inputs import FLAG_SCHEMA

    inputs.notes.append("no hosts register: a machine's owner is its main user in the data")
    inputs.notes.append(
        "no register: need-to-know is the person's own department's and "
        "projects' shares, derived from the data"
    )
    personnel = _module("keyguard.records.personnel.service")
    fn = getattr(personnel, "priority_groups", None) if personnel else None
    if fn is None:
        inputs.tables["flags"] = FLAG_SCHEMA.empty_table()
        return
    inputs.tables["flags"] = _priority_flags(session, unit, fn, inputs)


def _priority_flags(session: Session, unit: Unit, fn: Any, inputs: Any) -> pa.Table:
    """Departing/privileged spans from ``priority_groups(session, unit_id, day)`` evaluated
    on each day a person's facts may change (the people timeline's change points)."""
    from keyguard.analytics.inputs import FLAG_SCHEMA

    ids = {pid: key for key, pid in inputs.person_ids.items()}
    points = sorted(set(inputs.tables["people"].column("from_no").to_pylist()))
    rows: dict[str, list[Any]] = {n: [] for n in FLAG_SCHEMA.names}
    open_: dict[tuple[str, str], int] = {}
    for no in points:
        day = dt.date(1970, 1, 1) + dt.timedelta(days=no)
        groups = fn(session, unit.id, day) or {}
        now: set[tuple[str, str]] = set()
        for group, members in dict(groups).items():
            if group not in ("departing", "privileged"):
                continue
            for member in members:
                pid = getattr(member, "person_id", getattr(member, "id", member))
                if pid in ids:
                    now.add((ids[pid], group))
        for key in list(open_):
            if key not in now:
                rows["user_key"].append(key[0])
                rows["flag"].append(key[1])
                rows["from_no"].append(open_.pop(key))
                rows["to_no"].append(no)
        for key in now:
            open_.setdefault(key, no)
    for key, start in open_.items():
        rows["user_key"].append(key[0])
        rows["flag"].append(key[1])
        rows["from_no"].append(start)
        rows["to_no"].append(NEVER)
    return pa.table(rows, schema=FLAG_SCHEMA)
