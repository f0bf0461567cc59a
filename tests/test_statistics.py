"""Significance tests between strategies and the critical-difference diagram."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from harness.analysis.statistics import (
    CriticalDifference,
    critical_difference,
    holm,
    pairwise_comparisons,
    wilcoxon_pratt,
    win_tie_loss,
    win_tie_loss_counts,
)
from harness.report.charts.critical_difference import critical_difference_svg


def _scores(rows: list[tuple[str, str, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["problem", "strategy", "seed", "score"])


def _paired(values: dict[str, float], problems=("p1", "p2"), seeds=range(10)) -> pd.DataFrame:
    """Every strategy on every (problem, seed): its base score plus a small random jitter."""
    rng = np.random.default_rng(0)
    rows = [(problem, name, seed, base + float(rng.uniform(-0.01, 0.01)))
            for problem in problems for seed in seeds for name, base in values.items()]
    return _scores(rows)


def test_holm_known_example():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.6]) == [1.0, 1.0]
    assert holm([0.02]) == [0.02]
    assert holm([]) == []


def test_clearly_better_strategy_wins_with_wilcoxon():
    results = pairwise_comparisons(_paired({"better": 0.9, "worse": 0.5}))
    assert len(results) == 1
    (result,) = results
    assert (result.a, result.b, result.test, result.n) == ("better", "worse", "wilcoxon", 20)
    # all 20 differences positive: exact two-sided p = 2 / 2**20
    assert result.p_value == pytest.approx(2 / 2**20)
    assert result.p_holm == pytest.approx(result.p_value)
    assert result.median_diff == pytest.approx(0.4, abs=0.02)
    assert result.outcome == "win"

    (mirror,) = pairwise_comparisons(_paired({"a_worse": 0.5, "b_better": 0.9}))
    assert (mirror.a, mirror.b) == ("a_worse", "b_better")
    assert mirror.median_diff == pytest.approx(-0.4, abs=0.02)
    assert mirror.outcome == "loss"


def test_identical_strategies_tie_with_p_one():
    x = _paired({"x": 0.7})
    (result,) = pairwise_comparisons(pd.concat([x, x.assign(strategy="y")], ignore_index=True))
    assert result.test == "wilcoxon"
    assert result.p_value == 1.0
    assert result.p_holm == 1.0
    assert result.median_diff == 0.0
    assert result.outcome == "tie"


def test_holm_applied_across_pairs():
    results = pairwise_comparisons(_paired({"a": 0.9, "b": 0.5, "c": 0.5}))
    assert [(r.a, r.b) for r in results] == [("a", "b"), ("a", "c"), ("b", "c")]
    assert [r.p_holm for r in results] == pytest.approx(holm([r.p_value for r in results]))
    assert [r.outcome for r in results] == ["win", "win", "tie"]


def test_without_common_seeds_falls_back_to_mann_whitney():
    rows = [("p1", "a", seed, 0.9 + seed / 100) for seed in range(5)]
    rows += [("p1", "b", seed, 0.5 + seed / 100) for seed in range(5, 10)]
    (result,) = pairwise_comparisons(_scores(rows))
    assert result.test == "mann-whitney"
    assert result.n == 10
    assert result.statistic == 25.0
    # completely separated 5 vs 5: exact two-sided p = 2 / C(10, 5)
    assert result.p_value == pytest.approx(2 / math.comb(10, 5))
    assert result.median_diff == pytest.approx((0.9 + 0.02) - (0.5 + 0.07))
    assert result.outcome == "win"


def test_nan_scores_dropped_and_empty_strategy_skipped():
    data = _paired({"a": 0.9, "b": 0.5})
    data = pd.concat([data, _scores([("p1", "broken", 0, float("nan"))])], ignore_index=True)
    data.loc[0, "score"] = float("nan")
    results = pairwise_comparisons(data)
    assert [(r.a, r.b, r.n) for r in results] == [("a", "b", 19)]
    matrix = win_tie_loss(results, ["a", "b", "broken"])
    assert matrix["a"]["broken"] == "n/a"
    assert matrix["broken"]["b"] == "n/a"


def test_missing_columns_rejected():
    with pytest.raises(ValueError, match="seed"):
        pairwise_comparisons(pd.DataFrame({"problem": [], "strategy": [], "score": []}))


def test_win_tie_loss_matrix_and_counts():
    strategies = ["a", "b", "c"]
    results = pairwise_comparisons(_paired({"a": 0.9, "b": 0.5, "c": 0.5}))
    matrix = win_tie_loss(results, strategies)
    assert list(matrix) == strategies
    assert all(list(row) == strategies for row in matrix.values())
    assert [matrix[s][s] for s in strategies] == ["", "", ""]
    assert matrix["a"] == {"a": "", "b": "win", "c": "win"}
    assert matrix["b"] == {"a": "loss", "b": "", "c": "tie"}
    assert matrix["c"] == {"a": "loss", "b": "tie", "c": ""}
    assert win_tie_loss_counts(results, strategies) == {
        "a": (2, 0, 0), "b": (0, 1, 1), "c": (0, 1, 1)}


def _rank_table() -> pd.DataFrame:
    """10 problems x 3 strategies; average ranks A=1.35, B=1.85, C=2.8 (one A/B tie)."""
    rows = [[3.0, 2.0, 1.0]] * 7 + [[2.0, 3.0, 1.0]] * 2 + [[1.0, 1.0, 2.0]]
    return pd.DataFrame(rows, columns=["A", "B", "C"],
                        index=[f"problem{i}" for i in range(10)])


def test_critical_difference_needs_three_problems():
    assert critical_difference(_rank_table().iloc[:2]) is None
    assert critical_difference(_rank_table()[["A"]]) is None
    with_nan = _rank_table().astype(float)
    with_nan.iloc[:8, 0] = float("nan")
    assert critical_difference(with_nan) is None  # only 2 complete problems remain


def test_critical_difference_ranks_cd_and_cliques():
    result = critical_difference(_rank_table())
    assert isinstance(result, CriticalDifference)
    assert result.ranks == pytest.approx({"A": 1.35, "B": 1.85, "C": 2.8})
    assert result.n_problems == 10
    assert result.alpha == 0.05
    assert result.cd == pytest.approx(2.343 * math.sqrt(3 * 4 / 60), abs=1e-3)
    assert result.cd == pytest.approx(1.048, abs=1e-3)
    # Friedman chi2 = 10.85 / tie correction 0.975 = 11.13 with 2 dof
    assert result.friedman_p == pytest.approx(math.exp(-10.85 / 0.975 / 2), rel=1e-6)
    # A-B (0.5) and B-C (0.95) are within CD, A-C (1.45) is not
    assert result.cliques == [["A", "B"], ["B", "C"]]


def test_critical_difference_two_strategies_has_no_friedman():
    result = critical_difference(_rank_table()[["A", "C"]])
    assert result is not None
    assert math.isnan(result.friedman_p)
    assert result.ranks == pytest.approx({"A": 1.1, "C": 1.9})


def test_critical_difference_svg():
    result = critical_difference(_rank_table())
    assert result is not None
    svg = critical_difference_svg(result)
    assert svg.startswith("<svg")
    for name in ("A", "B", "C"):
        assert name in svg
    assert "CD = 1.05" in svg


def test_critical_difference_svg_long_names():
    table = _rank_table().rename(columns={"A": "random_search", "B": "bayes_gp", "C": "tpe"})
    svg = critical_difference_svg(critical_difference(table))
    assert svg.startswith("<svg")
    assert all(name in svg for name in ("random_search", "bayes_gp", "tpe", "CD ="))


def test_pairs_without_a_common_problem_are_not_compared():
    rows = [("p1", "a", seed, 0.9) for seed in range(3)]
    rows += [("p2", "b", seed, 0.5) for seed in range(3)]
    rows += [("p1", "c", seed, 0.5 + seed / 100) for seed in range(3)]
    results = pairwise_comparisons(_scores(rows))
    by = {(r.a, r.b): r for r in results}
    assert (by["a", "b"].test, by["a", "b"].outcome) == ("not compared", "not compared")
    assert math.isnan(by["a", "b"].p_value) and math.isnan(by["a", "b"].p_holm)
    # Holm runs over the tested pairs only: a-c is the one test of p1's 3 pairs
    assert by["a", "c"].p_holm == by["a", "c"].p_value
    matrix = win_tie_loss(results, ["a", "b", "c"])
    assert matrix["a"]["b"] == matrix["b"]["a"] == "not compared"
    assert win_tie_loss_counts(results, ["a", "b", "c"])["b"] == (0, 0, 0)


def test_wilcoxon_counts_equal_pairs_as_pratt_does():
    # 3 of 21 pairs are equal: pratt ranks them, then drops them (zsplit would split them)
    diff = [0, 0, 0, 0.1, 0.2, -0.3, 0.4, 0.5, 0.6, -0.05, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2,
            1.3, -1.4, 1.5, 1.6, 1.7]
    rows = [("p", "a", i, 2.0 + d) for i, d in enumerate(diff)]
    rows += [("p", "b", i, 2.0) for i in range(len(diff))]
    (result,) = pairwise_comparisons(_scores(rows))
    assert result.p_value == pytest.approx(0.0036326107700705903)
    assert result.p_value != pytest.approx(0.0036944059282459085)  # zsplit's


def test_critical_difference_of_given_ranks():
    # per-problem ranks as the verdict gives them (means over seeds, not re-ranked)
    ranks = pd.DataFrame({"A": [1.0, 1.5, 1.25], "B": [2.0, 1.5, 1.75]},
                         index=["p1", "p2", "p3"])
    result = critical_difference(ranks, ranked=True)
    assert result.ranks == pytest.approx({"A": 1.25, "B": 1.75})


@pytest.mark.parametrize("diff", [
    [0.02, -0.01, 0.02, 0.0, 0.03, 0.01, -0.02, 0.02, 0.0, 0.01],  # ties and zeros, n=10
    [1.0, 2.0, 2.0, -3.0, 0.0],
    [0.0, 0.0, 0.0],
    [0.5, -0.25, 0.125, 1.5, -2.0, 0.75],  # no ties: scipy's exact distribution
    [float(v) for v in np.arange(-7, 8) % 5 - 2],  # 15 pairs with ties: normal approximation
])
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # scipy, all zeros
def test_wilcoxon_pratt_gives_scipys_numbers(diff):
    expected = stats.wilcoxon(diff, zero_method="pratt", alternative="two-sided")
    statistic, p = wilcoxon_pratt(np.array(diff))
    assert (statistic, p) == pytest.approx((float(expected.statistic), float(expected.pvalue)),
                                           rel=1e-12, nan_ok=True)
