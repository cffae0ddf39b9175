"""``make bench``: run every benchmark module of this folder in turn.

Each module prints its own figures with the command that made them. ``BENCH_ARGS`` (passed
as arguments here) selects modules: ``python -m bench generate ingest``; with none, all run.
Benchmarks are never timing asserts: they measure and print.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import time
from pathlib import Path

ORDER = ["generate", "ingest", "matching", "detect"]


def available() -> list[str]:
    names = [
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    ]
    return sorted(names, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


def main(argv: list[str]) -> int:
    chosen = [a for a in argv if not a.startswith("-")] or available()
    unknown = sorted(set(chosen) - set(available()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}")
        return 2
    failed = []
    for name in chosen:
        cmd = [sys.executable, "-m", f"bench.bench_{name}"]
        print(f"\n=== bench {name}: {' '.join(cmd)}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call(cmd)
        print(f"=== bench {name}: exit {rc} after {time.perf_counter() - t0:.1f} s", flush=True)
        if rc:
            failed.append(name)
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
