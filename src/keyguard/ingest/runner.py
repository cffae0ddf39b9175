"""Running planned files through both phases: read and stage every file (nothing visible
yet), then commit. An error before the commit leaves the store untouched."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from keyguard.errors import InputError
from keyguard.ingest.commit import commit
from keyguard.ingest.context import FileCounts, Parser, PlannedFile, RunContext
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


def _batches(
    items: Iterator[tuple[LineChunk, Any]], parser: Parser
) -> Iterator[tuple[LineChunk, Any]]:
    """Consecutive prepared chunks combined until they hold ``parser.batch_rows`` rows
    (with the last chunk of each batch, for progress)."""
    if parser.batch_rows <= 0:
        yield from items
        return
    group: list[Any] = []
    rows = 0
    last: LineChunk | None = None
    for chunk, prepared in items:
        group.append(prepared)
        rows += parser.rows_of(prepared)
        last = chunk
        if rows >= parser.batch_rows:
            yield last, parser.combine(group)
            group, rows = [], 0
    if group and last is not None:
        yield last, parser.combine(group)


def stage_files(ctx: RunContext, files: list[PlannedFile], stager: Stager) -> list[FileCounts]:
    """Phase 1: every file read once (SHA-256 on the way), rows staged or rejected."""
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
            prepared_chunks = prefetch(_chunks(source, pf.path), _pair(pf.parser.prepare))
            for chunk, prepared in _batches(prepared_chunks, pf.parser):
                for table in pf.parser.tables(ctx, prepared, fc):
                    if pf.action == "decoys":
                        stager.add_decoys(fc, table)
                    else:
                        stager.add(fc, table)
                ctx.report(step, min(chunk.offset, total), total, fc.read)
        stager.end_file(fc)
        fc.sha256 = source.sha256
        fc.size_bytes = source.size
        ctx.report(step, total, total, fc.read)
    return counts


def run(ctx: RunContext, files: list[PlannedFile]) -> list[FileCounts]:
    """Both phases; returns the per-file counts (balanced) after the commit."""
    stager = Stager(ctx)
    try:
        counts = stage_files(ctx, files, stager)
        commit(ctx, stager, counts)
    except BaseException:
        stager.abandon()
        raise
    finally:
        ctx.close()
    unbalanced = [fc.name for fc in counts if not fc.balanced()]
    if unbalanced:  # a bug, never bad input: say so loudly
        raise RuntimeError(f"ingest counts do not add up for {', '.join(unbalanced)}")
    return counts


def remove_staging(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
