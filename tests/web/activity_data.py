"""A small hand-made CERT folder (r6.2 layout) for the activity tests, ingested through the
real ingest service into the people of :mod:`web.prepared` (unit A, Asia/Shanghai).

What it holds (local times of unit A; ``EXPECTED`` has the counts the tests check):

* A001 (zhang) on 2026-10-05..07: a logon and a logoff a day on their own PC-0101, file
  copies to removable media from a share path naming them (``zhang.wei``), on 10-06 an
  e-mail to a colleague and to an outside address, an upload to a cloud site; on 10-06 at
  01:30 local (UTC: 10-05 17:30) a logon on PC-0106, the analyst's machine.
* A003 (the security officer's person) on 10-05: a logon on a path naming them.
* A006 (the analyst's own person) on 10-05 and 10-06: logons.
* ``svc_backup`` (no person of the unit) on 10-07: two logons on PC-0101.
* Unit B (Europe/Paris): B001 logons on 10-05 (must never show in unit A).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from keyguard.audit.context import Actor, actor_scope
from keyguard.ingest.service import ingest_cert
from keyguard.records.org.models import Unit
from keyguard.records.register.hosts import import_hosts

DAYS = [dt.date(2026, 10, 5), dt.date(2026, 10, 6), dt.date(2026, 10, 7)]
HEADERS = {
    "logon.csv": "id,date,user,pc,activity",
    "device.csv": "id,date,user,pc,file_tree,activity",
    "file.csv": "id,date,user,pc,filename,activity,to_removable_media,from_removable_media,content",
    "email.csv": "id,date,user,pc,to,cc,bcc,from,activity,size,attachments,content",
    "http.csv": "id,date,user,pc,url,activity,content",
}
OUTSIDE = "drop.box.77@freemail.example"
#: What the folder of unit A holds, by category over the three days.
EXPECTED = {
    "logon": 6 + 1 + 1 + 2 + 2,  # A001 logon/logoff x3, A001 on PC-0106, A003, A006 x2, svc x2
    "device": 2,
    "file": 6,
    "email": 1,
    "http": 1,
}
EXPECTED_UNKNOWN = 2
EXPECTED_A001 = {"logon": 7, "device": 2, "file": 6, "email": 1, "http": 1}


def _stamp(day: dt.date, hh_mm: str) -> str:
    return f"{day.month:02d}/{day.day:02d}/{day.year} {hh_mm}:00"


def unit_a_rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {name: [] for name in HEADERS}
    for d in DAYS:
        tag = d.isoformat()
        rows["logon.csv"] += [
            f"{{L-{tag}-in}},{_stamp(d, '08:10')},A001,PC-0101,Logon",
            f"{{L-{tag}-out}},{_stamp(d, '17:45')},A001,PC-0101,Logoff",
        ]
        for i in range(2):
            rows["file.csv"].append(
                f"{{F-{tag}-{i}}},{_stamp(d, f'10:{10 + i}')},A001,PC-0101,"
                f"\\\\fs01\\home\\zhang.wei\\falcon-{i}.doc,File Copy,True,False,"
                '"zebracontent words"'
            )
    d5, d6, d7 = DAYS
    rows["logon.csv"] += [
        f"{{L-night}},{_stamp(d6, '01:30')},A001,PC-0106,Logon",
        f"{{L-a3}},{_stamp(d5, '09:00')},A003,PC-0103,Logon",
        f"{{L-a6-1}},{_stamp(d5, '09:05')},A006,PC-0106,Logon",
        f"{{L-a6-2}},{_stamp(d6, '09:05')},A006,PC-0106,Logon",
        f"{{L-svc-1}},{_stamp(d7, '03:00')},svc_backup,PC-0101,Logon",
        f"{{L-svc-2}},{_stamp(d7, '03:05')},svc_backup,PC-0101,Logon",
    ]
    rows["device.csv"] += [
        f"{{D-1}},{_stamp(d6, '10:00')},A001,PC-0101,R:\\,Connect",
        f"{{D-2}},{_stamp(d6, '10:30')},A001,PC-0101,,Disconnect",
    ]
    rows["email.csv"].append(
        f"{{E-1}},{_stamp(d6, '11:00')},A001,PC-0101,jose.nunez@unit-a.example;{OUTSIDE},,,"
        "zhang.wei@unit-a.example,Send,20480,C:\\Users\\A001\\plan.doc(1200),"
        '"zebracontent body"'
    )
    rows["http.csv"].append(
        f"{{H-1}},{_stamp(d6, '12:00')},A001,PC-0101,http://www.dropbox.com/u/falcon-1.doc,"
        'WWW Upload,"zebracontent words"'
    )
    return rows


def write_folder(folder: Path, rows: dict[str, list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in rows.items():
        if lines:
            body = [HEADERS[name], *lines]
            (folder / name).write_text("\n".join(body) + "\n", encoding="utf-8")
    return folder


def load(session: Session, tmp: Path, home: Path | None = None, hosts: bool = True) -> None:
    """Ingest the folders of units A and B and (with ``hosts``) import unit A's hosts
    (PC-0101 is A001's, PC-0106 the analyst's, PC-0103 shared)."""
    with actor_scope(Actor(name="test:activity")):
        ingest_cert(
            session,
            folder=write_folder(tmp / "cert-a", unit_a_rows()),
            unit_code="unit-a",
            import_ldap=False,
            home=home,
        )
        b_rows = {
            "logon.csv": [
                f"{{LB-{i}}},{_stamp(DAYS[0], f'09:0{i}')},B001,PC-B01,Logon" for i in range(3)
            ]
        }
        ingest_cert(
            session,
            folder=write_folder(tmp / "cert-b", b_rows),
            unit_code="unit-b",
            import_ldap=False,
            home=home,
        )
        if not hosts:
            return
        table = tmp / "hosts.csv"
        table.write_text(
            "host,assigned_staff_id,shared,removable_media_allowed\n"
            "PC-0101,A001,false,false\nPC-0106,A006,false,false\nPC-0103,,true,false\n",
            encoding="utf-8",
        )
        unit = session.query(Unit).filter_by(code="unit-a").one()
        import_hosts(session, unit=unit, path=table, known_from=dt.date(2026, 1, 1))
