"""Benchmark of ``keyguard generate``: wall time and peak memory for one size.

Usage::

    .venv/bin/python bench/bench_generate.py --users 1000 --days 365 --seed 1 --out bench-out/gen

Prints the command, the rows written per file, the elapsed time and the peak resident set
size of the process (``resource.getrusage``). Output goes to ``--out`` (data) and
``--out``-answers (labels); both are overwritten.
"""

from __future__ import annotations

import argparse
import resource
import shlex
import sys
import time
from pathlib import Path

from keyguard.generator import GeneratorParams, generate


def main() -> None:
    """Run one generation and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("bench-out/gen"))
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args()
    out = args.out
    answers = out.with_name(out.name + "-answers")
    command = " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv])
    began = time.perf_counter()
    result = generate(
        GeneratorParams(users=args.users, days=args.days, seed=args.seed),
        out,
        answers,
        progress=args.progress,
        command=command,
    )
    elapsed = time.perf_counter() - began
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"command: {command}")
    for name, rows in sorted(result.counts.items()):
        print(f"  {name:24s} {rows:>12,d} rows")
    print(f"people: {result.people}  insiders: {result.insiders}  dirty rows: {result.dirty_rows}")
    print(f"output: {size / 1e9:.2f} GB in {out}")
    print(f"elapsed: {elapsed:.1f} s")
    print(f"peak RSS: {peak_kib / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
