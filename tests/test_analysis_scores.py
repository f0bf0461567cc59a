"""Unit tests of the leaderboard, normalized scores, mean ranks, cost points and overfitting
gaps, on hand-made runs frames whose right answers are worked out in the comments."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from harness.analysis.cost import cost_points, overfitting_gaps
from harness.analysis.leaderboard import (
    detail_means,
    estimate,
    leaderboard,
)
from harness.analysis.leaderboard import test_scores_by_strategy as scores_by_strategy
from harness.analysis.normalized import normalized_scores
from harness.analysis.recommend import suite_verdict

T_975_DF2 = 4.302652729749464  # Student t 97.5% quantile, 2 degrees of freedom

_DEFAULTS = {"best_cv_score": None, "test_score": None, "wall_time_s": 10.0,
             "cpu_time_s": 10.0, "peak_mem_mb": 100.0, "n_trials": 10, "status": "ok",
             "details": None}


def _runs(rows: list[dict]) -> pd.DataFrame:
    """A runs frame: each row names problem, strategy and seed; other columns as given or
    their default."""
    return pd.DataFrame([{**_DEFAULTS, **row} for row in rows])


def test_estimate_mean_ci_median_over_finite_values():
    e = estimate([0.7, 0.9, float("nan"), 0.8])
    assert (e.mean, e.median, e.n) == (pytest.approx(0.8), pytest.approx(0.8), 3)
    # std (ddof 1) of 0.7, 0.8, 0.9 is 0.1
    assert e.ci95 == pytest.approx(T_975_DF2 * 0.1 / math.sqrt(3))
    one = estimate([0.5])
    assert (one.mean, one.ci95, one.median, one.n) == (0.5, None, 0.5, 1)
    assert estimate([float("nan")]) == type(one)(None, None, None, 0)


def test_leaderboard_means_counts_and_best_marks():
    runs = _runs([
        {"problem": "p", "strategy": "a", "seed": 0, "best_cv_score": 0.90, "test_score": 0.7,
         "wall_time_s": 10.0, "cpu_time_s": 20.0, "n_trials": 10},
        {"problem": "p", "strategy": "a", "seed": 1, "best_cv_score": 0.80, "test_score": 0.8,
         "wall_time_s": 20.0, "cpu_time_s": 40.0, "n_trials": 20},
        {"problem": "p", "strategy": "a", "seed": 2, "best_cv_score": 0.85, "test_score": 0.9,
         "wall_time_s": 30.0, "cpu_time_s": 60.0, "n_trials": 30, "peak_mem_mb": 400.0},
        {"problem": "p", "strategy": "b", "seed": 0, "best_cv_score": 0.95, "test_score": 0.6,
         "wall_time_s": 5.0, "cpu_time_s": 5.0},
        {"problem": "p", "strategy": "b", "seed": 1, "status": "failed", "wall_time_s": 1.0,
         "cpu_time_s": 1.0, "n_trials": 0},
        {"problem": "p", "strategy": "b", "seed": 2, "status": "timeout", "wall_time_s": 3.0,
         "cpu_time_s": 3.0, "n_trials": 2},
        {"problem": "q", "strategy": "a", "seed": 0, "test_score": 1.0},
    ])
    a, b = leaderboard(runs, "p")
    assert (a.strategy, a.runs, b.strategy, b.runs) == ("a", 3, "b", 3)
    assert (a.test.mean, a.test.n) == (pytest.approx(0.8), 3)
    assert a.test.ci95 == pytest.approx(T_975_DF2 * 0.1 / math.sqrt(3))
    assert (a.cv.mean, a.cv.median) == (pytest.approx(0.85), pytest.approx(0.85))
    assert (a.wall_s, a.cpu_s, a.trials) == (20.0, 40.0, 20.0)
    assert a.peak_mem_mb == pytest.approx(200.0)
    assert (a.failures, a.timeouts, b.failures, b.timeouts) == (0, 0, 1, 1)
    # b: one scored run out of three, no CI
    assert (b.test.mean, b.test.ci95, b.test.n, b.cv.mean) == (0.6, None, 1, 0.95)
    assert (b.wall_s, b.cpu_s, b.trials) == (3.0, 3.0, 4.0)
    assert a.best == {"test_mean", "test_median"}
    assert b.best == {"cv_mean", "cv_median", "wall_s", "cpu_s", "peak_mem_mb"}
    assert leaderboard(runs, "q")[0].best == frozenset()  # nothing to compare with
    assert scores_by_strategy(runs, "p") == {"a": [0.7, 0.8, 0.9], "b": [0.6]}


def test_detail_means_average_numbers_only():
    runs = _runs([
        {"problem": "p", "strategy": "a", "seed": 0, "details": {"models": 4, "note": "x"}},
        {"problem": "p", "strategy": "a", "seed": 1, "details": {"models": 6, "refit": True}},
        {"problem": "p", "strategy": "b", "seed": 0, "details": {"ensemble": 2.5}},
        {"problem": "p", "strategy": "c", "seed": 0, "details": None},
    ])
    assert detail_means(runs, "p") == (["ensemble", "models"],
                                       [("a", [None, 5.0]), ("b", [2.5, None])])


def _verdict_runs(table: dict[str, dict[str, list[float | None | str]]]) -> pd.DataFrame:
    """Stored-looking runs from {dataset: {strategy: [test score per seed]}}; a status text
    in place of a score is a run that ended so (model ``m``: contenders ``strategy · m``)."""
    rows = []
    for dataset, by in table.items():
        for strategy, values in by.items():
            for seed, value in enumerate(values):
                status = value if isinstance(value, str) else "ok"
                rows.append({"id": len(rows) + 1, "dataset": dataset, "model": "m",
                             "problem": f"{dataset} / m", "strategy": strategy, "seed": seed,
                             "status": status, "details": None, "spec": {},
                             "test_score": None if isinstance(value, str) else value})
    return pd.DataFrame(rows)


def _normalized(table: dict[str, dict[str, list[float | None | str]]]):
    (standing,) = suite_verdict(_verdict_runs(table), levels=(1.0,), resamples=50).standings
    return normalized_scores(standing)


def _c(strategy: str) -> str:
    return f"{strategy} · m"


#: Scores are binary fractions, so equal means are equal floats (and tie in the ranks).
#: P1: random median 0.625, best 1.0 (span 0.375). P2: random's median is the best score
#: (the scale is undefined). P3: random median 0.5, best 1.0 (span 0.5).
_NORMALIZED = {
    "P1": {"random": [0.5, 0.75], "a": [0.875, 1.0], "b": [0.75, 0.75]},
    "P2": {"random": [0.875, 0.875], "a": [0.75, 0.75], "b": [0.875, 0.875]},
    "P3": {"random": [0.25, 0.75], "a": [0.5, 0.5], "b": [0.75, 1.0]},
}


def test_normalized_scores_against_random_search():
    result = _normalized(_NORMALIZED)
    assert result.problems == ["P1", "P2", "P3"]
    rows = {r.contender: r for r in result.rows}
    # (best - score) / (best - random median), averaged over seeds
    assert rows[_c("random")].per_problem == pytest.approx({"P1": 1.0, "P2": None, "P3": 1.0})
    assert rows[_c("a")].per_problem == pytest.approx({"P1": 1 / 6, "P2": None, "P3": 1.0})
    assert rows[_c("b")].per_problem == pytest.approx({"P1": 2 / 3, "P2": None, "P3": 0.25})
    assert rows[_c("a")].mean == pytest.approx(7 / 12)
    assert rows[_c("b")].mean == pytest.approx(11 / 24)
    # the undefined cell says why
    assert rows[_c("a")].why == {"P2": "undefined: random's median is the best score"}
    assert result.note is None
    # mean ranks are the verdict's: rank per problem and seed, averaged over seeds, then
    # problems. P1: a 1, 1; b 2, 2.5; random 3, 2.5. P2: random and b 1.5, a 3.
    # P3: b 1, 1; a 2, 3; random 3, 2.
    assert rows[_c("a")].mean_rank == pytest.approx((1 + 3 + 2.5) / 3)
    assert rows[_c("b")].mean_rank == pytest.approx((2.25 + 1.5 + 1) / 3)
    assert rows[_c("random")].mean_rank == pytest.approx((2.75 + 1.5 + 2.5) / 3)
    assert [r.contender for r in result.rows] == [_c("b"), _c("a"), _c("random")]


def test_normalized_scale_uses_the_median_of_random_search():
    # random median 0.5 (its mean would be 1/3), best 1.0: span 0.5
    result = _normalized({"P": {"random": [0.0, 0.5, 0.5], "a": [1.0]}})
    rows = {r.contender: r.per_problem["P"] for r in result.rows}
    assert rows == pytest.approx({_c("random"): (2 + 1 + 1) / 3, _c("a"): 0.0})
    assert result.note is None


def test_normalized_scores_without_random_runs_and_with_failures():
    no_random = _normalized({"P1": {"a": [0.9], "b": [0.8]}})
    assert no_random.note == ("normalized scores need the random strategy as the baseline; "
                              "it did not run on P1")
    assert [(r.contender, r.per_problem, r.why, r.mean, r.mean_rank)
            for r in no_random.rows] == [
        (_c("a"), {"P1": None}, {"P1": "undefined: no random-search score here"}, None, 1.0),
        (_c("b"), {"P1": None}, {"P1": "undefined: no random-search score here"}, None, 2.0)]
    # random failed on P2: no baseline there; a failed run counts as the worst score
    partly = _normalized({"P1": {"random": [0.5, 0.5], "a": [0.9, "timeout"]},
                          "P2": {"random": ["failed", "failed"], "a": [0.7, 0.7]}})
    assert partly.note is None
    rows = {r.contender: r for r in partly.rows}
    assert rows[_c("a")].per_problem == pytest.approx({"P1": (0.0 + 1.0) / 2, "P2": None})
    assert rows[_c("a")].failed == {"P1": 1, "P2": 0}
    assert rows[_c("random")].per_problem == pytest.approx({"P1": 1.0, "P2": None})


def test_equal_mean_ranks_and_failures_last_in_the_standings():
    runs = _verdict_runs({"P1": {"a": [0.75, 0.25], "b": [0.5, 0.5], "c": [1.0, 1.0]},
                          "P2": {"a": [0.5, 0.5], "b": [0.5, 0.5], "c": ["failed", "memout"]}})
    (table,) = suite_verdict(runs, levels=(1.0,), resamples=50).standings
    # P1: c first on both seeds, a and b 2 and 3; P2: a and b tie (1.5), c failed: last
    assert table.mean_rank == pytest.approx({_c("a"): 2.0, _c("b"): 2.0, _c("c"): 2.0})
    assert table.problem_ranks[_c("c")] == pytest.approx({"P1": 1.0, "P2": 3.0})
    assert table.failures[_c("c")] == (2, 4)
    # a contender that did not run on every problem is not ranked, and says why
    skipped = _verdict_runs({"P1": {"a": [0.5], "b": [0.9]}, "P2": {"a": [0.5], "b": ["skipped"]}})
    (table,) = suite_verdict(skipped, levels=(1.0,), resamples=50).standings
    assert table.ranked == [_c("a")] and table.not_ranked == {_c("b"): "ran on 1 of 2 problems"}


def test_cost_points_pareto_trials_per_second_and_gap():
    runs = _runs([
        # a: wall 15, test 0.85, trials/s (1 + 2) / 2, gap (0.1 + 0.05) / 2
        {"problem": "p", "strategy": "a", "seed": 0, "wall_time_s": 10.0, "n_trials": 10,
         "best_cv_score": 0.9, "test_score": 0.8},
        {"problem": "p", "strategy": "a", "seed": 1, "wall_time_s": 20.0, "n_trials": 40,
         "best_cv_score": 0.95, "test_score": 0.9},
        # b: fastest, lowest score; the 0 s run gives no trials/s
        {"problem": "p", "strategy": "b", "seed": 0, "wall_time_s": 4.0, "n_trials": 8,
         "best_cv_score": 0.7, "test_score": 0.7},
        {"problem": "p", "strategy": "b", "seed": 1, "wall_time_s": 0.0, "n_trials": 1,
         "best_cv_score": 0.6, "test_score": 0.8},
        # c: slower than a and worse: dominated
        {"problem": "p", "strategy": "c", "seed": 0, "wall_time_s": 30.0, "n_trials": 3,
         "best_cv_score": 0.7, "test_score": 0.8},
        {"problem": "p", "strategy": "d", "seed": 0, "wall_time_s": 1.0, "test_score": None},
    ])
    points = {p.strategy: p for p in cost_points(runs, "p")}
    assert sorted(points) == ["a", "b", "c"]  # d has no test score
    a, b, c = points["a"], points["b"], points["c"]
    assert (a.wall_s, a.test_score) == (15.0, pytest.approx(0.85))
    assert (a.trials_per_s, a.gap) == (pytest.approx(1.5), pytest.approx(0.075))
    assert (b.wall_s, b.test_score, b.trials_per_s) == (2.0, pytest.approx(0.75), 2.0)
    assert b.gap == pytest.approx(-0.1)
    assert (c.trials_per_s, c.gap) == (pytest.approx(0.1), pytest.approx(-0.1))
    assert (a.pareto, b.pareto, c.pareto) == (True, True, False)


def test_cost_points_equal_points_do_not_dominate_each_other():
    runs = _runs([{"problem": "p", "strategy": s, "seed": 0, "wall_time_s": 5.0,
                   "test_score": 0.5} for s in ("a", "b")])
    assert [p.pareto for p in cost_points(runs, "p")] == [True, True]


def test_overfitting_gaps_per_problem_and_overall():
    runs = _runs([
        {"problem": "P1", "strategy": "a", "seed": 0, "best_cv_score": 0.9, "test_score": 0.8},
        {"problem": "P1", "strategy": "a", "seed": 1, "best_cv_score": 0.9, "test_score": 0.7},
        {"problem": "P2", "strategy": "a", "seed": 0, "best_cv_score": 0.6, "test_score": 0.7},
        {"problem": "P2", "strategy": "a", "seed": 1, "best_cv_score": 0.6, "test_score": 0.7},
        {"problem": "P1", "strategy": "b", "seed": 0, "best_cv_score": 0.8, "test_score": 0.8},
        {"problem": "P1", "strategy": "c", "seed": 0, "status": "failed"},
    ])
    a, b, c = overfitting_gaps(runs)
    assert a.strategy == "a"
    assert a.per_problem == pytest.approx({"P1": 0.15, "P2": -0.1})
    assert a.mean == pytest.approx(0.025)  # over the four runs: (0.1 + 0.2 - 0.1 - 0.1) / 4
    assert (b.strategy, b.per_problem, b.mean) == ("b", {"P1": 0.0}, 0.0)
    assert (c.strategy, c.per_problem, c.mean) == ("c", {}, None)
