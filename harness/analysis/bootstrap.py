"""How sure the verdict is: a two-level bootstrap over problems, then seeds within each.

Each resample draws the problems with replacement and, for every problem drawn, its seeds
with replacement; it then takes each contender's mean rank as the verdict does (mean over
the drawn problems of the mean over their drawn seeds). The share of resamples in which a
contender has the best mean rank (ties share the win) is its probability of being best; the
same resamples give a percentile interval for the mean test-score difference of two
contenders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Resamples per verdict; with a fixed seed, the same store gives the same numbers.
RESAMPLES = 2000
CHUNK = 250


@dataclass(frozen=True)
class Bootstrap:
    """``p_best`` per contender (the arrays' last axis); ``diff``: the mean test-score
    difference of contenders ``pair[0]`` minus ``pair[1]``, with its 95% interval."""

    p_best: list[float]
    diff: float | None
    low: float | None
    high: float | None


def _two_level_mean(data: np.ndarray, problems: np.ndarray, seeds: np.ndarray,
                    counts: np.ndarray) -> np.ndarray:
    """Mean over drawn problems of the mean over their drawn seeds: (resamples, contenders)."""
    drawn = data[problems[..., None], seeds]  # resamples x problems x seeds x contenders
    used = np.arange(data.shape[1]) < counts[..., None]
    per_problem = np.where(used[..., None], drawn, 0.0).sum(axis=2) / counts[..., None]
    return per_problem.mean(axis=1)


def point_mean(data: np.ndarray) -> np.ndarray:
    """Mean over problems of the mean over seeds (NaN padding ignored): per contender."""
    return np.nanmean(np.nanmean(data, axis=1), axis=0)


def bootstrap(ranks: np.ndarray, values: np.ndarray, *, pair: tuple[int, int] | None,
              resamples: int = RESAMPLES, seed: int = 0) -> Bootstrap:
    """Probability of being best for each contender and the interval of ``pair``'s
    difference; ``ranks`` and ``values`` are problems x seeds x contenders, NaN-padded
    seeds at the end of each problem's row."""
    n_problems, n_contenders = ranks.shape[0], ranks.shape[2]
    n_seeds = (~np.isnan(ranks[:, :, 0])).sum(axis=1)
    rng = np.random.default_rng(seed)
    wins = np.zeros(n_contenders)
    diffs: list[np.ndarray] = []
    ranks0, values0 = np.nan_to_num(ranks), np.nan_to_num(values)
    for start in range(0, resamples, CHUNK):
        size = min(CHUNK, resamples - start)
        problems = rng.integers(0, n_problems, size=(size, n_problems))
        counts = n_seeds[problems]
        seeds = (rng.random((size, n_problems, ranks.shape[1])) * counts[..., None]
                 ).astype(int)
        mean_ranks = _two_level_mean(ranks0, problems, seeds, counts)
        best = np.isclose(mean_ranks, mean_ranks.min(axis=1, keepdims=True), rtol=0,
                          atol=1e-9)
        wins += (best / best.sum(axis=1, keepdims=True)).sum(axis=0)
        if pair is not None:
            means = _two_level_mean(values0, problems, seeds, counts)
            diffs.append(means[:, pair[0]] - means[:, pair[1]])
    p_best = [float(w / resamples) for w in wins]
    if pair is None:
        return Bootstrap(p_best, None, None, None)
    point = point_mean(values)
    spread = np.concatenate(diffs)
    low, high = np.percentile(spread, [2.5, 97.5])
    return Bootstrap(p_best, float(point[pair[0]] - point[pair[1]]), float(low), float(high))
