"""Anytime curves: best-so-far CV score against wall-clock seconds, over seeds.

Only full-fidelity trials count (``records.full_fidelity``: the flag each multi-fidelity
strategy stores in a trial's ``info``), since scores on subsamples, after fewer epochs or
on the first folds of a pruned trial do not compare with full-data scores; so a run's
best-so-far never goes down. Trials stored before the flag existed fall back to the run's
highest ``n_samples``, ``epochs`` or ``folds``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.records import full_fidelity

GRID_POINTS = 60


@dataclass(frozen=True)
class Curve:
    """Median and interquartile band of the best-so-far score on a shared time grid."""

    strategy: str
    times: list[float]
    median: list[float | None]
    q25: list[float | None]
    q75: list[float | None]
    seeds: int
    time_to_target: float | None


@dataclass(frozen=True)
class ProblemCurves:
    problem: str
    budget_s: float
    target: float | None
    curves: list[Curve]


#: Fidelity keys whose lower values mean a partial evaluation: halving's and FLAML's training
#: rows, the CV folds a pruned Optuna trial reached.
PARTIAL_FIDELITY_KEYS = ("n_samples", "folds")


def _full_fidelity(trials: pd.DataFrame) -> pd.DataFrame:
    if not len(trials):
        return trials
    infos = trials["info"] if "info" in trials else [None] * len(trials)
    flags = [full_fidelity(f if isinstance(f, dict) else None, i if isinstance(i, dict) else None)
             for f, i in zip(trials["fidelity"], infos, strict=True)]
    keep = pd.Series(flags, index=trials.index, dtype=object)
    for name in ("n_samples", "epochs", "folds"):  # unflagged trials: the run's highest fidelity
        level = trials["fidelity"].map(lambda f, n=name: f.get(n) if isinstance(f, dict)
                                       else None).astype(float)
        highest = level == level.groupby(trials["run_id"]).transform("max")
        keep = keep.where(keep.notna() | level.isna(), highest)
    return trials[keep.fillna(True).astype(bool)]


Trace = tuple[np.ndarray, np.ndarray]  # (elapsed seconds, best-so-far score), sorted by time


def run_traces(trials: pd.DataFrame) -> dict[int, Trace]:
    """Each run's best-so-far trace over its scored full-fidelity trials, computed once."""
    scored = _full_fidelity(trials).dropna(subset=["mean_cv_score"])
    scored = scored.sort_values(["run_id", "elapsed_s"], kind="stable")
    traces = {}
    for run_id, group in scored.groupby("run_id", sort=False):
        traces[int(run_id)] = (group["elapsed_s"].to_numpy(float),
                               np.maximum.accumulate(group["mean_cv_score"].to_numpy(float)))
    return traces


def best_so_far(trace: Trace | None, times: np.ndarray) -> np.ndarray:
    """A run's best-so-far score at each time (NaN before its first scored trial)."""
    out = np.full(times.shape, np.nan)
    if trace is None:
        return out
    elapsed, running = trace
    index = np.searchsorted(elapsed, times, side="right") - 1
    has = index >= 0
    out[has] = running[index[has]]
    return out


def _nan_to_none(values: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else float(v) for v in values]


def column_quantiles(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, 25th and 75th percentile of each column, NaN left out (NaN where a column
    has nothing else): ``np.nanmedian`` and ``np.nanpercentile``'s numbers (linear
    interpolation), for all columns at once instead of one column at a time."""
    ordered = np.sort(matrix, axis=0)  # NaN last
    count = (~np.isnan(ordered)).sum(axis=0)
    columns = np.arange(matrix.shape[1])
    last = np.maximum(count - 1, 0)
    upper = ordered[np.minimum(count // 2, last), columns]
    lower = ordered[np.maximum((count - 1) // 2, 0), columns]
    median = np.where(count % 2 == 1, upper, (lower + upper) / 2)

    def percentile(q: float) -> np.ndarray:
        position = q / 100 * last
        below = np.floor(position).astype(int)
        a, b = ordered[below, columns], ordered[np.minimum(below + 1, last), columns]
        t = position - below
        diff = b - a
        with np.errstate(invalid="ignore"):  # NaN columns stay NaN
            return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)

    empty = count == 0
    return tuple(np.where(empty, np.nan, v) for v in (median, percentile(25), percentile(75)))


def anytime_curves(runs: pd.DataFrame, traces: dict[int, Trace], problem: str, *,
                   target_fraction: float = 0.99) -> ProblemCurves:
    """Every strategy's curve on ``problem`` (``traces`` from :func:`run_traces`), and its
    time to reach ``target_fraction`` of the best final score any strategy reached."""
    subset = runs[runs["problem"] == problem]
    budget = float(subset["budget_s"].max()) if len(subset) else 0.0
    times = np.linspace(0.0, max(budget, 1e-9), GRID_POINTS)
    matrices: dict[str, np.ndarray] = {}
    for strategy, group in subset.groupby("strategy", sort=False):
        rows = [best_so_far(traces[rid], times) for rid in group["id"] if rid in traces]
        if rows:
            matrices[str(strategy)] = np.vstack(rows)
    finals = [np.nanmax(m[:, -1]) for m in matrices.values() if np.isfinite(m[:, -1]).any()]
    target = None
    if finals:
        best = float(max(finals))
        target = best - (1 - target_fraction) * abs(best)
    curves = []
    for strategy, matrix in matrices.items():
        enough = np.isfinite(matrix).sum(axis=0) * 2 >= matrix.shape[0]
        median, q25, q75 = (np.where(enough, values, np.nan)
                            for values in column_quantiles(matrix))
        reached = None
        if target is not None:
            hits = np.flatnonzero(np.isfinite(median) & (median >= target))
            reached = float(times[hits[0]]) if hits.size else None
        curves.append(Curve(strategy, [float(t) for t in times], _nan_to_none(median),
                            _nan_to_none(q25), _nan_to_none(q75), matrix.shape[0], reached))
    return ProblemCurves(problem, budget, target, curves)


def best_so_far_at(runs: pd.DataFrame, traces: dict[int, Trace], fraction: float
                   ) -> pd.DataFrame:
    """Each run's best-so-far CV score at ``fraction`` of its budget: columns problem,
    strategy, seed, score (NaN when it had no scored trial yet)."""
    rows = []
    for run in runs.itertuples():
        at = np.array([fraction * float(run.budget_s) if fraction < 1 else np.inf])
        score = best_so_far(traces.get(run.id), at)[0]
        rows.append((run.problem, run.strategy, run.seed, score))
    return pd.DataFrame(rows, columns=["problem", "strategy", "seed", "score"])
