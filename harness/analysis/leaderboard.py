"""Leaderboard per problem: scores as mean with a 95% confidence interval over seeds, costs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.analysis.ranktests import t_ppf
from harness.records import RunStatus

#: Columns where higher is better (True) or lower is better (False), for marking the best.
BEST_DIRECTION = {"cv_mean": True, "test_mean": True, "cv_median": True, "test_median": True,
                  "wall_s": False, "cpu_s": False, "peak_mem_mb": False}


@dataclass(frozen=True)
class Estimate:
    """Mean, 95% CI half-width (Student t over seeds), median and count of a score."""

    mean: float | None
    ci95: float | None
    median: float | None
    n: int


@dataclass(frozen=True)
class LeaderboardRow:
    strategy: str
    runs: int
    cv: Estimate
    test: Estimate
    wall_s: float | None
    cpu_s: float | None
    peak_mem_mb: float | None
    trials: float | None
    failures: int
    timeouts: int
    best: frozenset[str]


def estimate(values: pd.Series | np.ndarray | list[float]) -> Estimate:
    """Mean ± 95% CI (t distribution; None with one value) and median of the finite values."""
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return Estimate(None, None, None, 0)
    ci = None
    if arr.size > 1:
        ci = float(t_ppf(0.975, arr.size - 1) * arr.std(ddof=1) / math.sqrt(arr.size))
    return Estimate(float(arr.mean()), ci, float(np.median(arr)), int(arr.size))


def mean_or_none(series: pd.Series) -> float | None:
    """The mean of the numeric values, None if there are none."""
    arr = pd.to_numeric(series, errors="coerce").dropna()
    return float(arr.mean()) if len(arr) else None


def leaderboard(runs: pd.DataFrame, problem: str) -> list[LeaderboardRow]:
    """One row per strategy on ``problem``; ``best`` names the columns where it is best."""
    rows = []
    subset = runs[runs["problem"] == problem]
    for strategy, group in subset.groupby("strategy", sort=False):
        rows.append(dict(
            strategy=str(strategy), runs=len(group),
            cv=estimate(group["best_cv_score"]), test=estimate(group["test_score"]),
            wall_s=mean_or_none(group["wall_time_s"]), cpu_s=mean_or_none(group["cpu_time_s"]),
            peak_mem_mb=mean_or_none(group["peak_mem_mb"]), trials=mean_or_none(group["n_trials"]),
            failures=int(group["status"].isin([RunStatus.FAILED, RunStatus.MEMOUT]).sum()),
            timeouts=int((group["status"] == RunStatus.TIMEOUT).sum())))
    values = {
        "cv_mean": [r["cv"].mean for r in rows], "test_mean": [r["test"].mean for r in rows],
        "cv_median": [r["cv"].median for r in rows],
        "test_median": [r["test"].median for r in rows],
        "wall_s": [r["wall_s"] for r in rows], "cpu_s": [r["cpu_s"] for r in rows],
        "peak_mem_mb": [r["peak_mem_mb"] for r in rows],
    }
    best: list[set[str]] = [set() for _ in rows]
    for column, higher in BEST_DIRECTION.items():
        finite = [v for v in values[column] if v is not None]
        if len(finite) < 2:
            continue
        target = max(finite) if higher else min(finite)
        for i, value in enumerate(values[column]):
            if value is not None and value == target:
                best[i].add(column)
    return [LeaderboardRow(**row, best=frozenset(marks)) for row, marks in
            zip(rows, best, strict=True)]


def test_scores_by_strategy(runs: pd.DataFrame, problem: str) -> dict[str, list[float]]:
    """The final test scores over seeds of each strategy on ``problem`` (for variance plots)."""
    subset = runs[(runs["problem"] == problem) & runs["test_score"].notna()]
    return {str(s): [float(v) for v in g["test_score"]]
            for s, g in subset.groupby("strategy", sort=False)}


def detail_means(runs: pd.DataFrame, problem: str) -> tuple[list[str], list[tuple[str, list[
        float | None]]]]:
    """Numeric run details (e.g. models tried, ensemble size, candidates) averaged over seeds
    per strategy on ``problem``: (detail names, [(strategy, values)])."""
    subset = runs[runs["problem"] == problem]
    per: dict[str, dict[str, list[float]]] = {}
    for run in subset.itertuples():
        details = run.details if isinstance(run.details, dict) else {}
        for key, value in details.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                per.setdefault(str(run.strategy), {}).setdefault(key, []).append(float(value))
    keys = sorted({k for values in per.values() for k in values})
    rows = [(strategy, [float(np.mean(values[k])) if k in values else None for k in keys])
            for strategy, values in per.items()]
    return keys, rows
