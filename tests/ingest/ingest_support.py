"""Small hand-made CERT folders in the layouts of r4.2, r5.2 and r6.2, and helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy.orm import Session

from keyguard.events.store import EventStore
from keyguard.ingest.context import RunContext
from keyguard.ingest.service import IngestResult, ingest_cert

#: Words that only ever appear in content columns: they must never reach the store.
SECRET = "zebracontent"

HEADERS = {
    "r4.2": {
        "logon.csv": "id,date,user,pc,activity",
        "device.csv": "id,date,user,pc,activity",
        "file.csv": "id,date,user,pc,filename,content",
        "email.csv": "id,date,user,pc,to,cc,bcc,from,size,attachments,content",
        "http.csv": "id,date,user,pc,url,content",
    },
    "r6.2": {
        "logon.csv": "id,date,user,pc,activity",
        "device.csv": "id,date,user,pc,file_tree,activity",
        "file.csv": "id,date,user,pc,filename,activity,to_removable_media,"
        "from_removable_media,content",
        "email.csv": "id,date,user,pc,to,cc,bcc,from,activity,size,attachments,content",
        "http.csv": "id,date,user,pc,url,activity,content",
    },
}
HEADERS["r5.2"] = HEADERS["r6.2"]

ROWS = {
    "r4.2": {
        "logon.csv": [
            "{L1-42},01/04/2010 07:12:00,ACM2278,PC-0001,Logon",
            "{L2-42},01/04/2010 17:40:30,ACM2278,PC-0001,Logoff",
        ],
        "device.csv": [
            "{D1-42},01/04/2010 09:00:00,ACM2278,PC-0001,Connect",
            "{D2-42},01/04/2010 09:10:00,ACM2278,PC-0001,Disconnect",
        ],
        "file.csv": [
            f"{{F1-42}},01/04/2010 09:05:00,ACM2278,PC-0001,R:\\docs\\plan.doc,"
            f"D0-CF-11-E0 {SECRET} words, and commas, here",
        ],
        "email.csv": [
            "{E1-42},01/04/2010 10:00:00,ACM2278,PC-0001,bob@dtaa.com;eve@rival.example,,,"
            f"acm@dtaa.com,20480,2,{SECRET} mail body, with, commas",
        ],
        "http.csv": [
            f"{{H1-42}},01/04/2010 11:00:00,ACM2278,PC-0001,http://www.wikileaks.org/page,"
            f"{SECRET} page words, more",
        ],
    },
    "r6.2": {
        "logon.csv": [
            "{L1-62},01/04/2010 07:12:00,ACM2278,PC-0001,Logon",
            "{L2-62},01/04/2010 17:40:30,ACM2278,PC-0001,Logoff",
        ],
        "device.csv": [
            "{D1-62},01/04/2010 09:00:00,ACM2278,PC-0001,R:\\;R:\\holiday-photos,Connect",
            "{D2-62},01/04/2010 09:10:00,ACM2278,PC-0001,,Disconnect",
        ],
        "file.csv": [
            f"{{F1-62}},01/04/2010 09:05:00,ACM2278,PC-0001,R:\\docs\\plan.doc,File Copy,True,"
            f'False,"D0-CF-11-E0 {SECRET} words, and commas"',
            f"{{F2-62}},01/04/2010 09:06:00,ACM2278,PC-0001,C:\\docs\\b.pdf,File Open,False,"
            f'False,"25-50-44-46 {SECRET}"',
        ],
        "email.csv": [
            "{E1-62},01/04/2010 10:00:00,ACM2278,PC-0001,bob@dtaa.com;eve@rival.example,"
            "ann@dtaa.com,,acm@dtaa.com,Send,20480,C:\\a\\plan.doc(1200);C:\\b\\x.pdf(300),"
            f'"{SECRET} mail body, with, commas"',
            "{E2-62},01/04/2010 10:05:00,ACM2278,PC-0001,acm@dtaa.com,,,bob@dtaa.com,View,999,"
            f',"{SECRET}"',
        ],
        "http.csv": [
            "{H1-62},01/04/2010 11:00:00,ACM2278,PC-0001,http://www.dropbox.com/u/plan.doc,"
            f'WWW Upload,"{SECRET} page words, more"',
            "{H2-62},01/04/2010 11:01:00,ACM2278,PC-0001,http://news.example.com/a?q=1,"
            f'WWW Visit,"{SECRET}"',
        ],
    },
}
ROWS["r5.2"] = {
    name: [r.replace("-62}", "-52}") for r in rows] for name, rows in ROWS["r6.2"].items()
}

PSYCHOMETRIC = "employee_name,user_id,O,C,E,A,N\nAnn Example,ACM2278,41,32,23,14,25\n"
DECOY = "decoy_filename,pc\nC:\\secret\\salaries.xlsx,PC-0001\nR:\\fake\\keys.txt,PC-0002\n"


def write_cert(
    folder: Path,
    release: str = "r6.2",
    *,
    header: bool = True,
    extra: dict[str, list[str]] | None = None,
) -> Path:
    """A CERT folder of ``release`` with every activity file (and psychometric, decoys)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in ROWS[release].items():
        lines = ([HEADERS[release][name]] if header else []) + rows + (extra or {}).get(name, [])
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "psychometric.csv").write_text(PSYCHOMETRIC, encoding="utf-8")
    if release == "r6.2":
        (folder / "decoy_file.csv").write_text(DECOY, encoding="utf-8")
    return folder


def write_file(folder: Path, name: str, lines: list[str], header: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    body = ([header] if header else []) + lines
    (folder / name).write_text("\n".join(body) + "\n", encoding="utf-8")
    return folder


def ingest(session: Session, folder: Path, **kw: Any) -> IngestResult:
    kw.setdefault("unit_code", "u1")
    return ingest_cert(session, folder=folder, **kw)


def run_context(home: Path, adapter: str, **kw: Any) -> RunContext:
    """A run of unit ``u1`` (Europe/Berlin) staged under ``home``, for the runner alone."""
    kw.setdefault("unit_tz", "Europe/Berlin")
    kw.setdefault("source_tz", "UTC")
    return RunContext(
        home=home, unit="u1", run_uid="run1", adapter=adapter, staging=home / "runs" / "x", **kw
    )


def events(home: Path, unit: str = "u1") -> pa.Table:
    return EventStore(home).read(unit)


def by_id(home: Path, unit: str = "u1") -> dict[str, dict[str, Any]]:
    return {r["event_id"]: r for r in events(home, unit).to_pylist()}


def comparable(table: pa.Table) -> list[tuple[Any, ...]]:
    """Events as sorted tuples without the run id (equal for equal stores)."""
    rows = table.drop_columns(["ingest_run"]).to_pylist()
    return sorted(tuple(sorted((k, repr(v)) for k, v in r.items())) for r in rows)


def store_text(home: Path) -> str:
    """Every string value in the event store and the rejects store, concatenated."""
    store = EventStore(home)
    parts: list[str] = []
    for unit in store.units():
        for table in (store.read(unit), store.rejects(unit), store.decoys(unit)):
            parts.append(repr(table.to_pylist()))
    return "\n".join(parts)


def counts(result: IngestResult) -> dict[str, dict[str, int]]:
    keys = ("read", "accepted", "duplicate", "rejected", "skipped", "outside_retention")
    return {f.name: {k: getattr(f, k) for k in keys} for f in result.files}
