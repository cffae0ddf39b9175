"""Run by test_ingest_crash.py in a subprocess: an ingest that stops at a chosen progress
step and waits there to be killed with SIGKILL.

Usage: python crash_child.py FOLDER STEP_PREFIX AT
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from keyguard.db.session import session_scope
from keyguard.ingest.service import ingest_cert


def main() -> None:
    folder, prefix, at = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])

    def progress(step: str, done: int, total: int, rows: int) -> None:
        if step.startswith(prefix) and done >= at:
            print("READY", flush=True)
            time.sleep(300)

    with session_scope() as session:
        ingest_cert(session, folder=folder, unit_code="u1", progress=progress)
    print("FINISHED", flush=True)


if __name__ == "__main__":
    main()
