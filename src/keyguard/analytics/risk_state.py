"""Each person's risk state (:class:`keyguard.analytics.scoring.RiskState`) kept in the
analytics cache, so a run that scores days ``lo..hi`` resumes from the states at the end of
a day before ``lo`` instead of replaying every earlier day.

Table ``risk_state``: one file per checkpoint day ``b`` (``d<b>_<b>.parquet``) with every
person's state at the end of ``b`` (people with no indicator days up to ``b`` have none).
Checkpoints are the last day of each run and every day ``b`` with ``b % EVERY == EVERY - 1``;
older run ends are pruned. A run drops the checkpoints from its first recomputed day on (the
days they summed are computed again) and writes new ones. The states depend only on each
person's own days up to ``b`` and on the risk settings: a change of those re-scores from the
first day (``run.detect``), a change of the state's meaning bumps ``FORMAT``.
"""

from __future__ import annotations

import pyarrow as pa

from keyguard.analytics.store import Cache

TABLE = "risk_state"
FORMAT = "1"
EVERY = 7
SCHEMA = pa.schema(
    [("user_key", pa.string()), ("day_no", pa.int32()), ("state", pa.string())],
    metadata={"format": FORMAT},
)


def _usable(cache: Cache) -> bool:
    if not cache.has(TABLE):
        return False
    meta = cache.schema(TABLE).metadata or {}
    return meta.get(b"format") == FORMAT.encode()


def load(cache: Cache, before: int) -> tuple[int | None, dict[str, str]]:
    """The latest checkpoint day before ``before`` and each person's state then (as JSON,
    read by ``scoring.RiskState.from_json`` when needed); ``(None, {})`` when there is none
    (scoring then starts from the first day)."""
    if not _usable(cache):
        return None, {}
    days = [a for a, b in cache.ranges(TABLE) if a == b and a < before]
    if not days:
        return None, {}
    day = max(days)
    table = cache.read(TABLE, day, day)
    users = table.column("user_key").to_pylist()
    texts = table.column("state").to_pylist()
    return day, dict(zip(users, texts, strict=True))


def checkpoints(first: int, hi: int) -> list[int]:
    """The checkpoint days of a run scoring ``first..hi``."""
    return sorted({b for b in range(first, hi + 1) if b % EVERY == EVERY - 1} | {hi})


def drop(cache: Cache, lo: int) -> None:
    """Forget the checkpoints of days from ``lo`` on (their days are being recomputed)."""
    if cache.has(TABLE):
        cache.drop_days(TABLE, lo)


def save(cache: Cache, states: dict[int, dict[str, str]], first: int, hi: int) -> None:
    """Replace the checkpoints of days ``first..hi`` by ``states`` (day -> user -> state) and
    prune earlier run ends that are not on the regular grid."""
    if not _usable(cache):
        cache.clear_table(TABLE)
    cache.write_schema(TABLE, SCHEMA)
    cache.drop_days(TABLE, first)
    for day, per in sorted(states.items()):
        users = sorted(per)
        cache.put(
            TABLE,
            pa.table(
                {
                    "user_key": users,
                    "day_no": pa.array([day] * len(users), pa.int32()),
                    "state": [per[u] for u in users],
                },
                schema=SCHEMA,
            ),
            day,
            day,
        )
    for a, b in cache.ranges(TABLE):
        if a == b and a < first and a % EVERY != EVERY - 1:
            cache.remove(TABLE, a, b)
