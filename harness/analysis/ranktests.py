"""The rank statistics the report needs, computed as ``scipy.stats`` computes them, without
importing SciPy (``scipy.stats`` loads every distribution SciPy has: about a third of the
report's start-up; ``scipy.special`` another tenth of a second). Each function names the
SciPy call whose numbers it gives (the same, or within 1e-12 where a closed form of the
distribution replaces SciPy's: integer degrees of freedom), and tests/test_ranktests.py
compares them. Rare cases (non-finite data, other degrees of freedom, Mann-Whitney) call
SciPy itself, imported there.
"""

from __future__ import annotations

import math
from collections.abc import Callable

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


def _ndtr(x: float) -> float:
    """The standard normal CDF (``scipy.special.ndtr``)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


#: Past this many degrees of freedom, or for fractional ones, SciPy computes them.
CLOSED_FORM_MAX_DF = 1000


def _t_within(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with integer ``df`` (Abramowitz and Stegun 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(df))
    c2, total, term = math.cos(theta) ** 2, 1.0, 1.0
    if df % 2:
        if df == 1:
            return 2 * theta / math.pi
        for k in range(1, (df - 3) // 2 + 1):
            term *= c2 * (2 * k) / (2 * k + 1)
            total += term
        return 2 / math.pi * (theta + math.sin(theta) * math.cos(theta) * total)
    for k in range(1, (df - 2) // 2 + 1):
        term *= c2 * (2 * k - 1) / (2 * k)
        total += term
    return math.sin(theta) * total


def t_ppf(q: float, df: float) -> float:
    """``scipy.stats.t.ppf(q, df)`` (Student's t quantile), for 0.5 < q < 1 and integer
    ``df`` by bisection on the closed-form CDF."""
    if not (0.5 < q < 1 and float(df).is_integer() and 1 <= df <= CLOSED_FORM_MAX_DF):
        from scipy.special import stdtrit

        return float(stdtrit(df, q))
    return _bisect(lambda t: _t_within(t, int(df)), 2 * q - 1)


def _bisect(increasing: Callable[[float], float], level: float) -> float:
    """The x >= 0 where ``increasing(x)`` reaches ``level``, to the last bit."""
    low, high = 0.0, 1.0
    while increasing(high) < level:
        low, high = high, high * 2
    while True:
        middle = (low + high) / 2
        if middle in (low, high):
            return middle
        if increasing(middle) < level:
            low = middle
        else:
            high = middle


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
    return statistic, 2 * _ndtr(-abs((r_plus - mean) / se))


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


def _chi2_sf(x: float, df: int) -> float:
    """P(X > x) for chi-squared with integer ``df`` (``scipy.special.chdtrc``): the
    Poisson sum for even ``df``, the normal tail and its half-integer sum for odd."""
    if x <= 0:
        return 1.0 if x == 0 else math.nan  # as chdtrc: NaN below 0 (a rounding's -1e-15)
    if not x < 1400 or df > CLOSED_FORM_MAX_DF:  # beyond: exp(-x/2) underflows; NaN
        from scipy.special import chdtrc

        return float(chdtrc(df, x))
    half = x / 2
    if df % 2 == 0:
        term = total = 1.0
        for i in range(1, df // 2):
            term *= half / i
            total += term
        return math.exp(-half) * total
    term = math.sqrt(half) / (math.sqrt(math.pi) / 2)  # (x/2)^(1/2) / Gamma(3/2)
    total = term if df > 1 else 0.0
    for i in range(1, (df - 1) // 2):
        term *= half / (i + 0.5)
        total += term
    return math.erfc(math.sqrt(half)) + math.exp(-half) * total


def friedman_p(values: np.ndarray) -> float:
    """p of ``scipy.stats.friedmanchisquare(*values.T)`` (rows: blocks, columns: the k >= 3
    treatments; ties corrected; chi-squared with k - 1 degrees of freedom)."""
    n, k = values.shape
    ranks, ties = _ranks_and_ties(np.asarray(values, dtype=float))
    c = 1 - np.sum(ties * (ties * ties - 1), axis=(0, -1)) / (k * (k * k - 1) * n)
    ssbn = np.sum(np.sum(ranks, axis=0) ** 2, axis=-1)
    statistic = (12.0 / (k * n * (k + 1)) * ssbn - 3 * n * (k + 1)) / c
    return _chi2_sf(float(statistic), k - 1)


def _range_cdf(q: float, k: int) -> float:
    """P(range of k standard normals <= q) = k * integral phi(z) (Phi(z+q) - Phi(z))^(k-1)
    dz, by Gauss-Legendre quadrature over the normal's +-12 (exact to ~1e-15)."""
    nodes, weights = _legendre()
    z = nodes * 12.0
    phi = np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    inner = np.clip(_NDTR(z + q).astype(float) - _NDTR(z).astype(float), 0.0, 1.0)
    return float(min(max(12.0 * k * np.sum(weights * phi * inner ** (k - 1)), 0.0), 1.0))


_NDTR = np.frompyfunc(_ndtr, 1, 1)
_LEGENDRE: list[tuple[np.ndarray, np.ndarray]] = []


def _legendre() -> tuple[np.ndarray, np.ndarray]:
    if not _LEGENDRE:
        _LEGENDRE.append(np.polynomial.legendre.leggauss(200))
    return _LEGENDRE[0]


def nemenyi_q(p: float, k: int) -> float:
    """``scipy.stats.studentized_range.ppf(p, k, np.inf)``: the p-quantile of the range of
    k independent standard normals (scipy integrates to ~1e-11 and solves to 1e-14; this
    agrees with it to about 1e-10), found by bisection."""
    return _bisect(lambda q: _range_cdf(q, k), p)
