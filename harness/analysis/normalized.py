"""Normalized scores (as Bayesmark defines them) and mean ranks across problems.

On each problem, a run's normalized score is ``(best - score) / (best - random_median)``:
0 is the best test score any strategy reached on that problem, 1 is the median test score
of random search, so strategies compare across problems (lower is better).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

BASELINE = "random"


@dataclass(frozen=True)
class NormalizedRow:
    strategy: str
    per_problem: dict[str, float | None]
    mean: float | None
    mean_rank: float | None


@dataclass(frozen=True)
class NormalizedScores:
    rows: list[NormalizedRow]
    problems: list[str]
    note: str | None


def normalized_scores(runs: pd.DataFrame, *, score: str = "test_score") -> NormalizedScores:
    """Per strategy: mean normalized score per problem and overall, and mean rank."""
    problems = list(dict.fromkeys(runs["problem"]))
    strategies = list(dict.fromkeys(runs["strategy"]))
    note = None
    per: dict[str, dict[str, float | None]] = {s: {} for s in strategies}
    if BASELINE not in strategies:
        note = ("normalized scores need the random strategy as the baseline; it is not in "
                "this suite")
    skipped, degenerate = [], []
    for problem in problems:
        subset = runs[(runs["problem"] == problem) & runs[score].notna()]
        random_scores = subset.loc[subset["strategy"] == BASELINE, score]
        if note is None and (subset.empty or random_scores.empty):
            skipped.append(problem)
            continue
        if note is not None:
            continue
        best, baseline = float(subset[score].max()), float(random_scores.median())
        span = best - baseline
        if span <= 0:
            degenerate.append(problem)
            continue
        for strategy, group in subset.groupby("strategy", sort=False):
            values = (best - group[score].to_numpy(float)) / span
            per[str(strategy)][problem] = float(np.mean(values))
    notes = []
    if skipped:
        notes.append(f"no scored random-search run on: {', '.join(skipped)}")
    if degenerate:
        notes.append("the random-search median is the best score reached, so the scale is "
                     f"undefined, on: {', '.join(degenerate)}")
    if notes:
        note = "; ".join(notes)
    ranks = mean_ranks(runs, score=score)
    rows = []
    for strategy in strategies:
        values = [v for v in per[strategy].values() if v is not None]
        rows.append(NormalizedRow(strategy, per[strategy],
                                  float(np.mean(values)) if values else None,
                                  ranks.get(strategy)))
    rows.sort(key=lambda r: (r.mean_rank is None, r.mean_rank or 0.0))
    return NormalizedScores(rows, problems, note)


def mean_score_table(runs: pd.DataFrame, *, score: str = "test_score") -> pd.DataFrame:
    """Problems x strategies of the mean score over seeds."""
    return runs.pivot_table(index="problem", columns="strategy", values=score, aggfunc="mean",
                            sort=False)


def mean_ranks(runs: pd.DataFrame, *, score: str = "test_score") -> dict[str, float]:
    """Average rank (1 = best mean score) of each strategy over the problems it was scored on."""
    table = mean_score_table(runs, score=score)
    if table.empty:
        return {}
    ranks = table.rank(axis=1, ascending=False, method="average")
    return {str(k): float(v) for k, v in ranks.mean(axis=0, skipna=True).items()
            if np.isfinite(v)}
