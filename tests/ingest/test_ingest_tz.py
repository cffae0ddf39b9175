"""The DuckDB time-zone tables give exactly Python's zoneinfo results (fold=0)."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import pyarrow as pa
import pytest

from keyguard.errors import ConfigError
from keyguard.ingest import tz


@pytest.mark.parametrize(
    "name",
    [
        "Europe/Berlin",
        "America/Sao_Paulo",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "Pacific/Apia",
        "UTC",
    ],
)
def test_tables_agree_with_zoneinfo(name: str) -> None:
    rng = random.Random(name)
    samples = [
        dt.datetime(1901, 1, 1) + dt.timedelta(seconds=rng.randrange(0, 199 * 365 * 86400))
        for _ in range(1500)
    ]
    times, before, after = tz.transitions(name)
    for t, a, b in list(zip(times.tolist(), before.tolist(), after.tolist(), strict=True))[-60:]:
        for delta in range(-5400, 5401, 900):
            samples.append(dt.datetime(1970, 1, 1) + dt.timedelta(seconds=t + max(a, b) + delta))
    con = duckdb.connect()
    con.register("l", tz.local_to_utc_table(name))
    con.register("u", tz.utc_to_local_table(name))
    con.register("s", pa.table({"t": pa.array(samples, pa.timestamp("us"))}))
    to_utc = con.sql(
        f"SELECT t, t - to_seconds({tz.offset_sql('t', 'l', 'b')}) FROM s "
        "LEFT JOIN l ON l.d = CAST(t AS DATE)"
    ).fetchall()
    for local, utc in to_utc:
        assert utc == tz.to_utc(local, name).replace(tzinfo=None), local
    to_local = con.sql(
        f"SELECT t, t + to_seconds({tz.offset_sql('t', 'u', 't')}) FROM s "
        "LEFT JOIN u ON u.d = CAST(t AS DATE)"
    ).fetchall()
    zone = tz.zone(name)
    for utc, local in to_local:
        assert local == utc.replace(tzinfo=dt.UTC).astimezone(zone).replace(tzinfo=None), utc


def test_gap_and_repeated_hour_in_berlin() -> None:
    assert tz.to_utc(dt.datetime(2024, 3, 31, 2, 30), "Europe/Berlin") == dt.datetime(
        2024, 3, 31, 1, 30, tzinfo=dt.UTC
    )
    assert tz.to_utc(dt.datetime(2024, 10, 27, 2, 30), "Europe/Berlin") == dt.datetime(
        2024, 10, 27, 0, 30, tzinfo=dt.UTC
    )


def test_unknown_zone() -> None:
    with pytest.raises(ConfigError, match="IANA"):
        tz.zone("Mars/Olympus")
