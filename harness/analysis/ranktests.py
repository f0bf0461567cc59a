"""The rank statistics the report needs, computed as ``scipy.stats`` computes them, without
importing ``scipy.stats`` (it loads every distribution scipy has: about a third of the
report's start-up). Only ``scipy.special`` is used; each function names the scipy call whose
numbers it gives, and tests/test_ranktests.py compares them. Rare cases (non-finite data,
Mann-Whitney) call scipy itself, imported there.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["friedman_p", "nemenyi_q", "rankdata", "t_ppf", "wilcoxon_pratt"]


def rankdata(values: object, axis: int = -1) -> np.ndarray:
    """``scipy.stats.rankdata(values, method="average", axis=axis)``: ranks from 1, ties
    sharing their mean rank; a slice holding NaN ranks as all NaN (scipy's "propagate")."""
    ranks, _ = _ranks_and_ties(np.moveaxis(np.asarray(values, dtype=float), axis, -1))
    return np.moveaxis(ranks, -1, axis)


def _ranks_and_ties(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average ranks along the last axis, and the sizes of the tie groups (scipy's
    ``_rankdata(..., return_ties=True)``: each group's size at its first sorted place, 0
    elsewhere)."""
    order = np.argsort(x, axis=-1, kind="stable")
    ordered = np.take_along_axis(x, order, axis=-1)
    first = np.ones(x.shape, dtype=bool)
    first[..., 1:] = ordered[..., :-1] != ordered[..., 1:]
    starts = np.flatnonzero(first)
    counts = np.diff(starts, append=x.size)
    ordinal = np.broadcast_to(np.arange(1, x.shape[-1] + 1, dtype=float), x.shape)
    mid = ordinal[first] + (counts.astype(float) - 1) / 2
    ranks = np.empty(x.shape)
    np.put_along_axis(ranks, order, np.repeat(mid, counts).reshape(x.shape), axis=-1)
    ties = np.zeros(x.shape)
    ties[first] = counts
    nan = np.isnan(x).any(axis=-1)
    ranks[nan] = np.nan
    return ranks, ties


def t_ppf(q: float, df: float) -> float:
    """``scipy.stats.t.ppf(q, df)`` (Student's t quantile)."""
    from scipy.special import stdtrit

    return float(stdtrit(df, q))


#: Up to this many pairs, scipy's Wilcoxon test of pairs with ties or zeros is an exact
#: permutation test over all 2**n sign flips (``scipy.stats.wilcoxon``, method "auto").
EXACT_PERMUTATION_MAX = 13
#: Past this many pairs scipy's Wilcoxon test uses its normal approximation.
EXACT_DISTRIBUTION_MAX = 50


def wilcoxon_pratt(diff: object) -> tuple[float, float]:
    """(statistic, two-sided p) of ``scipy.stats.wilcoxon(diff, zero_method="pratt")``, the
    same numbers, as scipy's method "auto" chooses: without ties or zeros and at most 50
    pairs, the exact distribution of the signed-rank sum; with ties or zeros among at most
    13 pairs, the exact permutation test over all 2**n sign flips (scipy computes one flip
    at a time, about a millisecond each; here all at once); otherwise the normal
    approximation (Pratt's and the ties' corrections, no continuity correction)."""
    d = np.asarray(diff, dtype=float)
    if d.size == 0 or not np.all(np.isfinite(d)):
        from scipy import stats

        result = stats.wilcoxon(d, zero_method="pratt", alternative="two-sided")
        return float(result.statistic), float(result.pvalue)
    ranks, ties = _ranks_and_ties(np.abs(d))
    r_plus, r_minus = float(np.sum((d > 0) * ranks)), float(np.sum((d < 0) * ranks))
    statistic = min(r_plus, r_minus)
    zeros = int(np.count_nonzero(d == 0))
    if not np.any(ties > 1) and zeros == 0 and d.size <= EXACT_DISTRIBUTION_MAX:
        return statistic, _signed_rank_exact_p(r_plus, d.size)
    if d.size <= EXACT_PERMUTATION_MAX:
        return statistic, _sign_flip_p(d, ranks, r_plus)
    n = float(d.size)
    mean = n * (n + 1.0) * 0.25 - zeros * (zeros + 1.0) * 0.25
    var = n * (n + 1.0) * (2.0 * n + 1.0) - zeros * (zeros + 1.0) * (2.0 * zeros + 1.0)
    if zeros:
        ties[0] = 0.0  # the zeros' tie group (they rank lowest) is not a tie correction
    se = math.sqrt((var - float(np.sum(ties**3 - ties)) / 2) / 24)
    from scipy.special import ndtr

    return statistic, float(2 * ndtr(-abs((r_plus - mean) / se)))


def _signed_rank_distribution(n: int) -> np.ndarray:
    """P(R+ = r) for r = 0 .. n(n+1)/2, n pairs without ties (scipy's
    ``_get_wilcoxon_distr``)."""
    c = np.ones(1, dtype=np.float64)
    for k in range(1, n + 1):
        prev = c
        c = np.zeros(k * (k + 1) // 2 + 1, dtype=np.float64)
        m = len(prev)
        c[:m] = prev * 0.5
        c[-m:] += prev * 0.5
    return c


def _signed_rank_exact_p(r_plus: float, n: int) -> float:
    """Two-sided p of R+ = ``r_plus`` from the exact null distribution, summed as scipy's
    ``WilcoxonDistribution`` sums it (the shorter tail directly, the other as 1 - rest)."""
    pmf = _signed_rank_distribution(n)
    mean = n * (n + 1) / 4

    def cdf(k: int) -> float:
        return float(pmf[:k + 1].sum()) if k <= mean else float(1 - pmf[k + 1:].sum())

    def sf(k: int) -> float:
        return float(pmf[k:].sum()) if k <= mean else float(1 - pmf[:k].sum())

    p = 2 * min(sf(math.floor(r_plus)), cdf(math.ceil(r_plus)))
    return min(max(p, 0.0), 1.0)


def _sign_flip_p(d: np.ndarray, ranks: np.ndarray, r_plus: float) -> float:
    """Two-sided p of R+ over all 2**n sign flips of ``d`` (``scipy.stats.permutation_test``
    with ``permutation_type="samples"``: values within 100 machine epsilons of the
    observed one count as equal to it)."""
    n = d.size
    flips = (np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1
    positive = np.where(flips == 1, d < 0, d > 0)
    null = positive.astype(float) @ ranks
    gamma = abs(np.finfo(float).eps * 100 * r_plus)
    less = np.count_nonzero(null <= r_plus + gamma) / 2**n
    greater = np.count_nonzero(null >= r_plus - gamma) / 2**n
    return float(min(max(min(less, greater) * 2, 0.0), 1.0))


def friedman_p(values: np.ndarray) -> float:
    """p of ``scipy.stats.friedmanchisquare(*values.T)`` (rows: blocks, columns: the k >= 3
    treatments; ties corrected; chi-squared with k - 1 degrees of freedom)."""
    from scipy.special import chdtrc

    n, k = values.shape
    ranks, ties = _ranks_and_ties(np.asarray(values, dtype=float))
    c = 1 - np.sum(ties * (ties * ties - 1), axis=(0, -1)) / (k * (k * k - 1) * n)
    ssbn = np.sum(np.sum(ranks, axis=0) ** 2, axis=-1)
    statistic = (12.0 / (k * n * (k + 1)) * ssbn - 3 * n * (k + 1)) / c
    return float(chdtrc(k - 1, statistic))


def _range_cdf(q: float, k: int) -> float:
    """P(range of k standard normals <= q) = k * integral phi(z) (Phi(z+q) - Phi(z))^(k-1)
    dz, by Gauss-Legendre quadrature over the normal's +-12 (exact to ~1e-15)."""
    from scipy.special import ndtr

    nodes, weights = _legendre()
    z = nodes * 12.0
    phi = np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    inner = np.clip(ndtr(z + q) - ndtr(z), 0.0, 1.0)
    return float(min(max(12.0 * k * np.sum(weights * phi * inner ** (k - 1)), 0.0), 1.0))


_LEGENDRE: list[tuple[np.ndarray, np.ndarray]] = []


def _legendre() -> tuple[np.ndarray, np.ndarray]:
    if not _LEGENDRE:
        _LEGENDRE.append(np.polynomial.legendre.leggauss(200))
    return _LEGENDRE[0]


def nemenyi_q(p: float, k: int) -> float:
    """``scipy.stats.studentized_range.ppf(p, k, np.inf)``: the p-quantile of the range of
    k independent standard normals (scipy integrates to ~1e-11 and solves to 1e-14; this
    agrees with it to about 1e-10), found by bisection."""
    low, high = 0.0, 1.0
    while _range_cdf(high, k) < p:
        low, high = high, high * 2
    for _ in range(200):
        middle = (low + high) / 2
        if middle in (low, high):
            break
        if _range_cdf(middle, k) < p:
            low = middle
        else:
            high = middle
    return (low + high) / 2
