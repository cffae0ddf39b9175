"""``generate()``: build the unit, plan the scenarios, stream the activity week by week and
write the answers (``answers.csv``, ``events.csv``, ``meta.json``) to their own folder.

The output folder depends only on the parameters: where the answers go changes nothing in
it. Imports only the standard library, numpy, rich, ``keyguard.errors`` and sibling
modules of the generator.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from keyguard.errors import KeyguardError
from keyguard.generator import activity, scenarios
from keyguard.generator.calendar import build_calendar
from keyguard.generator.habits import build_habits
from keyguard.generator.org import build_org
from keyguard.generator.params import (
    ACTIVITY_FILES,
    HEADERS,
    STREAM_ACTIVITY,
    STREAM_DIRTY,
    STREAM_IDS,
    GeneratorParams,
    rng_for,
)
from keyguard.generator.register import build_register
from keyguard.generator.sites import COMPETITOR_DOMAINS
from keyguard.generator.static import write_csv, write_static
from keyguard.generator.tables import concat
from keyguard.generator.universe import build_pools
from keyguard.generator.world import World, build_world
from keyguard.generator.writer import DIRTY_KINDS, Writers

GENERATOR_VERSION = 1


@dataclass
class GenerateResult:
    """What was written, for the caller to print."""

    out: Path
    answers: Path
    counts: dict[str, int]
    people: int
    insiders: int
    dirty_rows: int
    seconds: float


class _Progress:
    """A rich progress bar, or nothing when ``enabled`` is false."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None

    @contextmanager
    def bar(self, label: str, total: int) -> Iterator[Any]:
        if not self.enabled:
            yield lambda: None
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
        ) as progress:
            task = progress.add_task(label, total=total)
            yield lambda: progress.advance(task)


def _check_folders(out: Path, answers: Path) -> tuple[Path, Path]:
    out = out.expanduser().resolve()
    answers = answers.expanduser().resolve()
    if answers == out:
        raise KeyguardError("--answers-out must be a folder of its own, not the output folder")
    if out.exists() and not out.is_dir():
        raise KeyguardError(f"{out} exists and is not a folder")
    if answers.exists() and not answers.is_dir():
        raise KeyguardError(f"{answers} exists and is not a folder")
    if answers in out.parents:
        raise KeyguardError("the output folder may not be inside the answers folder")
    return out, answers


def build(params: GeneratorParams) -> tuple[World, scenarios.Plan]:
    """Build the organization, its habits and the scenario plan (nothing written)."""
    params.validate()
    cal = build_calendar(params.start, params.days, params.tz)
    org = build_org(params, cal, scenarios.per_scenario(params.users))
    reg = build_register(org, cal)
    for person in org.people:
        codes = sorted(
            i.title.split()[1]
            for i in reg.items
            if i.kind == "path" and i.team >= 0 and i.team == person.team
        )
        person.projects = ";".join(f"Project {c}" for c in codes)
    pools = build_pools(org, reg)
    habits = build_habits(org, reg, pools, cal)
    world = build_world(params, cal, org, reg, pools, habits)
    plan = scenarios.build_plan(world)
    return world, plan


def generate(
    params: GeneratorParams, out: Path, answers: Path, *, progress: bool = False, command: str = ""
) -> GenerateResult:
    """Write the CERT-layout folder ``out`` and the labelled answers to ``answers``."""
    began = time.perf_counter()
    params.validate()
    out, answers = _check_folders(out, answers)
    out.mkdir(parents=True, exist_ok=True)
    answers.mkdir(parents=True, exist_ok=True)
    world, plan = build(params)
    counts = write_static(world, plan, out)
    cal = world.cal
    users = np.array([p.user_id for p in world.org.people], dtype=object)
    hosts = np.array([h.name for h in world.org.hosts], dtype=object)
    writers = Writers(out=out, cal=cal, users=users, hosts=hosts)
    starts = list(range(0, cal.days, params.chunk_days))
    dirty_rng = rng_for(params.seed, STREAM_DIRTY)
    dirty_at = {k: int(dirty_rng.integers(len(starts))) for k in range(len(DIRTY_KINDS))}
    writers.open()
    try:
        with _Progress(progress).bar("writing activity (weeks)", len(starts)) as advance:
            for c, d0 in enumerate(starts):
                d1 = min(d0 + params.chunk_days, cal.days)
                writers.pending_dirty += [DIRTY_KINDS[k] for k, at in dirty_at.items() if at == c]
                base = activity.baseline(world, d0, d1, rng_for(params.seed, STREAM_ACTIVITY, c))
                for f, name in enumerate(ACTIVITY_FILES):
                    table = concat(
                        name, [base[name], scenarios.chunk_table(plan, name, range(d0, d1))]
                    )
                    writers.write_block(
                        name,
                        table,
                        rng_for(params.seed, STREAM_IDS, c, f),
                        rng_for(params.seed, STREAM_DIRTY, c, f),
                    )
                advance()
    finally:
        writers.close()
    counts.update(writers.written)
    _write_answers(world, plan, writers, answers, counts, command)
    return GenerateResult(
        out=out,
        answers=answers,
        counts=counts,
        people=len(world.org.people),
        insiders=len(plan.insiders),
        dirty_rows=len(writers.dirty),
        seconds=time.perf_counter() - began,
    )


