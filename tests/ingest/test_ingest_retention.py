"""Every ingest applies the unit's raw-event retention period once the unit has set one:
rows of local days before the cut-off (or before ``keep_from``, whichever is later) are
counted "outside retention" and never stored, the run records the effective ``keep_from``,
and an old export ingested again after a purge brings nothing back. Without a period every
day is stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from ingest_support import by_id, counts, ingest, write_file
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.errors import ConfigError
from keyguard.events.store import EventStore
from keyguard.ingest.models import IngestRun
from keyguard.ingest.service import get_run
from keyguard.privacy.retention import RetentionPolicy
from keyguard.records.org.models import Unit

LOGON = "id,date,user,pc,activity"
EXPORT = [
    "{A1},01/04/2010 07:00:00,U1,PC-1,Logon",  # 2010-01-04
    "{A2},01/04/2010 17:00:00,U1,PC-1,Logoff",
    "{B1},03/01/2010 07:00:00,U1,PC-1,Logon",  # 2010-03-01
    "{C1},06/01/2010 07:00:00,U1,PC-1,Logon",  # 2010-06-01
]


def _retention(session: Session, days: int) -> None:
    unit = session.scalars(select(Unit).where(Unit.code == "u1")).one()
    unit.settings = {**(unit.settings or {}), "retention": {"raw_events": days}}
    session.commit()


def test_without_a_raw_event_period_a_historical_export_loads_whole(
    session: Session, home: Path, tmp_path: Path, now: Callable[[str], None]
) -> None:
    # Years after the export was made, with no period set by the unit, every day is kept
    # (a historical export is investigated as it is); a period, once set, applies.
    now("2026-11-29T10:00:00")
    assert RetentionPolicy().raw_events is None
    folder = write_file(tmp_path / "c", "logon.csv", EXPORT, header=LOGON)
    result = ingest(session, folder)
    assert counts(result)["logon.csv"]["outside_retention"] == 0
    assert set(by_id(home)) == {"{A1}", "{A2}", "{B1}", "{C1}"}
    assert get_run(session, result.run_uid).keep_from is None
    assert not [n for n in result.notes if n.startswith("retention:")]


def test_a_set_period_applies_to_every_ingest(
    session: Session, home: Path, tmp_path: Path, now: Callable[[str], None]
) -> None:
    folder = write_file(tmp_path / "c", "logon.csv", EXPORT[:1], header=LOGON)
    ingest(session, folder)  # creates unit u1
    _retention(session, 730)
    now("2012-02-01T10:00:00")  # 730 days: the first local day kept is 2010-02-01
    folder = write_file(tmp_path / "d", "logon.csv", EXPORT, header=LOGON)
    result = ingest(session, folder)
    c = counts(result)["logon.csv"]
    assert (c["outside_retention"], c["duplicate"], c["accepted"]) == (2, 0, 2)
    assert set(by_id(home)) == {"{A1}", "{B1}", "{C1}"}  # A1 was stored before the period
    assert get_run(session, result.run_uid).keep_from == dt.date(2010, 2, 1)
    assert "retention: local days before 2010-02-01 are not stored" in result.notes


def test_the_later_of_retention_and_keep_from(
    session: Session, home: Path, tmp_path: Path, now: Callable[[str], None]
) -> None:
    folder = write_file(tmp_path / "c", "logon.csv", EXPORT[:1], header=LOGON)
    ingest(session, folder)  # creates unit u1
    _retention(session, 400)
    now("2011-02-05T10:00:00")  # cut-off 2010-01-01
    folder = write_file(tmp_path / "d", "logon.csv", EXPORT, header=LOGON)
    later = ingest(session, folder, keep_from=dt.date(2010, 2, 1))
    assert get_run(session, later.run_uid).keep_from == dt.date(2010, 2, 1)
    assert counts(later)["logon.csv"]["outside_retention"] == 2
    now("2011-04-06T10:00:00")  # cut-off 2010-03-02: later than the keep_from asked for
    again = ingest(session, folder, keep_from=dt.date(2010, 2, 1))
    assert get_run(session, again.run_uid).keep_from == dt.date(2010, 3, 2)
    c = counts(again)["logon.csv"]
    assert (c["outside_retention"], c["duplicate"], c["accepted"]) == (3, 1, 0)


def test_an_old_export_ingested_again_after_a_purge_brings_nothing_back(
    session: Session, home: Path, tmp_path: Path, now: Callable[[str], None]
) -> None:
    store = EventStore(home)
    folder = write_file(tmp_path / "c", "logon.csv", EXPORT, header=LOGON)
    now("2010-07-01T10:00:00")
    first = ingest(session, folder)
    assert first.totals["accepted"] == 4
    _retention(session, 400)
    now("2011-04-06T10:00:00")  # cut-off 2010-03-02: the purge job drops older days
    assert store.drop_days("u1", [d for d in store.days("u1") if d < dt.date(2010, 3, 2)]) == (
        2,
        3,
    )
    again = ingest(session, folder)  # no keep_from given: retention alone keeps them out
    c = counts(again)["logon.csv"]
    assert (c["read"], c["outside_retention"], c["duplicate"], c["accepted"]) == (4, 3, 1, 0)
    assert store.days("u1") == [dt.date(2010, 6, 1)]
    assert set(by_id(home)) == {"{C1}"}


def test_a_policy_that_cannot_be_read_stops_the_run_before_anything_is_recorded(
    session: Session, home: Path, tmp_path: Path
) -> None:
    folder = write_file(tmp_path / "c", "logon.csv", EXPORT[:1], header=LOGON)
    ingest(session, folder)
    _retention(session, 0)  # raw_events must be at least one day
    runs = session.scalars(select(IngestRun)).all()
    with pytest.raises(ConfigError, match=r"retention\.raw_events"):
        ingest(session, folder)
    session.rollback()
    assert session.scalars(select(IngestRun)).all() == runs
