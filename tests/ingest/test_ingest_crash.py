"""A real ingest process killed with SIGKILL in the middle leaves no half-written partition
visible; running the same ingest again completes it, with the same result as a clean run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from ingest_support import comparable, events, ingest, write_file
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.events.schema import EVENT_SCHEMA
from keyguard.events.store import EventStore
from keyguard.ingest.models import IngestRun

CHILD = Path(__file__).with_name("crash_child.py")


def cert_days(folder: Path, days: int = 6) -> Path:
    logons = [
        f"{{L{d}-{h}}},01/{d + 1:02d}/2010 {h:02d}:15:00,U{h},PC-{h},Logon"
        for d in range(days)
        for h in range(7, 12)
    ]
    web = [
        f"{{W{d}-{h}}},01/{d + 1:02d}/2010 {h:02d}:20:00,U{h},PC-{h},http://a{h}.example/,"
        f'WWW Visit,"words"'
        for d in range(days)
        for h in range(7, 12)
    ]
    write_file(folder, "logon.csv", logons, header="id,date,user,pc,activity")
    write_file(folder, "http.csv", web, header="id,date,user,pc,url,activity,content")
    return folder


def run_until_ready(folder: Path, step: str, at: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(folder), step, str(at)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(proc.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout=240)
    if not got or got[0].strip() != "READY":
        proc.kill()
        raise AssertionError(f"child did not reach {step}: {got} {proc.stderr.read()}")  # type: ignore[union-attr]
    return proc


@pytest.mark.parametrize(("step", "at"), [("read logon.csv", 1), ("commit", 2)])
def test_sigkill_mid_run_then_rerun_equals_a_clean_run(
    session: Session, home: Path, tmp_path: Path, step: str, at: int
) -> None:
    folder = cert_days(tmp_path / "cert")
    proc = run_until_ready(folder, step, at)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL

    store = EventStore(home)
    visible = store.files("u1")
    assert len(visible) == (0 if step.startswith("read") else 2)
    for f in visible:  # whatever is visible is a complete file
        assert pq.read_table(f).schema.names == EVENT_SCHEMA.names
    assert not list(home.glob("events/**/*.tmp"))
    killed = session.scalars(select(IngestRun)).one()
    assert killed.status == "running"
    assert (home / "runs" / f"ingest-{killed.uid}").exists()

    clean_home = tmp_path / "clean"
    ingest(session, folder, home=clean_home)
    clean = comparable(events(clean_home))

    partial = comparable(events(home))
    assert set(partial) <= set(clean)
    result = ingest(session, folder)
    assert comparable(events(home)) == clean
    assert sum(f.accepted for f in result.files) == len(clean) - len(partial)
    session.expire_all()
    statuses = {r.uid: r.status for r in session.scalars(select(IngestRun))}
    assert statuses[killed.uid] == "interrupted"
    assert statuses[result.run_uid] == "complete"
    assert not (home / "runs" / f"ingest-{killed.uid}").exists()
