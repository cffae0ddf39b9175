"""register / grants / hosts CSV imports: bad rows refused with file, line and reason,
valid rows imported, nothing stored lost, the same import twice changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from kg_register_builders import World
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyguard.errors import InputError
from keyguard.records.register.grants import need_to_know
from keyguard.records.register.hosts import host_assignments, import_hosts
from keyguard.records.register.imports import import_grants, import_register
from keyguard.records.register.models import Grant, GrantApproval, Item, ItemLocation
from keyguard.records.register.service import item_by_reference

D = dt.date
REGISTER = """\
reference,title,level,owner_department,location,compartment,custodian,owner,review_date
REG-1,Kestrel,secret,1 - Research,\\\\fs03\\research\\kestrel\\*,KESTREL,ALI0001,EVE0005,2026-06-30
REG-2,Kestrel wiki,confidential,Company / Engineering / 1 - Research,http://intranet.example/wiki/kestrel/*,,,EVE0005,
REG-3,Budget,top secret,2 - Finance,\\\\fs03\\finance\\budget.xlsx | physical:B2.14/S3,,,,
REG-4,Bad pattern,secret,1 - Research,projects\\*,,,,
REG-1,Duplicate,secret,1 - Research,\\\\fs03\\x\\*,,,,
REG-5,Unknown owner,secret,1 - Research,\\\\fs03\\y\\*,,,NOBODY,
REG-6,Bad level,cosmic,1 - Research,\\\\fs03\\z\\*,,,,
REG-7,Short row,secret
REG-8,Unknown dept,secret,9 - Nowhere,\\\\fs03\\w\\*,,,,
REG-9,Safe only,confidential,1 - Research,physical:Vault 1,,,,
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _snapshot(session: Session) -> list[tuple]:  # type: ignore[type-arg]
    items = session.execute(
        select(
            Item.reference,
            Item.title,
            Item.level,
            Item.compartment,
            Item.owner_id,
            Item.room,
            Item.safe,
        ).order_by(Item.reference)
    ).all()
    locs = session.execute(select(ItemLocation.normalised).order_by(ItemLocation.normalised)).all()
    grants = session.execute(
        select(
            Grant.id,
            Grant.valid_from,
            Grant.valid_to,
            Grant.known_from,
            Grant.purpose,
            Grant.superseded_by_id,
        ).order_by(Grant.id)
    ).all()
    approvals = session.scalar(select(func.count()).select_from(GrantApproval))
    return [tuple(items), tuple(locs), tuple(grants), approvals]


