"""Benchmark of detection: quality against the generator's answers and speed.

Usage::

    .venv/bin/python -m bench.bench_detect [--users 1000] [--days 365] [--seeds 1,2]
        [--out bench-out/detect] [--skip-incremental] [--variants register,no-register]

For each seed: generate an organization with keyguard's generator (CERT r6.2 layout plus
answers), import its people (LDAP months) and ingest its logs once; then, in homes that
share that event store, run a full detection with and without the register (register,
grants and hosts imported or not) and with and without the departure booster. Each run is a
fresh subprocess (time and peak memory are its own). People are ranked by peak daily risk
and scored against ``answers.csv`` — detection never reads the answers:

- recall@1% / recall@5%: insiders among the top 1% / 5% of people, divided by
  ``min(insiders, places)`` (the best any ranking could do), and the plain share of insiders
- recall@1% of each scenario, and of the low-and-slow scenario (the goal), judged on its
  own: the other scenarios' insiders are left out of the ranking — a louder insider of
  another scenario ranked above a collector is not a false alarm — and the share of the
  scenario's insiders in the top 1% of the rest is divided by ``min(insiders, places)``;
  also printed "among all insiders" (the collectors' share of the top 1% of everybody);
- average precision of the ranking;
- recall per scenario: insiders of the scenario with an alert fired on or after their
  first malicious day (and in the top 5%);
- detection delay: days from an insider's first malicious day to the first alert fired on
  or after it (median and worst over detected insiders);
- false alerts per 1,000 person-days: alerts about people who are not insiders.

Speed: full detection time and peak memory; adding one new day (the last day of the logs
removed, detected, put back and detected again). Every figure is printed with the command
that made it; nothing is asserted (the goals are printed beside the figures).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

UNIT = "bench"
GOALS = {
    "recall@1%": ">= 0.9",
    "recall@1% low-and-slow": ">= 0.8",
    "median delay": "<= 7 days",
    "false alerts / 1000 person-days": "<= 1",
    "full detection": "<= 300 s, <= 4 GB",
    "one new day": "<= 10 s",
}
LOW_AND_SLOW = "6"


#: The clock of every step: the day after the generated data ends (set per seed), so the
#: retention cut-offs (raw events, alerts) apply as they would on the day of the run.
NOW: dict[str, str] = {}


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(KEYGUARD_HOME=str(home), KEYGUARD_NO_PROGRESS="1", **NOW)
    env.pop("KEYGUARD_DATABASE_URL", None)
    return env


def _sub(args: list[str], home: Path) -> dict[str, Any]:
    """Run ``python -m bench.bench_detect <args>`` in a fresh process; its JSON result."""
    cmd = [sys.executable, "-m", "bench.bench_detect", *args]
    out = subprocess.run(cmd, env=_env(home), check=False, capture_output=True, text=True)
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"step failed: {shlex.join(cmd)}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# --- steps run in their own process ---------------------------------------------------------
def step_prepare(data: Path, home: Path, register: bool) -> dict[str, Any]:
    """A home with the unit, its people, its events (ingested here, or linked from ``data``'s
    first home) and, with ``register``, the register, grants and hosts."""
    from keyguard.audit.context import Actor, actor_scope
    from keyguard.db.session import session_scope
    from keyguard.identity.bootstrap import mark_home, migrate, prepare_home
    from keyguard.ingest.service import ingest_cert
    from keyguard.records.org import service as org
    from keyguard.records.register.common import local_today
    from keyguard.records.register.hosts import import_hosts
    from keyguard.records.register.imports import import_grants, import_register

    t0 = time.perf_counter()
    prepare_home(home)
    migrate()
    mark_home(home)
    meta = json.loads((data / "answers" / "meta.json").read_text())
    tz = meta.get("params", {}).get("tz", "Europe/Berlin")
    with actor_scope(Actor(name="bench")), session_scope() as s:
        unit = org.create_unit(s, code=UNIT, name="Bench unit", timezone=tz)
        org.import_ldap_folder(s, unit=unit, folder=data / "cert")
        shared = data / "events"
        if not shared.exists():
            ingest_cert(s, folder=data / "cert", unit_code=UNIT, import_ldap=False, home=home)
            (home / "events").rename(shared)
        if (home / "events").is_dir() and not (home / "events").is_symlink():
            shutil.rmtree(home / "events")  # the empty store a new home starts with
        (home / "events").symlink_to(shared, target_is_directory=True)
        if register:
            first = dt.date.fromisoformat(meta.get("params", {}).get("start", "2024-01-15"))
            import_register(s, unit=unit, path=data / "cert" / "register.csv")
            import_grants(s, unit=unit, path=data / "cert" / "grants.csv", today=local_today(unit))
            import_hosts(s, unit=unit, path=data / "cert" / "hosts.csv", known_from=first)
    return {"seconds": time.perf_counter() - t0}


def step_detect(full: bool) -> dict[str, Any]:
    from keyguard.analytics.run import detect
    from keyguard.audit.context import Actor, actor_scope
    from keyguard.db.session import session_scope

    def cpu() -> float:
        u = resource.getrusage(resource.RUSAGE_SELF)
        return u.ru_utime + u.ru_stime

    t0, c0 = time.perf_counter(), cpu()
    with actor_scope(Actor(name="bench")), session_scope() as s:
        r = detect(s, UNIT, full=full)
    return {
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": cpu() - c0,
        "mode": r.mode,
        "days": r.days,
        "alerts": r.alerts,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def step_score(data: Path) -> dict[str, Any]:
    """Quality figures of the detection in this home against ``data``'s answers."""
    from sqlalchemy import select

    from keyguard.analytics.models import Alert
    from keyguard.analytics.service import risk_by_person
    from keyguard.analytics.store import Cache
    from keyguard.config import get_settings
    from keyguard.db.session import session_scope
    from keyguard.records.org.models import Unit

    answers = list(csv.DictReader((data / "answers" / "answers.csv").open(encoding="utf-8")))
    insiders = {a["user"].lower(): a for a in answers}
    with session_scope() as s:
        unit = s.scalar(select(Unit).where(Unit.code == UNIT))
        ranking = risk_by_person(s, unit=unit)
        alerts = list(s.scalars(select(Alert).where(Alert.unit_id == unit.id, Alert.active)))
    cache = Cache(get_settings().home, UNIT)
    import duckdb

    files = cache.files("features")
    con = duckdb.connect()
    listing = ", ".join(f"'{f}'" for f in files)
    rows = con.execute(
        f"SELECT user_key, COUNT(*) FROM read_parquet([{listing}], "
        "hive_partitioning = false) GROUP BY 1"
    ).fetchall()
    person_days = sum(int(n) for _, n in rows)
    people = [u for u, _ in rows]
    score = {r["user_key"]: r["score"] for r in ranking}
    order = sorted(people, key=lambda u: (-score.get(u, 0.0), u))
    n_ins = len(insiders)

    def recall_at(frac: float) -> tuple[float, float]:
        k = max(1, round(len(order) * frac))
        hit = sum(1 for u in order[:k] if u in insiders)
        return hit / min(n_ins, k), hit / n_ins

    hits, ap = 0, 0.0
    for i, u in enumerate(order, start=1):
        if u in insiders:
            hits += 1
            ap += hits / i
    ap = ap / n_ins if n_ins else 0.0
    top5 = set(order[: max(1, round(len(order) * 0.05))])
    top1 = set(order[: max(1, round(len(order) * 0.01))])
    by_user: dict[str, list[Any]] = {}
    for a in alerts:
        by_user.setdefault(a.user_key, []).append(a)
    delays: list[int] = []
    per: dict[str, list[int]] = {}
    detected_by_scn: dict[str, list[int]] = {}
    for u, a in insiders.items():
        start = dt.date.fromisoformat(a["start"])
        fired = sorted(x.fired_day for x in by_user.get(u, []) if x.fired_day >= start)
        ok = bool(fired)
        detected_by_scn.setdefault(a["scenario"], []).append(int(ok))
        per.setdefault(a["scenario"], []).append(int(u in top5))
        if ok:
            delays.append((fired[0] - start).days)
    false_alerts = sum(1 for a in alerts if a.user_key not in insiders)
    r1, r1_plain = recall_at(0.01)
    r5, r5_plain = recall_at(0.05)
    low = [u for u, a in insiders.items() if a["scenario"] == LOW_AND_SLOW]
    low_top1 = scenario_recall(order, insiders, LOW_AND_SLOW, 0.01)
    low_top1_all = (sum(1 for u in low if u in top1) / min(len(low), len(top1))) if low else None
    return {
        "people": len(order),
        "insiders": n_ins,
        "person_days": person_days,
        "recall@1%": round(r1, 3),
        "recall@1% (share of insiders)": round(r1_plain, 3),
        "recall@5%": round(r5, 3),
        "recall@5% (share of insiders)": round(r5_plain, 3),
        "recall@1% low-and-slow": None if low_top1 is None else round(low_top1, 3),
        "recall@1% low-and-slow (among all insiders)": (
            None if low_top1_all is None else round(low_top1_all, 3)
        ),
        "recall@1% per scenario": {
            k: round(v, 2)
            for k in sorted({a["scenario"] for a in insiders.values()})
            if (v := scenario_recall(order, insiders, k, 0.01)) is not None
        },
        "average precision": round(ap, 3),
        "recall per scenario (alert after start)": {
            k: round(sum(v) / len(v), 2) for k, v in sorted(detected_by_scn.items())
        },
        "recall per scenario (top 5%)": {
            k: round(sum(v) / len(v), 2) for k, v in sorted(per.items())
        },
        "median delay (days)": statistics.median(delays) if delays else None,
        "worst delay (days)": max(delays) if delays else None,
        "alerts": len(alerts),
        "false alerts": false_alerts,
        "false alerts / 1000 person-days": round(1000 * false_alerts / max(person_days, 1), 3),
    }


