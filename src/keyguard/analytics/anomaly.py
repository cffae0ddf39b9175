"""The unsupervised anomaly score: an IsolationForest over the daily indicator vectors.

No look-ahead: days are cut into periods of ``anomaly_period_days``; the model for a period
is fitted only on the ``anomaly_train_days`` before the period starts (at most
``anomaly_sample`` rows, drawn with a seed fixed by the period), so adding later days never
changes an earlier score. Each score comes with its percentile among the training scores
and, above ``anomaly_threshold``, each feature's contribution: how much the score drops when
that feature is set to its training median. The score is one further signal for the risk
score, never an alert on its own.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from sklearn.ensemble import IsolationForest

from keyguard.policies import catalog

SCHEMA = pa.schema(
    [
        ("user_key", pa.string()),
        ("day_no", pa.int32()),
        ("anomaly_score", pa.float64()),
        ("anomaly_pct", pa.float64()),
        ("contributions", pa.string()),
    ]
)


def anomaly_ids() -> list[str]:
    return [i.id for i in catalog.indicators().values() if i.anomaly]


def _matrix(table: pa.Table, ids: list[str]) -> np.ndarray:
    cols = [
        np.nan_to_num(table.column(i).to_numpy(zero_copy_only=False).astype(float)) for i in ids
    ]
    return np.log1p(np.clip(np.column_stack(cols), 0, None)) if cols else np.empty((0, 0))


def _fit(
    x_train: np.ndarray, p: int, cfg: dict[str, Any], models: Path | None
) -> tuple[IsolationForest, np.ndarray, np.ndarray]:
    """The period's model with its sorted training scores and medians, reused from
    ``models`` when fitted on exactly the same rows and settings before."""
    digest = hashlib.sha256(
        x_train.tobytes() + repr((x_train.shape, int(cfg["anomaly_trees"]), p)).encode()
    ).hexdigest()
    path = models / f"p{p}.pkl" if models is not None else None
    if path is not None and path.exists():
        with path.open("rb") as fh:
            saved = pickle.load(fh)  # noqa: S301 - our own cache file
        if saved.get("digest") == digest:
            return saved["model"], saved["ref"], saved["median"]
    model = IsolationForest(n_estimators=int(cfg["anomaly_trees"]), random_state=p, n_jobs=1).fit(
        x_train
    )
    ref = np.sort(-model.score_samples(x_train))
    median = np.median(x_train, axis=0)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            pickle.dump({"digest": digest, "model": model, "ref": ref, "median": median}, fh)
    return model, ref, median


def score_range(
    history: pa.Table, lo: int, hi: int, cfg: dict[str, Any], models: Path | None = None
) -> pa.Table:
    """Anomaly rows for person-days ``lo..hi`` of ``history`` (features of every day up to
    ``hi``; only days before each period's start are used to fit its model). Fitted
    models are kept in ``models`` (a folder) and reused while their training rows match."""
    ids = anomaly_ids()
    period = int(cfg["anomaly_period_days"])
    train_days = int(cfg["anomaly_train_days"])
    min_rows, sample = int(cfg["anomaly_min_rows"]), int(cfg["anomaly_sample"])
    threshold = float(cfg["anomaly_threshold"])
    days = history.column("day_no").to_numpy()
    users = history.column("user_key").to_pylist()
    out: dict[str, list[Any]] = {n: [] for n in SCHEMA.names}
    for p in range(lo // period, hi // period + 1):
        start = p * period
        test = np.flatnonzero((days >= max(lo, start)) & (days <= min(hi, start + period - 1)))
        if test.size == 0:
            continue
        train = np.flatnonzero((days >= start - train_days) & (days < start))
        if train.size < min_rows:
            continue
        # A fixed order, then a seeded sample: the same training rows give the same model.
        train = train[np.lexsort((np.array([users[i] for i in train]), days[train]))]
        rng = np.random.default_rng(p)
        if train.size > sample:
            # positions in the fixed order, kept in that order (the history's own row order
            # is arbitrary; the model depends on the order of its training rows)
            train = train[np.sort(rng.choice(train.size, size=sample, replace=False))]
        x_train = _matrix(history.take(pa.array(train)), ids)
        model, ref, median = _fit(x_train, p, cfg, models)
        x_test = _matrix(history.take(pa.array(test)), ids)
        scores = -model.score_samples(x_test)
        pct = np.searchsorted(ref, scores, side="left") / ref.size
        contrib = [""] * test.size
        flagged = np.flatnonzero(pct >= threshold)
        if flagged.size:
            # Every flagged row with each feature in turn set to its median, scored at once.
            base = x_test[flagged]
            stacked = np.repeat(base, len(ids), axis=0)
            cols = np.tile(np.arange(len(ids)), flagged.size)
            stacked[np.arange(stacked.shape[0]), cols] = median[cols]
            deltas = (np.repeat(scores[flagged], len(ids)) + model.score_samples(stacked)).reshape(
                flagged.size, len(ids)
            )
            for k, row in enumerate(deltas):
                top = [
                    (ids[j], round(float(row[j]), 4)) for j in np.argsort(-row)[:5] if row[j] > 0
                ]
                contrib[int(flagged[k])] = json.dumps(dict(top))
        for k, i in enumerate(test):
            out["user_key"].append(users[i])
            out["day_no"].append(int(days[i]))
            out["anomaly_score"].append(round(float(scores[k]), 6))
            out["anomaly_pct"].append(round(float(pct[k]), 6))
            out["contributions"].append(contrib[k])
    return pa.table(out, schema=SCHEMA)
