"""The unit's calendar: holidays, weekends and the hour that does not exist at the switch to
summer time."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

from gen_support import ACTIVITY, SMALL, read_rows

from keyguard.generator import generate
from keyguard.generator.calendar import build_calendar, easter_sunday, public_holidays


def test_easter_and_holidays() -> None:
    assert easter_sunday(2024) == dt.date(2024, 3, 31)
    assert easter_sunday(2025) == dt.date(2025, 4, 20)
    berlin = dict(public_holidays(2024, "Europe/Berlin"))
    assert berlin[dt.date(2024, 3, 29)] == "Good Friday"
    assert berlin[dt.date(2024, 10, 3)] == "Day of German Unity"
    assert dt.date(2024, 10, 3) not in dict(public_holidays(2024, "Europe/London"))
    cal = build_calendar(dt.date(2024, 3, 25), 14, "Europe/Berlin")
    assert not cal.workday[4] and not cal.workday[7]  # Good Friday, Easter Monday
    assert cal.gap[6].tolist() == [7200, 10800]  # 31 March 02:00-03:00 does not exist
    assert cal.gap[0].tolist() == [-1, -1]


def test_period_over_easter_and_dst(tmp_path: Path) -> None:
    params = dataclasses.replace(SMALL, start=dt.date(2024, 3, 18), days=28, seed=11)
    generate(params, tmp_path / "out", tmp_path / "answers")
    meta = json.loads((tmp_path / "answers" / "meta.json").read_text())
    listed = {h["date"] for h in meta["public_holidays"]}
    assert {"2024-01-01", "2024-03-29", "2024-04-01", "2024-10-03", "2024-12-25"} <= listed
    assert all(d.startswith("2024-") for d in listed)
    for name in ACTIVITY:
        for row in read_rows(tmp_path / "out" / name)[1:]:
            if len(row) > 1:
                assert not row[1].startswith("03/31/2024 02:"), row
    logons = [r for r in read_rows(tmp_path / "out" / "logon.csv")[1:] if len(r) == 5]
    good_friday = [r for r in logons if r[1].startswith("03/29/2024")]
    normal_friday = [r for r in logons if r[1].startswith("03/22/2024")]
    assert len(good_friday) < 0.2 * len(normal_friday)
