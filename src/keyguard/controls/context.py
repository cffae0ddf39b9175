"""What a query sees: the records session, the unit, the day it runs as of, and the unit's
event store through one DuckDB connection (view ``events``), with helpers shared by the
queries (people by staff id, labels with and without identities, event evidence rows)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.events.store import EventStore
from keyguard.privacy.pseudonyms import pseudonym
from keyguard.records.org.models import Holiday, OrgNode, Person, Unit
from keyguard.records.register.matching import user_key, user_key_sql

#: The event columns every event evidence row carries (``file``/``line`` name the input row).
EVENT_COLUMNS = (
    "event_id",
    "local_date",
    "source_user",
    "host",
    "category",
    "activity",
    "object",
    "to_removable",
    "from_removable",
    "source_file",
    "source_line",
)


def event_select(alias: str = "") -> str:
    """The SELECT list of :data:`EVENT_COLUMNS` (of table ``alias``) plus ``time`` (UTC)."""
    a = f"{alias}." if alias else ""
    cols = ", ".join(f"{a}{c}" for c in EVENT_COLUMNS)
    return f"{cols}, strftime({a}time_utc, '%Y-%m-%dT%H:%M:%SZ') AS time"


EVENT_SELECT = event_select()

USER_KEY = user_key_sql("source_user")


def event_row(r: dict[str, Any]) -> dict[str, Any]:
    """An evidence row for one event (from a row selected with :data:`EVENT_SELECT`)."""
    row: dict[str, Any] = {
        "source": "event",
        "event_id": r["event_id"],
        "day": r["local_date"].isoformat() if r.get("local_date") else None,
        "time": r.get("time"),
        "user": r.get("source_user"),
        "host": r.get("host"),
        "activity": f"{r.get('category')}/{r.get('activity')}",
        "file": r.get("source_file"),
        "line": r.get("source_line"),
    }
    if r.get("object"):
        row["object"] = r["object"]
    if r.get("to_removable"):
        row["to_removable"] = True
    if r.get("from_removable"):
        row["from_removable"] = True
    return row


def record_row(table: str, record_id: Any, **fields: Any) -> dict[str, Any]:
    """An evidence row for one record of the records database."""
    out: dict[str, Any] = {"source": "record", "table": table, "id": record_id}
    for k, v in fields.items():
        out[k] = v.isoformat() if isinstance(v, dt.date | dt.datetime) else v
    return out


@dataclass
class QueryContext:
    """One scan's view of a unit (see module docstring)."""

    session: Session
    unit: Unit
    as_of: dt.date
    store: EventStore
    #: Last day of events in the store, not after ``as_of`` (``None``: no events).
    horizon: dt.date | None = None
    max_evidence: int = 50
    cache: dict[str, Any] = field(default_factory=dict)
    _con: duckdb.DuckDBPyConnection | None = None

    # -- event store ---------------------------------------------------------------------
    def con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection with view ``events`` over the unit's event files."""
        if self._con is None:
            con = duckdb.connect()
            con.execute("SET TimeZone = 'UTC'")
            self.store.duckdb_view(con, self.unit.code, "events")
            self._con = con
        return self._con

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        """Rows of a DuckDB query as dicts (``$name`` parameters)."""
        rel = self.con().sql(sql, params=params) if params else self.con().sql(sql)
        result: list[dict[str, Any]] = rel.to_arrow_table().to_pylist()
        return result

    def window(self, days: int) -> tuple[dt.date, dt.date]:
        """The last ``days`` days of events, ending at the horizon (inclusive)."""
        end = self.horizon or self.as_of
        return end - dt.timedelta(days=max(days, 1) - 1), end

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    # -- people --------------------------------------------------------------------------
    def people(self) -> dict[int, Person]:
        """Every person of the unit by id."""
        if "people" not in self.cache:
            self.cache["people"] = {
                p.id: p
                for p in self.session.scalars(select(Person).where(Person.unit_id == self.unit.id))
            }
        people: dict[int, Person] = self.cache["people"]
        return people

    def by_user_key(self) -> dict[str, Person]:
        """People by the comparable form of their staff id (as users appear in the logs)."""
        if "by_user_key" not in self.cache:
            self.cache["by_user_key"] = {user_key(p.staff_id): p for p in self.people().values()}
        found: dict[str, Person] = self.cache["by_user_key"]
        return found

    def nodes(self) -> dict[int, OrgNode]:
        if "nodes" not in self.cache:
            self.cache["nodes"] = {
                n.id: n
                for n in self.session.scalars(
                    select(OrgNode).where(OrgNode.unit_id == self.unit.id)
                )
            }
        nodes: dict[int, OrgNode] = self.cache["nodes"]
        return nodes

    def who(self, person_id: int | None) -> tuple[str, str]:
        """A person as ``Name (STAFF)`` and as their pseudonym."""
        p = self.people().get(person_id) if person_id is not None else None
        if p is None:
            return "(nobody)", "(nobody)"
        return f"{p.full_name} ({p.staff_id})", p.pseudonym

    def who_user(self, user: str) -> tuple[str, str, Person | None]:
        """A user of the logs as a person when one matches, else as written; and masked."""
        p = self.by_user_key().get(user_key(user))
        if p is not None:
            label, masked = self.who(p.id)
            return label, masked, p
        return user, pseudonym(self.unit.code, user_key(user)), None

    def node_path(self, node_id: int | None) -> str:
        node = self.nodes().get(node_id) if node_id is not None else None
        return node.path if node else "(no department)"

    def working_days(self, after: dt.date, upto: dt.date) -> int:
        """Working days of the unit in ``(after, upto]`` (work days, holidays excluded)."""
        if "holidays" not in self.cache:
            self.cache["holidays"] = set(
                self.session.scalars(select(Holiday.day).where(Holiday.unit_id == self.unit.id))
            )
        work = set(self.unit.work_days or [1, 2, 3, 4, 5])
        holidays: set[dt.date] = self.cache["holidays"]
        count, day = 0, after + dt.timedelta(days=1)
        while day <= upto:
            count += day.isoweekday() in work and day not in holidays
            day += dt.timedelta(days=1)
        return count

    def cap(self, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
        """At most ``max_evidence`` rows, and how many there were."""
        return rows[: self.max_evidence], len(rows)