def scenario_recall(
    order: list[str], insiders: dict[str, dict[str, str]], scenario: str, frac: float
) -> float | None:
    """Recall of one scenario at the top ``frac`` of people, the scenario judged on its own:
    the other scenarios' insiders are left out of the ranking (they are neither hits nor
    false alarms for this scenario), the top ``frac`` of the rest is taken and the hits are
    divided by ``min(scenario's insiders, places)``."""
    mine = {u for u, a in insiders.items() if a["scenario"] == scenario}
    if not mine:
        return None
    ranked = [u for u in order if u not in insiders or u in mine]
    k = max(1, round(len(ranked) * frac))
    return sum(1 for u in ranked[:k] if u in mine) / min(len(mine), k)


def step_drop_last_day(data: Path, put_back: bool) -> dict[str, Any]:
    """Move the last day of the shared event store aside (or back)."""
    root = data / "events" / f"unit={UNIT}"
    aside = data / "last-day-aside"
    if put_back:
        for part in aside.iterdir():
            part.rename(root / part.name)
        aside.rmdir()
        return {"day": None}
    last = sorted(root.glob("day=*"))[-1]
    aside.mkdir(exist_ok=True)
    last.rename(aside / last.name)
    return {"day": last.name}


# --- the benchmark --------------------------------------------------------------------------
def _say(label: str, value: Any, cmd: str) -> None:
    goal = GOALS.get(label.split(" [")[0])
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{label}: {json.dumps(value)}"
        + (f"   (goal {goal})" if goal else "")
        + f"\n    command: {cmd}   (load average {load}, {os.cpu_count()} cores)",
        flush=True,
    )


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--out", type=Path, default=Path("bench-out/detect"))
    ap.add_argument("--skip-incremental", action="store_true")
    ap.add_argument("--variants", default="register,no-register")
    ap.add_argument("--step", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.step:  # a step run in its own process by the benchmark itself
        name, *rest = args.step
        fn = {
            "prepare": lambda: step_prepare(
                Path(rest[0]), Path(os.environ["KEYGUARD_HOME"]), rest[1] == "register"
            ),
            "detect": lambda: step_detect(rest[0] == "full"),
            "score": lambda: step_score(Path(rest[0])),
            "drop": lambda: step_drop_last_day(Path(rest[0]), rest[1] == "back"),
        }[name]
        print(json.dumps(fn(), default=str))
        return 0
    cmd = shlex.join([".venv/bin/python", "-m", "bench.bench_detect", *argv])
    for seed in [int(s) for s in args.seeds.split(",") if s]:
        data = (args.out / f"u{args.users}-d{args.days}-s{seed}").resolve()
        if not (data / "answers" / "answers.csv").exists():
            from keyguard.generator import GeneratorParams, generate

            shutil.rmtree(data, ignore_errors=True)
            t0 = time.perf_counter()
            generate(
                GeneratorParams(users=args.users, days=args.days, seed=seed),
                data / "cert",
                data / "answers",
                command="bench_detect",
            )
            print(f"generated seed {seed} in {time.perf_counter() - t0:.0f} s", flush=True)
        end = json.loads((data / "answers" / "meta.json").read_text()).get("end")
        if end and "KEYGUARD_NOW" not in os.environ:
            day_after = dt.date.fromisoformat(end) + dt.timedelta(days=1)
            NOW["KEYGUARD_NOW"] = f"{day_after.isoformat()}T12:00:00+00:00"
        for variant in [v for v in args.variants.split(",") if v]:
            home = data / f"home-{variant}"
            shutil.rmtree(home, ignore_errors=True)
            prep = _sub(["--step", "prepare", str(data), variant], home)
            print(f"seed {seed} {variant}: prepared in {prep['seconds']:.0f} s", flush=True)
            for booster in ("with departure booster", "without departure booster"):
                if booster.startswith("without"):
                    (home / "analytics").mkdir(exist_ok=True)
                    (home / "analytics" / "config.yaml").write_text(
                        "risk:\n  boosters:\n    departing: 0\n", encoding="utf-8"
                    )
                # Without the booster only the risk settings change: detection re-scores risk
                # and alerts from the cached policy hits (mode "rescore").
                how = "full" if booster.startswith("with ") else "auto"
                run = _sub(["--step", "detect", how], home)
                tag = f"[seed {seed}, {variant}, {booster}]"
                if booster.startswith("with "):
                    _say(
                        f"full detection {tag}",
                        {
                            "seconds": round(run["seconds"], 1),
                            "cpu seconds (all threads)": round(run["cpu_seconds"], 1),
                            "peak MB": round(run["peak_mb"]),
                            "mode": run["mode"],
                            "days": run["days"],
                            "alerts": run["alerts"],
                        },
                        cmd,
                    )
                quality = _sub(["--step", "score", str(data)], home)
                for key, value in quality.items():
                    _say(f"{key} {tag}", value, cmd)
            if variant == "register" and not args.skip_incremental:
                (home / "analytics" / "config.yaml").unlink(missing_ok=True)
                _sub(["--step", "detect", "auto"], home)
                _sub(["--step", "drop", str(data), "aside"], home)
                _sub(["--step", "detect", "incremental"], home)
                _sub(["--step", "drop", str(data), "back"], home)
                one = _sub(["--step", "detect", "incremental"], home)
                _say(
                    f"one new day [seed {seed}]",
                    {
                        "seconds": round(one["seconds"], 1),
                        "cpu seconds (all threads)": round(one["cpu_seconds"], 1),
                        "peak MB": round(one["peak_mb"]),
                        "mode": one["mode"],
                        "days": one["days"],
                    },
                    cmd,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
