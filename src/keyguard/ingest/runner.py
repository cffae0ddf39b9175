"""Running planned files through both phases: read and stage every file (nothing visible
yet), then commit. An error before the commit leaves the store untouched."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from keyguard.errors import InputError
from keyguard.ingest.commit import commit
from keyguard.ingest.context import FileCounts, PlannedFile, RunContext
from keyguard.ingest.lines import LineChunk, LineSource, is_blank, prefetch
from keyguard.ingest.staging import Stager


def _nonblank(chunk: LineChunk, header_lines: int) -> int:
    return sum(
        1 for i, b in enumerate(chunk.lines()) if not is_blank(b) and chunk.first + i > header_lines
    )


def _chunks(source: LineSource, path: Path) -> Iterator[LineChunk]:
    try:
        yield from source
    except OSError as exc:
        raise InputError(str(path), f"cannot read the file ({exc.strerror or exc})") from exc


def _pair(fn: Callable[[LineChunk], Any]) -> Callable[[LineChunk], tuple[LineChunk, Any]]:
    return lambda chunk: (chunk, fn(chunk))


def stage_files(ctx: RunContext, files: list[PlannedFile]) -> tuple[list[FileCounts], Stager]:
    """Phase 1: every file read once (SHA-256 on the way), rows staged or rejected."""
    stager = Stager(ctx)
    counts: list[FileCounts] = []
    for seq, pf in enumerate(files):
        fc = FileCounts(pf.name, pf.kind, pf.variant, seq=seq)
        counts.append(fc)
        source = LineSource(pf.path)
        total = pf.path.stat().st_size
        step = f"read {pf.name}"
        ctx.report(step, 0, total, 0)
        if pf.action == "policy_skip":
            for chunk in _chunks(source, pf.path):
                stager.skip(fc, _nonblank(chunk, pf.header_lines))
                ctx.report(step, min(chunk.offset, total), total, fc.read)
        else:
            assert pf.parser is not None
            for chunk, prepared in prefetch(_chunks(source, pf.path), _pair(pf.parser.prepare)):
                for table in pf.parser.tables(ctx, prepared, fc):
                    if pf.action == "decoys":
                        stager.add_decoys(fc, table)
                    else:
                        stager.add(fc, table)
                ctx.report(step, min(chunk.offset, total), total, fc.read)
        fc.sha256 = source.sha256
        fc.size_bytes = source.size
        ctx.report(step, total, total, fc.read)
    return counts, stager


def run(ctx: RunContext, files: list[PlannedFile]) -> list[FileCounts]:
    """Both phases; returns the per-file counts (balanced) after the commit."""
    try:
        counts, stager = stage_files(ctx, files)
        commit(ctx, stager, counts)
    finally:
        ctx.close()
    unbalanced = [fc.name for fc in counts if not fc.balanced()]
    if unbalanced:  # a bug, never bad input: say so loudly
        raise RuntimeError(f"ingest counts do not add up for {', '.join(unbalanced)}")
    return counts


def remove_staging(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
