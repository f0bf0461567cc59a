"""harness.analysis.ranktests gives scipy.stats' numbers without importing it (the report
starts without scipy.stats): ranks, Wilcoxon, Friedman, the Nemenyi quantile, Student's t."""

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from harness.analysis.ranktests import (
    _chi2_sf,
    friedman_p,
    nemenyi_q,
    rankdata,
    t_ppf,
    wilcoxon_pratt,
)


def test_ranks_are_scipys_with_ties_and_nan_along_either_axis():
    rng = np.random.default_rng(3)
    values = rng.integers(0, 4, size=(6, 7)).astype(float)
    values[2, 3] = np.nan
    for axis in (0, 1, -1):
        np.testing.assert_array_equal(rankdata(values, axis=axis),
                                      stats.rankdata(values, method="average", axis=axis))
    assert rankdata([np.inf, -0.5, -0.9, np.inf]).tolist() == [3.5, 2.0, 1.0, 3.5]


@pytest.mark.parametrize("n", [2, 5, 13, 20, 50, 51, 80])
def test_wilcoxon_without_ties_is_scipys_exact_or_normal_test(n):
    rng = np.random.default_rng(n)
    diff = rng.normal(0.01, 0.05, size=n)
    expected = stats.wilcoxon(diff, zero_method="pratt", alternative="two-sided")
    statistic, p = wilcoxon_pratt(diff)
    assert statistic == float(expected.statistic)
    assert p == pytest.approx(float(expected.pvalue), rel=1e-13)  # exact up to 50 pairs


@pytest.mark.parametrize("diff", [
    [0.02, -0.01, 0.02, 0.0, 0.03, 0.01, -0.02, 0.02, 0.0, 0.01],  # ties, zeros: 2**10 flips
    [0.1, 0.1, -0.1, 0.2, 0.3, 0.1, -0.2, 0.4, 0.5, 0.1, 0.2],  # 11 pairs: 2**11 flips
    [float(v) for v in np.arange(-7, 8) % 5 - 2],  # 15 pairs with ties: normal approximation
    [0.0] * 20 + [0.25, -0.5] * 20,  # zeros and ties past 50 pairs
])
def test_wilcoxon_with_ties_or_zeros_is_scipys_permutation_or_normal_test(diff):
    expected = stats.wilcoxon(diff, zero_method="pratt", alternative="two-sided")
    statistic, p = wilcoxon_pratt(np.array(diff))
    assert statistic == float(expected.statistic)
    assert p == pytest.approx(float(expected.pvalue), rel=1e-13)


def test_friedman_p_is_scipys_with_and_without_ties():
    rng = np.random.default_rng(7)
    for values in (rng.normal(size=(8, 4)), rng.integers(0, 3, size=(6, 5)).astype(float)):
        expected = stats.friedmanchisquare(*values.T).pvalue
        assert friedman_p(values) == pytest.approx(float(expected), rel=1e-12)


@pytest.mark.parametrize("df", range(1, 13))
def test_closed_forms_of_t_and_chi_squared_are_scipys(df):
    from scipy import special

    for q in (0.6, 0.9, 0.975, 0.999):
        assert t_ppf(q, df) == pytest.approx(float(stats.t.ppf(q, df)), rel=1e-12)
    for x in (0.0, 0.01, 0.5, 3.0, 20.0, 150.0):
        assert _chi2_sf(x, df) == pytest.approx(float(special.chdtrc(df, x)), rel=1e-12)


@pytest.mark.parametrize(("p", "k"), [(0.95, 2), (0.95, 5), (0.95, 13), (0.9, 3),
                                      (0.99, 30)])
def test_nemenyi_quantile_is_scipys_studentized_range(p, k):
    expected = float(stats.studentized_range.ppf(p, k, np.inf))
    assert nemenyi_q(p, k) == pytest.approx(expected, rel=1e-9)


def test_t_quantile_is_scipys_for_many_or_fractional_degrees_of_freedom():
    for df in (30, 999, 5000, 2.5):
        assert t_ppf(0.975, df) == pytest.approx(float(stats.t.ppf(0.975, df)), rel=1e-12)


def test_the_report_and_its_rank_tests_import_no_scipy():
    code = ("import sys; from harness.analysis.ranktests import *; "
            "from harness.report import write_report; "
            "nemenyi_q(0.95, 4), t_ppf(0.975, 3), friedman_p(__import__('numpy').eye(3)), "
            "friedman_p(__import__('numpy').array([[1, 2, 3], [1, 3, 2], [2, 1, 3.0]])); "
            "wilcoxon_pratt([0.1, -0.2, 0.3]); print('scipy' in sys.modules, "
            "'sklearn' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["False", "False"]
