"""Significance tests between strategies: pairwise tests with Holm correction, win/tie/loss
tables and Friedman/Nemenyi critical differences. Pure functions, no plotting, no I/O."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from harness.analysis.ranktests import friedman_p as friedman_p_of
from harness.analysis.ranktests import nemenyi_q, rankdata, wilcoxon_pratt

__all__ = [
    "CriticalDifference",
    "PairwiseResult",
    "critical_difference",
    "holm",
    "pairwise_comparisons",
    "win_tie_loss",
    "win_tie_loss_counts",
]

_SCORE_COLUMNS = ("problem", "strategy", "seed", "score")


@dataclass(frozen=True)
class PairwiseResult:
    """One two-sided test of strategy ``a`` against strategy ``b`` (higher score is better).

    ``n`` counts pairs (Wilcoxon) or all observations of both sides (Mann-Whitney).
    ``median_diff`` is the median of a-b over pairs (Wilcoxon) or median(a)-median(b)
    (Mann-Whitney). ``outcome`` is "win", "tie" or "loss" from a's point of view, or
    "not compared" when the two share no problem (test "not compared", numbers NaN).
    """

    a: str
    b: str
    test: str
    n: int
    statistic: float
    p_value: float
    p_holm: float
    median_diff: float
    outcome: str


@dataclass(frozen=True)
class CriticalDifference:
    """Average ranks over problems (1 = best) with the Nemenyi critical difference.

    ``cliques`` are the maximal groups (two or more strategies, ordered by rank) whose rank
    spread is at most ``cd``, i.e. not significantly different from each other.
    """

    ranks: dict[str, float]
    cd: float
    n_problems: int
    alpha: float
    friedman_p: float
    cliques: list[list[str]]


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values, in input order (monotone, capped at 1.0)."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, index in enumerate(np.argsort(p, kind="stable")):
        running = max(running, min(1.0, (m - rank) * p[index]))
        adjusted[index] = running
    return [float(value) for value in adjusted]


def _outcome(p_holm: float, median_diff: float, alpha: float) -> str:
    if p_holm < alpha and median_diff > 0:
        return "win"
    if p_holm < alpha and median_diff < 0:
        return "loss"
    return "tie"


def _finite(value: float, default: float) -> float:
    value = float(value)
    return value if math.isfinite(value) else default


NOT_COMPARED = "not compared"


def _test_pair(
    a: pd.Series, b: pd.Series
) -> tuple[str, int, float, float, float] | None:
    """(test, n, statistic, p, median_diff) for two series indexed by (problem, seed);
    ``not compared`` (p NaN) when they share no problem."""
    if len(a) == 0 or len(b) == 0:
        return None
    common = a.index.intersection(b.index)
    if len(common) >= 2:
        diff = a.loc[common].to_numpy() - b.loc[common].to_numpy()
        median_diff = float(np.median(diff))
        if np.all(diff == 0):
            return "wilcoxon", len(common), 0.0, 1.0, median_diff
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # small samples: normal approximation
            statistic, p = wilcoxon_pratt(diff)
        return ("wilcoxon", len(common), _finite(statistic, 0.0), _finite(p, 1.0),
                median_diff)
    shared = set(a.index.get_level_values("problem")) & set(b.index.get_level_values("problem"))
    if not shared:
        return NOT_COMPARED, 0, math.nan, math.nan, math.nan
    x = a[a.index.get_level_values("problem").isin(shared)].to_numpy()
    y = b[b.index.get_level_values("problem").isin(shared)].to_numpy()
    from scipy import stats  # seldom: only where fewer than 2 (problem, seed) pairs

    result = stats.mannwhitneyu(x, y, alternative="two-sided")
    return ("mann-whitney", len(x) + len(y), _finite(result.statistic, 0.0),
            _finite(result.pvalue, 1.0), float(np.median(x) - np.median(y)))


def pairwise_comparisons(scores: pd.DataFrame, *, alpha: float = 0.05) -> list[PairwiseResult]:
    """Test every pair of strategies (a before b, sorted), Holm-corrected across all pairs.

    ``scores`` has columns problem, strategy, seed and score (higher is better; NaN rows are
    dropped, repeated (problem, strategy, seed) rows are averaged). Observations paired on
    (problem, seed) use the Wilcoxon signed-rank test (``zero_method="pratt"``: equal pairs
    take part in the ranking, then are dropped; the conservative choice) when there are at
    least 2 pairs; otherwise their scores on the problems both ran on are compared with
    Mann-Whitney U. A pair that shares no problem is ``not compared`` (p NaN, outside the
    Holm correction); a pair where one side has no scores at all is left out.
    """
    missing = [column for column in _SCORE_COLUMNS if column not in scores.columns]
    if missing:
        raise ValueError(f"scores is missing column(s): {', '.join(missing)}")
    strategies = sorted({str(name) for name in scores["strategy"].unique()})
    data = scores.loc[:, list(_SCORE_COLUMNS)].dropna(subset=["score"])
    data = data.assign(strategy=data["strategy"].astype(str), score=data["score"].astype(float))
    means = data.groupby(["strategy", "problem", "seed"], sort=True)["score"].mean()
    grouped = {str(name): group.droplevel("strategy")
               for name, group in means.groupby(level="strategy")}
    empty = pd.Series(dtype=float)
    by_strategy = {name: grouped.get(name, empty) for name in strategies}
    raw: list[tuple[str, str, tuple[str, int, float, float, float]]] = []
    for a, b in combinations(strategies, 2):
        tested = _test_pair(by_strategy[a], by_strategy[b])
        if tested is not None:
            raw.append((a, b, tested))
    tested_p = [tested[3] for _, _, tested in raw if tested[0] != NOT_COMPARED]
    adjusted = iter(holm(tested_p))
    out = []
    for a, b, (test, n, statistic, p, median_diff) in raw:
        if test == NOT_COMPARED:
            out.append(PairwiseResult(a=a, b=b, test=test, n=0, statistic=math.nan,
                                      p_value=math.nan, p_holm=math.nan,
                                      median_diff=math.nan, outcome=NOT_COMPARED))
            continue
        p_holm = next(adjusted)
        out.append(PairwiseResult(a=a, b=b, test=test, n=n, statistic=statistic, p_value=p,
                                  p_holm=p_holm, median_diff=median_diff,
                                  outcome=_outcome(p_holm, median_diff, alpha)))
    return out


_MIRROR = {"win": "loss", "loss": "win", "tie": "tie", NOT_COMPARED: NOT_COMPARED}


def win_tie_loss(results: list[PairwiseResult], strategies: list[str]) -> dict[str, dict[str, str]]:
    """matrix[row][col]: outcome of row against col; "" on the diagonal, "n/a" if untested."""
    matrix = {row: {col: ("" if row == col else "n/a") for col in strategies}
              for row in strategies}
    for result in results:
        if result.a in matrix and result.b in matrix:
            matrix[result.a][result.b] = result.outcome
            matrix[result.b][result.a] = _MIRROR[result.outcome]
    return matrix


def win_tie_loss_counts(
    results: list[PairwiseResult], strategies: list[str]
) -> dict[str, tuple[int, int, int]]:
    """(wins, ties, losses) per strategy against the others."""
    matrix = win_tie_loss(results, strategies)
    counts: dict[str, tuple[int, int, int]] = {}
    for row, cells in matrix.items():
        outcomes = list(cells.values())
        counts[row] = (outcomes.count("win"), outcomes.count("tie"), outcomes.count("loss"))
    return counts


def _cliques(ranks: dict[str, float], cd: float) -> list[list[str]]:
    """Maximal runs of rank-ordered strategies whose rank spread is at most ``cd``."""
    ordered = sorted(ranks, key=lambda name: (ranks[name], name))
    tolerance = 1e-12 * max(1.0, cd)
    cliques: list[list[str]] = []
    last_end = -1
    for start in range(len(ordered)):
        end = start
        while (end + 1 < len(ordered)
               and ranks[ordered[end + 1]] - ranks[ordered[start]] <= cd + tolerance):
            end += 1
        if end > start and end > last_end:
            cliques.append(ordered[start:end + 1])
            last_end = end
    return cliques


def critical_difference(table: pd.DataFrame, *, alpha: float = 0.05,
                        ranked: bool = False) -> CriticalDifference | None:
    """Average ranks, Friedman p-value and Nemenyi critical difference.

    ``table`` is problems (index) x strategies (columns) of mean scores, higher is better,
    or (``ranked``) of each strategy's rank on each problem, 1 the best (the verdict's
    per-problem ranks, so that the diagram shows the same mean ranks). Problems with any NaN
    are dropped; None when fewer than 3 problems or 2 strategies remain.
    """
    data = table.dropna(axis=0, how="any")
    k, n = data.shape[1], data.shape[0]
    if n < 3 or k < 2:
        return None
    values = data.to_numpy(dtype=float)
    if ranked:
        per_problem, values = values, -values
    else:
        per_problem = rankdata(-values, axis=1)
    names = [str(column) for column in data.columns]
    ranks = {name: float(rank) for name, rank in zip(names, per_problem.mean(axis=0), strict=True)}
    q_alpha = nemenyi_q(1 - alpha, k) / math.sqrt(2)
    cd = q_alpha * math.sqrt(k * (k + 1) / (6 * n))
    friedman_p = math.nan
    if k >= 3:
        if np.all(per_problem == per_problem[:, :1]):
            friedman_p = 1.0  # every problem ties all strategies: no evidence of a difference
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                friedman_p = friedman_p_of(values)
    return CriticalDifference(ranks=ranks, cd=cd, n_problems=n, alpha=alpha,
                              friedman_p=friedman_p, cliques=_cliques(ranks, cd))