@pytest.mark.pg
def test_register_import_bad_rows_and_idempotency(
    session: Session, world: World, tmp_path: Path
) -> None:
    path = _write(tmp_path, "register.csv", REGISTER)
    report = import_register(session, unit=world.unit, path=path)
    assert (report.read, report.created, report.rejected) == (10, 4, 6)
    reasons = {p.line: str(p) for p in report.problems}
    assert reasons[5].startswith(f"{path}:5: ") and "not an absolute path" in reasons[5]
    assert "duplicate reference REG-1 (first on line 2)" in reasons[6]
    assert "NOBODY" in reasons[7]
    assert "cosmic" in reasons[8]
    assert "cells where the header has 9 columns" in reasons[9]
    assert "9 - Nowhere" in reasons[10]
    reg3 = item_by_reference(session, world.unit.id, "reg-3")
    assert (reg3.room, reg3.safe, reg3.level) == ("B2.14", "S3", "top secret")
    assert item_by_reference(session, world.unit.id, "REG-1").compartment == "KESTREL"
    before = _snapshot(session)
    again = import_register(session, unit=world.unit, path=path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert _snapshot(session) == before
    # a changed level is refused, a new location is added, nothing is removed
    changed = _write(
        tmp_path,
        "register2.csv",
        REGISTER.splitlines()[0] + "\n"
        "REG-1,Kestrel data v2,secret,1 - Research,\\\\fs03\\research\\kestrel2\\*,,,,\n"
        "REG-2,Kestrel wiki,secret,1 - Research,http://intranet.example/wiki/kestrel/*,,,,\n",
    )
    r3 = import_register(session, unit=world.unit, path=changed)
    assert (r3.updated, r3.rejected) == (1, 1)
    assert "record a downgrade" in str(r3.problems[0])
    reg1 = item_by_reference(session, world.unit.id, "REG-1")
    assert reg1.title == "Kestrel data v2" and len(reg1.locations) == 2


def test_missing_required_column_fails_the_file(
    session: Session, world: World, tmp_path: Path
) -> None:
    path = _write(tmp_path, "register.csv", "reference,title,level,location\nR,T,secret,/x/*\n")
    with pytest.raises(InputError, match=r"missing column.*owner_department"):
        import_register(session, unit=world.unit, path=path)


GRANTS = """grantee_type,grantee,item_reference,purpose,start,end,approved_by
team,1 - Alpha,REG-1,project work,2024-01-01,,EVE0005
department,1 - Research,REG-2,department work,2024-01-01,,EVE0005
position,SecurityOfficer,REG-1,security oversight,2024-01-01,,EVE0005
person,CAR0003,REG-3,budget,2024-01-01,2024-06-30,EVE0005;DAN0004
person,BOB0002,REG-3,budget,2024-01-01,,EVE0005
person,ALI0001,level:confidential,reading,2024-02-01,,DAN0004
person,NOBODY,REG-1,x,2024-01-01,,EVE0005
person,ALI0001,REG-404,x,2024-01-01,,EVE0005
person,ALI0001,REG-1,x,2024-01-01,,BOB0002
person,ALI0001,REG-1,x,2024-01-01,,ALI0001
person,ALI0001,REG-1,x,2024-03-01,2024-02-01,EVE0005
person,ALI0001,REG-1,x,2024-03-01,,EVE0005;EVE0005
robot,R2,REG-1,x,2024-01-01,,
person,ALI0001,REG-1,,2024-01-01,,
"""


@pytest.mark.pg
def test_grants_import_bad_rows_idempotency_and_changed_end(
    session: Session, world: World, tmp_path: Path
) -> None:
    w = world
    import_register(session, unit=w.unit, path=_write(tmp_path, "register.csv", REGISTER))
    path = _write(tmp_path, "grants.csv", GRANTS)
    report = import_grants(session, unit=w.unit, path=path, today=D(2026, 3, 1))
    assert (report.read, report.created, report.rejected) == (14, 6, 8)
    reasons = {p.line: str(p).split(": ", 1)[1] for p in report.problems}
    assert "NOBODY" in reasons[8]
    assert "REG-404" in reasons[9]
    assert "BOB0002 may not approve" in reasons[10]  # an unauthorised approver
    assert "approved their own access" in reasons[11]
    assert "before the start" in reasons[12]
    assert "named twice" in reasons[13]
    assert "robot" in reasons[14]
    assert "empty purpose" in reasons[15]
    # a top-secret grant with one approval is stored and flagged
    assert any(p.line == 6 and "2 are required" in str(p) for p in report.warnings)
    ali, bob, car, fay = (w.people[s] for s in ("ALI0001", "BOB0002", "CAR0003", "FAY0006"))
    reg1, reg2, reg3 = (
        item_by_reference(session, w.unit.id, r) for r in ("REG-1", "REG-2", "REG-3")
    )
    assert need_to_know(session, ali, reg1, D(2024, 5, 1))  # team 1 - Alpha under Research
    assert not need_to_know(session, car, reg1, D(2024, 5, 1))  # Finance's 1 - Alpha
    assert need_to_know(session, fay, reg1, D(2024, 5, 1))  # position (job title)
    assert need_to_know(session, bob, reg2, D(2024, 5, 1))
    assert need_to_know(session, car, reg3, D(2024, 6, 30))
    assert not need_to_know(session, car, reg3, D(2024, 7, 1))
    assert need_to_know(session, ali, reg2, D(2024, 2, 1))  # level grant covers confidential
    before = _snapshot(session)
    again = import_grants(session, unit=w.unit, path=path, today=D(2026, 3, 1))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    assert _snapshot(session) == before
    # The end of Carol's grant is extended on 1 March 2026: earlier days keep what was known.
    extended = _write(
        tmp_path,
        "grants2.csv",
        GRANTS.splitlines()[0] + "\n"
        "person,CAR0003,REG-3,budget,2024-01-01,2026-12-31,EVE0005;DAN0004\n",
    )
    r2 = import_grants(session, unit=w.unit, path=extended, today=D(2026, 3, 1))
    assert r2.updated == 1
    assert not need_to_know(session, car, reg3, D(2025, 1, 1))
    assert need_to_know(session, car, reg3, D(2026, 3, 1))
    r3 = import_grants(session, unit=w.unit, path=extended, today=D(2026, 3, 2))
    assert (r3.created, r3.updated, r3.unchanged) == (0, 0, 1)


@pytest.mark.pg
def test_hosts_import(session: Session, world: World, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "hosts.csv",
        "host,assigned_staff_id,shared,removable_media_allowed\n"
        "PC-1001,ALI0001,False,False\nLAB-1,,True,True\nPC-1002,NOBODY,False,False\n"
        "PC-1003,BOB0002,maybe,False\npc-1001,BOB0002,False,False\n",
    )
    report = import_hosts(session, unit=world.unit, path=path, known_from=D(2024, 1, 1))
    assert (report.created, report.rejected) == (2, 3)
    assert "duplicate host pc-1001 (first on line 2)" in str(report.problems[-1])
    rows = {r["host"]: r for r in host_assignments(session, world.unit).to_pylist()}
    assert rows["PC-1001"]["assigned_staff_id"] == "ALI0001"
    assert rows["PC-1001"]["source"] == "import" and not rows["PC-1001"]["shared"]
    assert rows["LAB-1"]["removable_media_allowed"] and rows["LAB-1"]["shared"]
    again = import_hosts(session, unit=world.unit, path=path, known_from=D(2024, 1, 1))
    assert again.unchanged == 2 and again.created == again.updated == 0
