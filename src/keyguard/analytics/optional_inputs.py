"""Optional records: the hosts register, the classified register with need-to-know grants,
and the personnel priority groups. Each is used when its domain holds data for the unit;
otherwise the documented fallback applies and the run says so in its notes (and every
alert explanation repeats it).

Register items (what is classified, and where) are used for every day; grants, host
assignments and priority groups only from the day keyguard knew them (no look-ahead).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

import pyarrow as pa
from sqlalchemy.orm import Session

from keyguard.analytics.days import NEVER, day_no
from keyguard.analytics.inputs import FLAG_SCHEMA, GRANTS_SCHEMA, HOSTS_SCHEMA, Inputs, user_key
from keyguard.records.org.models import Unit

NO_HOSTS = "no hosts register: a machine's owner is its main user in the data"
NO_REGISTER = (
    "no register: need-to-know is the person's own department's and projects' "
    "shares, derived from the data"
)


def add_optional(
    session: Session,
    unit: Unit,
    cfg: dict[str, Any],
    inputs: Inputs,
    days: tuple[int, int] | None = None,
) -> None:
    """Fill ``host_records``, ``grants``, ``flags`` and ``has_register`` of ``inputs``."""
    _hosts(session, unit, inputs)
    _register(session, unit, inputs)
    _priority(session, unit, inputs, days)


def _hosts(session: Session, unit: Unit, inputs: Inputs) -> None:
    from keyguard.records.register.hosts import host_assignments

    rows: dict[str, list[Any]] = {n: [] for n in HOSTS_SCHEMA.names}
    for h in host_assignments(session, unit).to_pylist():
        if h["source"] != "import" or not h["host"]:
            continue  # inferred owners: keyguard derives its own, without look-ahead
        rows["host"].append(str(h["host"]).lower())
        rows["owner"].append(user_key(h["assigned_staff_id"]) if h["assigned_staff_id"] else None)
        rows["shared"].append(int(bool(h["shared"])))
        rows["from_no"].append(day_no(h["known_from"]) if h["known_from"] else 0)
        rows["to_no"].append(NEVER)
    inputs.tables["host_records"] = pa.table(rows, schema=HOSTS_SCHEMA)
    inputs.has_hosts = bool(rows["host"])
    if not inputs.has_hosts:
        inputs.notes.append(NO_HOSTS)


def _register(session: Session, unit: Unit, inputs: Inputs) -> None:
    from keyguard.records.register.grants import grant_table
    from keyguard.records.register.matching import pattern_table

    patterns = pattern_table(session, unit.id)
    inputs.has_register = patterns.num_rows > 0
    if not inputs.has_register:
        inputs.notes.append(NO_REGISTER)
        return
    inputs.tables["register_patterns"] = patterns
    rows: dict[str, list[Any]] = {n: [] for n in GRANTS_SCHEMA.names}
    to_key = functools.cache(user_key)  # a person's grants repeat their staff id
    for g in grant_table(session, unit.id).to_pylist():
        if not g.get("staff_id") or g.get("item_id") is None:
            continue
        rows["user_key"].append(to_key(g["staff_id"]))
        rows["item_id"].append(str(g["item_id"]))
        rows["from_no"].append(day_no(max(g["valid_from"], g["known_from"])))
        rows["to_no"].append(day_no(g["valid_to"]) if g["valid_to"] else NEVER)
    inputs.tables["grants"] = pa.table(rows, schema=GRANTS_SCHEMA)


def _priority(session: Session, unit: Unit, inputs: Inputs, days: tuple[int, int] | None) -> None:
    """Priority groups evaluated on each people change point and weekly over the events'
    days; each evaluation holds until the next one. Only what the people timeline cannot
    say is taken from them — top-level access (clearances, grants) and privilege through an
    account role; departing and privilege by title or position come from the timeline,
    which answers "as known on that day" exactly."""
    from keyguard.records.personnel.jml import PriorityGroups

    points = set(inputs.tables["people"].column("from_no").to_pylist())
    if days is not None:
        points |= set(range(days[0], days[1] + 1, 7))
    # Days after the last event day are never scored (and the records' fingerprint clips
    # every span there), so they need no evaluation.
    last = NEVER if days is None else days[1] + 1
    points = {p for p in points if 0 < p < min(last, NEVER)}
    groups = PriorityGroups(session, unit.id)  # records read once for every point
    inputs.tables["flags"] = _spans(
        sorted(points), lambda no: groups.on(dt.date(1970, 1, 1) + dt.timedelta(days=no))
    )


def _taken(g: dict[str, Any]) -> bool:
    if g.get("group") == "top_level_access":
        return True
    return g.get("group") == "privileged" and str(g.get("reason", "")).endswith("account")


def _spans(points: list[int], groups_on: Callable[[int], list[dict[str, Any]]]) -> pa.Table:
    rows: dict[str, list[Any]] = {n: [] for n in FLAG_SCHEMA.names}
    open_: dict[tuple[str, str], int] = {}
    to_key = functools.cache(user_key)  # the same people on every day evaluated

    def close(key: tuple[str, str], end: int) -> None:
        rows["user_key"].append(key[0])
        rows["flag"].append(key[1])
        rows["from_no"].append(open_.pop(key))
        rows["to_no"].append(end)

    for no in points:
        now = {
            (to_key(g["staff_id"]), g["group"])
            for g in groups_on(no)
            if g.get("staff_id") and _taken(g)
        }
        for key in [k for k in open_ if k not in now]:
            close(key, no)
        for key in now:
            open_.setdefault(key, no)
    for key in list(open_):
        close(key, NEVER)
    return pa.table(rows, schema=FLAG_SCHEMA)
