"""The detection run: decide what to (re)compute, run the pipeline, score risk, and write
alerts and risk to the records database. ``detect`` is the only entry point.

Incremental by default: only event days that are new or changed are read again (stage A),
and stage B onwards is recomputed from the first such day. A change of policies, settings
or of records known on or before the last computed day recomputes everything from the
cached stage A; ``full=True`` recomputes from the events.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.analytics import pipeline, risk_state, scoring
from keyguard.analytics.config import fingerprint, load_config
from keyguard.analytics.days import day_no, day_of, iso
from keyguard.analytics.engine import DuckEngine
from keyguard.analytics.inputs import Inputs, load_inputs, restricted, user_key
from keyguard.analytics.models import Alert, AnalyticsRun, RiskDay
from keyguard.analytics.store import Cache
from keyguard.audit.context import current_actor
from keyguard.config import get_settings, utcnow
from keyguard.errors import KeyguardError
from keyguard.policies.backends import DuckDBBackend
from keyguard.policies.loader import active_policies
from keyguard.policies.model import Policy
from keyguard.privacy.retention import cutoff, load_retention
from keyguard.records.org.models import Unit

VERSION = 7  # the pipeline's meaning; a change recomputes everything
CHUNK_DAYS = 64

Progress = Callable[[str, int, int], None]


@dataclass
class DetectResult:
    """What one run did."""

    unit: str
    mode: str
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    days: int = 0
    alerts: int = 0
    new_alerts: int = 0
    hits: int = 0
    notes: list[str] = field(default_factory=list)
    run_id: int | None = None


def event_days(home: Path, unit_code: str) -> dict[int, str]:
    """Each day partition of the unit's event store with a fingerprint of its files."""
    root = home / "events" / f"unit={unit_code}"
    out: dict[int, str] = {}
    if not root.is_dir():
        return out
    for part in sorted(root.glob("day=*")):
        try:
            day = dt.date.fromisoformat(part.name[4:])
        except ValueError:
            continue
        files = sorted(part.glob("*.parquet"))
        if files:
            out[day_no(day)] = fingerprint(
                [(f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files]
            )
    return out


def _confirmed(session: Session, unit: Unit | None, inputs: Inputs, last_no: int) -> dict[str, int]:
    """First local day from which each person has an earlier confirmed case: a case closed as
    a policy violation or referred (``keyguard.cases.service.confirmed_case_people``, known
    on or before its decision day), or an alert confirmed by triage. A dismissed alert or a
    "no concern" case never counts."""
    if unit is None:
        return {}
    tz = zoneinfo.ZoneInfo(unit.timezone or "UTC")
    out: dict[str, int] = {}
    for key, at in session.execute(
        select(Alert.user_key, Alert.status_at).where(
            Alert.unit_id == unit.id, Alert.status == "confirmed", Alert.status_at.is_not(None)
        )
    ):
        d = day_no(at.astimezone(tz).date())
        out[key] = min(out.get(key, d), d)
    for key, d in _confirmed_cases(session, unit, inputs, last_no).items():
        out[key] = min(out.get(key, d), d)
    return out


def _confirmed_cases(session: Session, unit: Unit, inputs: Inputs, last_no: int) -> dict[str, int]:
    """People with a confirmed case, from the cases domain. Cases sit in a layer above
    analytics, so the service is looked up at run time (no import dependency); without the
    cases domain installed there are none."""
    try:
        case = importlib.import_module("keyguard.cases.models").Case
        if (
            session.scalar(
                select(case.id)
                .where(case.unit_id == unit.id, case.decided_on <= day_of(last_no))
                .limit(1)
            )
            is None
        ):
            return {}  # no case decided yet: the service (a large import) is not needed
        cases = importlib.import_module("keyguard.cases.service")
    except ImportError:
        return {}
    people: Callable[[Session, int, dt.date], dict[int, dt.date]] = cases.confirmed_case_people
    by_person = {pid: key for key, pid in inputs.person_ids.items()}
    out: dict[str, int] = {}
    for pid, decided in people(session, unit.id, day_of(last_no)).items():
        key = by_person.get(pid)
        if key is not None:
            out[key] = min(out.get(key, day_no(decided)), day_no(decided))
    return out


def _purged_alerts_rule(session: Session, unit: Unit, run_id: int) -> Callable[[Any], bool]:
    """Whether a new episode is an alert retention already purged: it ended before the
    dismissed-alerts cut-off (the earliest purge of any alert) and an earlier run with the
    same policy version covered its last day, so that run made it and only a purge can have
    removed it (detection never deletes alerts). Such episodes are not recreated, so a
    dismissed alert past retention never comes back as new."""
    try:
        policy = load_retention(unit.settings)
    except KeyguardError:
        return lambda ep: False
    tz = zoneinfo.ZoneInfo(unit.timezone or "UTC")
    cut = cutoff(policy, "dismissed_alerts", utcnow().astimezone(tz).date())
    if cut is None:
        return lambda ep: False
    covered: dict[tuple[str, int], int] = {}
    for policies, last in session.execute(
        select(AnalyticsRun.policies, AnalyticsRun.last_day).where(
            AnalyticsRun.unit_id == unit.id,
            AnalyticsRun.id != run_id,
            AnalyticsRun.status == "ok",
            AnalyticsRun.last_day.is_not(None),
        )
    ):
        for pid, version in (policies or {}).items():
            k = (str(pid), int(version))
            covered[k] = max(covered.get(k, -(10**9)), day_no(last))
    cut_no = day_no(cut)

    def purged(ep: Any) -> bool:
        seen = covered.get((ep.policy.id, int(ep.policy.version)))
        return bool(ep.last_no < cut_no and seen is not None and seen >= ep.last_no)

    return purged


#: Settings that only change risk and alert scores: a change re-scores from the cache.
SCORE_KEYS = ("risk", "alerts")


def _records_fp(inputs: Inputs, last_no: int) -> str:
    parts: dict[str, Any] = {
        name: restricted(t, last_no) for name, t in sorted(inputs.tables.items())
    }
    parts["calendar"] = [inputs.work_days, inputs.work_start, inputs.work_end, inputs.levels]
    return fingerprint(parts)


def _user_map(eng: DuckEngine, cache: Cache) -> dict[str, str]:
    """``source_user`` -> ``user_key`` for the registered events; remembers each key's most
    frequent spelling in the logs (exports write users as in the source)."""
    rows = eng.arrow(
        "SELECT source_user, COUNT(*) AS n FROM events "
        "WHERE source_user IS NOT NULL GROUP BY source_user"
    ).to_pylist()
    mapping = {r["source_user"]: user_key(r["source_user"]) for r in rows}
    names_file = cache.root / "users.json"
    known: dict[str, dict[str, int]] = (
        json.loads(names_file.read_text()) if (names_file.exists()) else {}
    )
    for r in rows:
        counts = known.setdefault(mapping[r["source_user"]], {})
        counts[r["source_user"]] = counts.get(r["source_user"], 0) + int(r["n"])
    cache.root.mkdir(parents=True, exist_ok=True)
    names_file.write_text(json.dumps(known, sort_keys=True), encoding="utf-8")
    eng.register(
        "user_map", pa.table({"source_user": list(mapping), "user_key": list(mapping.values())})
    )
    return mapping


def source_users(home: Path, unit_code: str) -> dict[str, str]:
    """``user_key`` -> the user as most often written in the source logs."""
    path = Cache(home, unit_code).root / "users.json"
    if not path.exists():
        return {}
    known: dict[str, dict[str, int]] = json.loads(path.read_text(encoding="utf-8"))
    return {k: max(v.items(), key=lambda kv: (kv[1], kv[0]))[0] for k, v in known.items() if v}


def _derive_org_domains(
    eng: DuckEngine, cache: Cache, inputs: Inputs, manifest: dict[str, Any]
) -> None:
    """Without people or configured domains: the domains at least a fifth of the senders of
    the first 28 days of data send from (kept once found, so later data changes nothing)."""
    if inputs.table("org_domains").num_rows:
        return
    found = manifest.get("derived_org_domains")
    if found is None:
        eng.view_cached("a_addr", cache)
        first = eng.arrow("SELECT MIN(day_no) AS d FROM a_addr").column("d")[0].as_py()
        if first is None:
            return
        rows = eng.arrow(
            "WITH s AS (SELECT DISTINCT user_key, regexp_extract(address, '@([^@]+)$', 1) AS d "
            f"FROM a_addr WHERE how = 'from' AND day_no < {first + 28}), "
            "n AS (SELECT COUNT(DISTINCT user_key) AS n FROM s) "
            "SELECT d FROM s, n WHERE d <> '' GROUP BY d, n.n HAVING COUNT(*) >= 0.2 * n.n "
            "ORDER BY d"
        ).to_pylist()
        found = [r["d"] for r in rows]
        manifest["derived_org_domains"] = found
    inputs.tables["org_domains"] = pa.table(
        {"domain": found}, schema=pa.schema([("domain", pa.string())])
    )
    inputs.notes.append(
        "the organization's e-mail domains were derived from the data: " + ", ".join(found)
    )


def _plan(
    manifest: dict[str, Any],
    days: dict[int, str],
    fp_a: str,
    fp_b: str,
    rec_fp: Callable[[int], str],
    full: bool,
    fp_s: str = "",
) -> tuple[str, list[int], int | None]:
    """(mode, days needing stage A, first day of stage B onwards or None). Mode ``rescore``:
    nothing but the risk settings or the confirmed cases changed, so only risk and alerts
    are computed again, from the cached hits."""
    all_days = sorted(days)
    if full or manifest.get("version") != VERSION or manifest.get("fp_a") != fp_a:
        return "full", all_days, all_days[0]
    done: dict[str, str] = manifest.get("days", {})
    changed = [d for d in all_days if done.get(str(d)) != days[d]]
    removed = [int(d) for d in done if int(d) not in days]
    last = manifest.get("last_no")
    if (
        manifest.get("fp_b") != fp_b
        or last is None
        or manifest.get("fp_records") != rec_fp(int(last))
    ):
        return "recompute", changed, all_days[0]
    starts = changed + removed
    if not starts:
        return ("none" if manifest.get("fp_s") == fp_s else "rescore"), [], None
    return "incremental", changed, min(starts)


def detect(
    session: Session,
    unit_code: str,
    *,
    home: Path | None = None,
    full: bool = False,
    progress: Progress | None = None,
    policies: list[Policy] | None = None,
) -> DetectResult:
    """Run detection for one unit (incremental unless ``full``); commit is the caller's."""
    home = home or get_settings().home
    tick = progress or (lambda step, done, total: None)
    unit = session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise KeyguardError(f"no unit {unit_code!r}: import its people or create it first")
    cfg = load_config(home, unit.settings)
    policies = active_policies(home) if policies is None else policies
    days = event_days(home, unit_code)
    if not days:
        raise KeyguardError(
            f"no events for unit {unit_code!r} in {home / 'events'}: ingest logs first"
        )
    inputs = load_inputs(session, unit_code, cfg, (min(days), max(days)))
    confirmed = _confirmed(session, unit, inputs, max(days))
    cache = Cache(home, unit_code)
    manifest = cache.manifest()
    fp_a = fingerprint([VERSION, sorted(inputs.table("competitors").column(0).to_pylist())])
    fp_b = fingerprint(
        [
            VERSION,
            {k: v for k, v in cfg.items() if k not in SCORE_KEYS},
            [(p.id, p.version, p.sha256) for p in policies],
        ]
    )
    fp_s = fingerprint([VERSION, {k: cfg[k] for k in SCORE_KEYS}, sorted(confirmed.items())])
    mode, a_days, lo = _plan(
        manifest, days, fp_a, fp_b, lambda last: _records_fp(inputs, last), full, fp_s
    )
    # Risk is scored from ``lo`` on (each person resumed from their saved state), or from
    # the first day when the scoring itself changed.
    score_from = lo if manifest.get("fp_s") == fp_s else min(days)
    result = DetectResult(unit=unit_code, mode=mode, notes=list(inputs.notes))
    run = AnalyticsRun(
        unit_id=unit.id,
        started_at=utcnow(),
        mode=mode,
        actor=current_actor().name,
        policies={p.id: p.version for p in policies},
    )
    session.add(run)
    session.flush()
    if mode == "full":
        cache.clear()
        manifest = {}
    be = DuckDBBackend()
    eng = DuckEngine()
    try:
        hi = max(days)
        total = len(a_days) + (hi - lo + 1 if lo is not None else 0)
        done = 0

        def step(name: str, n: int) -> None:
            nonlocal done
            done += n
            tick(name, done, total)

        pipeline.register_inputs(eng, inputs)
        for part in pipeline.chunks(a_days, CHUNK_DAYS):
            eng.view_events(home / "events" / f"unit={unit_code}", part)
            _user_map(eng, cache)
            pipeline.run_stage_a(eng, cache, be, part, step)
        if lo is not None:
            _derive_org_domains(eng, cache, inputs, manifest)
            result.notes = list(inputs.notes)
            pipeline.register_inputs(eng, inputs)
            item_access = (
                pipeline.register_item_access(session, unit, inputs)
                if inputs.has_register
                else pipeline.share_item_access(be, cfg)
            )
            for name in pipeline.DERIVED_TABLES:
                cache.drop_days(name, lo)
            for start in range(lo, hi + 1, CHUNK_DAYS):
                end = min(hi, start + CHUNK_DAYS - 1)
                counts = pipeline.run_range(
                    eng, cache, be, inputs, cfg, policies, start, end, item_access
                )
                result.hits += counts.get("hits", 0)
                step("detect", end - start + 1)
        if lo is not None or mode == "rescore":
            _score_and_store(
                session,
                eng,
                cache,
                unit,
                inputs,
                cfg,
                policies,
                confirmed,
                min(days) if score_from is None else score_from,
                max(days),
                run,
                result,
            )
        manifest.update(
            {
                "version": VERSION,
                "fp_a": fp_a,
                "fp_b": fp_b,
                "last_no": hi,
                "fp_s": fp_s,
                "fp_records": _records_fp(inputs, hi),
                "days": {str(d): f for d, f in days.items()},
            }
        )
        cache.save_manifest(manifest)
    finally:
        eng.close()
    result.first_day = day_of(lo) if lo is not None else None
    result.last_day = day_of(max(days))
    result.days = (max(days) - lo + 1) if lo is not None else 0
    result.alerts = session.query(Alert).filter(Alert.unit_id == unit.id, Alert.active).count()
    run.finished_at, run.status = utcnow(), "ok"
    run.first_day, run.last_day = result.first_day, result.last_day
    run.counts = {
        "days": result.days,
        "hits": result.hits,
        "alerts": result.alerts,
        "new_alerts": result.new_alerts,
    }
    run.notes = result.notes
    result.run_id = run.id
    audit.record(
        session,
        "detect",
        "analytics_run",
        run.id,
        {
            "mode": mode,
            **run.counts,
            "first_day": iso(lo) if lo is not None else None,
            "last_day": iso(max(days)),
        },
        unit_id=unit.id,
    )
    return result


def _score_and_store(
    session: Session,
    eng: DuckEngine,
    cache: Cache,
    unit: Unit,
    inputs: Inputs,
    cfg: dict[str, Any],
    policies: list[Policy],
    confirmed: dict[str, int],
    lo: int,
    hi: int,
    run: AnalyticsRun,
    result: DetectResult,
) -> None:
    """Risk for the person-days from ``lo`` on, and alert episodes, written to the database.

    Each person's risk state is carried from the latest checkpoint before ``lo``
    (:mod:`keyguard.analytics.risk_state`), so only the days since then are read; the
    calibration reads the person-days of its window before ``lo``; episodes read every hit
    (few) with the flags and risk of the hit days only."""
    by_id = {p.id: p for p in policies}
    for name in ("features", "hits", "anomaly"):
        # every cached day, not the temporary table of the last range computed
        eng.drop_temp(name)
        eng.view_cached(name, cache)
    # Risk rows and states of days from ``lo`` on are computed again.
    had_risk = cache.has("risk")
    if had_risk:
        cache.drop_days("risk", lo)
        eng.view_cached("risk", cache)
    risk_state.drop(cache, lo)
    cp, states = risk_state.load(cache, lo)
    first = None if cp is None else cp + 1  # None: every day, from no state
    since = "" if first is None else f" WHERE day_no >= {first}"
    flags = {
        (r["user_key"], r["day_no"]): r
        for r in eng.arrow(
            "SELECT user_key, day_no, departing, privileged, items_top_level, top_level_flag "
            f"FROM features{since}"
        ).to_pylist()
    }
    hits = eng.arrow("SELECT * FROM hits ORDER BY user_key, day_no, policy_id").to_pylist()
    for h in hits:
        for name in (h["held"] or "").split(","):
            if name:
                h[f"h_{name}"] = 1
    days: dict[str, dict[int, scoring.DayInputs]] = {}
    for (user, d), f in flags.items():
        days.setdefault(user, {})[d] = scoring.DayInputs(flags=f)
    for h in hits:
        di = days.get(h["user_key"], {}).get(h["day_no"])
        if di is not None and h["policy_id"] in by_id:
            di.hits.append((by_id[h["policy_id"]], float(h["strength"])))
    # Only scores at or above the threshold count for risk (docs/analytics.md).
    thr = float(cfg["anomaly_threshold"])
    cond = f"anomaly_pct >= {thr!r}" + ("" if first is None else f" AND day_no >= {first}")
    for a in eng.arrow(f"SELECT * FROM anomaly WHERE {cond}").to_pylist():
        di = days.get(a["user_key"], {}).get(a["day_no"])
        if di is not None:
            di.anomaly_pct = a["anomaly_pct"]
            di.contributions = json.loads(a["contributions"]) if a["contributions"] else {}
    start = min([first] if first is not None else [d for _, d in flags] or [lo])
    scored = scoring.score_people(
        days,
        confirmed,
        cfg,
        _calibration(eng, cfg, by_id, lo, hi) if lo <= hi else {},
        states=states,
        emit_from=lo,
        checkpoints=risk_state.checkpoints(min(start, hi), hi),
    )
    risk_state.save(cache, scored.states, min(start, hi), hi)
    risk = scored.table
    if lo <= hi:
        cache.write("risk", risk, list(range(lo, hi + 1)))
    session.execute(delete(RiskDay).where(RiskDay.unit_id == unit.id, RiskDay.day >= day_of(lo)))
    rows = [
        {
            "unit_id": unit.id,
            "user_key": r["user_key"],
            "day": day_of(r["day_no"]),
            "person_id": inputs.person_ids.get(r["user_key"]),
            "score": r["score"],
            "raw": r["raw"],
            "boost": r["boost"],
            "top_indicators": json.loads(r["top_indicators"]),
        }
        for r in risk.to_pylist()
    ]
    for i in range(0, len(rows), 5000):
        session.execute(insert(RiskDay), rows[i : i + 5000])
    # Episodes: every hit, with the flags and risk of the hit days (earlier days' risk from
    # the cache).
    hit_flags = {
        (r["user_key"], r["day_no"]): r
        for r in eng.arrow(
            "SELECT f.user_key, f.day_no, f.departing, f.privileged, f.items_top_level, "
            "f.top_level_flag FROM features f SEMI JOIN hits h "
            "ON f.user_key = h.user_key AND f.day_no = h.day_no"
        ).to_pylist()
    }
    by_day = dict(scored.by_day)
    if had_risk:
        for r in eng.arrow(
            "SELECT r.user_key, r.day_no, r.score FROM risk r SEMI JOIN hits h "
            f"ON r.user_key = h.user_key AND r.day_no = h.day_no WHERE r.day_no < {lo}"
        ).to_pylist():
            by_day[(r["user_key"], r["day_no"])] = r["score"]
    eps = scoring.episodes(inputs.unit_code, hits, by_id, hit_flags, by_day, confirmed, cfg)
    _store_alerts(session, cache.home, unit, inputs, eps, run, result)


def _calibration(
    eng: DuckEngine, cfg: dict[str, Any], by_id: dict[str, Policy], lo: int, hi: int
) -> dict[str, dict[int, float]]:
    """Each policy's calibration factor for days ``lo..hi`` from the person-days of its
    window (``scoring.calibration``): people with indicators, and the policy's hits on
    those person-days."""
    w = int(cfg["risk"]["calibration"]["window_days"])
    since = lo - w + 1
    active = eng.arrow(
        f"SELECT user_key, day_no FROM features WHERE day_no BETWEEN {since} AND {hi}"
    )
    fired = eng.arrow(
        "SELECT h.policy_id, h.user_key, h.day_no FROM hits h SEMI JOIN features f "
        "ON f.user_key = h.user_key AND f.day_no = h.day_no "
        f"WHERE h.day_no BETWEEN {since} AND {hi}"
    )
    coded = pc.dictionary_encode(active.column("user_key")).combine_chunks()
    a_user = coded.indices.to_numpy(zero_copy_only=False)
    index = {u: i for i, u in enumerate(coded.dictionary.to_pylist())}
    per: dict[str, tuple[list[int], list[int]]] = {}
    for pid, user, d in zip(
        fired.column("policy_id").to_pylist(),
        fired.column("user_key").to_pylist(),
        fired.column("day_no").to_pylist(),
        strict=True,
    ):
        if pid in by_id:
            fu, fd = per.setdefault(pid, ([], []))
            fu.append(index[user])
            fd.append(d)
    return scoring.calibration(
        np.asarray(a_user, dtype=np.int64),
        active.column("day_no").to_numpy().astype(np.int64),
        {
            pid: (np.asarray(fu, dtype=np.int64), np.asarray(fd, dtype=np.int64))
            for pid, (fu, fd) in per.items()
        },
        cfg,
        since=lo,
    )


def _store_alerts(
    session: Session,
    home: Path,
    unit: Unit,
    inputs: Inputs,
    eps: list[scoring.Episode],
    run: AnalyticsRun,
    result: DetectResult,
) -> None:
    """Insert new episodes, update re-detected ones (triage kept), retire vanished ones."""
    names = source_users(home, unit.code)
    existing = {a.id: a for a in session.scalars(select(Alert).where(Alert.unit_id == unit.id))}
    seen = set()
    session.info["audit_summary"] = {
        "action": "detect_alerts",
        "source": f"run {run.id}",
        "unit_id": unit.id,
        "object_id": run.id,
    }
    purged = _purged_alerts_rule(session, unit, run.id)
    try:
        for ep in eps:
            if ep.id not in existing and purged(ep):
                continue
            seen.add(ep.id)
            values = {
                "user_key": ep.user_key,
                "source_user": names.get(ep.user_key, ep.user_key),
                "person_id": inputs.person_ids.get(ep.user_key),
                "policy_id": ep.policy.id,
                "policy_title": ep.policy.title,
                "policy_version": ep.policy.version,
                "level": ep.policy.level,
                "first_day": day_of(ep.first_no),
                "fired_day": day_of(ep.fired_no),
                "last_day": day_of(ep.last_no),
                "score": ep.score,
                "indicators": ep.indicators,
                "fired_days": [iso(d) for d in ep.days],
                "notes": list(inputs.notes),
                "active": True,
            }
            alert = existing.get(ep.id)
            if alert is None:
                session.add(Alert(id=ep.id, unit_id=unit.id, run_id=run.id, **values))
                result.new_alerts += 1
            else:
                for k, v in values.items():
                    if getattr(alert, k) != v:
                        setattr(alert, k, v)
        for aid, alert in existing.items():
            if aid not in seen and alert.active:
                alert.active = False
        session.flush()
    finally:
        session.info.pop("audit_summary", None)