def _write_answers(
    w: World,
    plan: scenarios.Plan,
    writers: Writers,
    answers: Path,
    counts: dict[str, int],
    command: str,
) -> None:
    people = w.org.people
    w_out = writers.out
    cal = w.cal
    rows = [
        [str(i.scenario), people[i.person].user_id, cal.iso(i.first_day), cal.iso(i.last_day)]
        for i in plan.insiders
        if i.first_day >= 0
    ]
    write_csv(answers / "answers.csv", ["scenario", "user", "start", "end"], rows)
    events = []
    for tag, ev in enumerate(plan.events):
        file, line, event_id = writers.event_lines[tag]
        events.append((ev.scenario, people[ev.insider].user_id, file, line, event_id))
    events.sort()
    write_csv(
        answers / "events.csv",
        ["scenario", "user", "event_id", "file", "line"],
        ([str(s), u, i, f, str(n)] for s, u, f, n, i in events),
    )
    per_insider: dict[int, int] = {}
    for ev in plan.events:
        per_insider[ev.insider] = per_insider.get(ev.insider, 0) + 1
    dirty_counts: dict[str, int] = {}
    for d in writers.dirty:
        dirty_counts[d.file] = dirty_counts.get(d.file, 0) + 1
    look = {**w.habits.lookalikes, **plan.extra_lookalikes}
    insider_ids = {i.person for i in plan.insiders}
    meta = {
        "generator": "keyguard",
        "generator_version": GENERATOR_VERSION,
        "command": command,
        "seed": w.params.seed,
        "users": w.params.users,
        "days": w.params.days,
        "start": cal.iso(0),
        "end": cal.iso(cal.days - 1),
        "tz": w.params.tz,
        "email_domain": w.params.domain,
        "people_total": len(people),
        "joiners": sorted(p.user_id for p in people if p.start_day > 0),
        "leavers": sorted(p.user_id for p in people if p.end_day < cal.days),
        "counts": counts,
        "bytes": {name: (w_out / name).stat().st_size for name in counts},
        "headers": {name: HEADERS[name] for name in (*ACTIVITY_FILES, "LDAP")},
        "line_numbers": "1-based; line 1 is the header row",
        "date_format": "MM/DD/YYYY HH:MM:SS, local time of the unit",
        "public_holidays": [{"date": d.isoformat(), "name": n} for d, n in cal.holidays],
        "dirty_rows": [
            {"file": d.file, "line": d.line, "kind": d.kind, "id": d.id, "text": d.text}
            for d in writers.dirty
        ],
        "dirty_counts": dirty_counts,
        "dirty_kinds": {
            "truncated": "the row is cut short and has fewer fields than the header",
            "bad_date": "the date has month 13",
            "empty_user": "the user field is empty",
        },
        "scenarios": {
            str(k): {
                "description": text,
                "insiders": [
                    {
                        "user": people[i.person].user_id,
                        "start": cal.iso(i.first_day),
                        "end": cal.iso(i.last_day),
                        "events": per_insider.get(i.person, 0),
                        "details": i.details,
                    }
                    for i in plan.insiders
                    if i.scenario == k and i.first_day >= 0
                ],
            }
            for k, text in scenarios.SCENARIOS.items()
        },
        "layoffs": plan.layoffs,
        "lookalikes": {
            kind: sorted(people[p].user_id for p in ids if p not in insider_ids)
            for kind, ids in look.items()
        },
        "competitor_domains": list(COMPETITOR_DOMAINS),
        "notes": [
            "file.csv 'File Copy' rows name the source file; to_removable_media=True means "
            "the copy went to a removable drive (R:)",
            "scenario 3 rows logged in as the manager carry the manager's user id; "
            "events.csv names the insider",
            "need-to-know: register.csv locations matched against file names and URLs, "
            "grants.csv by person, team, department or position (LDAP role)",
        ],
    }
    (answers / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
