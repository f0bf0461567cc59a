"""Unit tests of the anytime curves, on hand-made frames (the columns the store's runs and
trials frames give, only those the functions read). The verdict per budget level is tested
in test_verdict.py."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from harness.analysis.curves import (
    GRID_POINTS,
    anytime_curves,
    best_so_far,
    best_so_far_at,
    column_quantiles,
    run_traces,
)


def _trials(rows: list[tuple]) -> pd.DataFrame:
    """Trials from (run_id, elapsed_s, mean_cv_score[, fidelity]) tuples."""
    return pd.DataFrame([(r[0], r[1], r[2], r[3] if len(r) > 3 else None) for r in rows],
                        columns=["run_id", "elapsed_s", "mean_cv_score", "fidelity"])


def _runs(rows: list[tuple], budget_s: float) -> pd.DataFrame:
    """Runs from (id, problem, strategy, seed) tuples, all with the same budget."""
    return pd.DataFrame([(*r, budget_s) for r in rows],
                        columns=["id", "problem", "strategy", "seed", "budget_s"])


def _nan_equal(actual: list[float | None] | np.ndarray, expected: list[float | None]) -> bool:
    actual = [None if v is None or (isinstance(v, float) and math.isnan(v)) else v
              for v in actual]
    return len(actual) == len(expected) and all(
        (a is None and e is None) or (a is not None and e is not None and a == pytest.approx(e))
        for a, e in zip(actual, expected, strict=True))


def test_run_traces_sort_by_time_take_the_running_max_and_skip_unscored_trials():
    trials = _trials([(1, 1.0, 0.5), (1, 2.0, 0.4), (1, 3.0, 0.7), (1, 0.5, 0.6),
                      (1, 2.5, None), (2, 4.0, 0.2)])
    traces = run_traces(trials)
    assert sorted(traces) == [1, 2]
    elapsed, running = traces[1]
    assert elapsed.tolist() == [0.5, 1.0, 2.0, 3.0]
    assert running.tolist() == [0.6, 0.6, 0.6, 0.7]
    assert np.all(np.diff(running) >= 0)
    assert traces[2][1].tolist() == [0.2]


def test_run_traces_keep_only_each_runs_highest_fidelity():
    # run 1 is halving-style: the 0.99 on 100 samples does not compare with full-data scores
    trials = _trials([(1, 1.0, 0.99, {"n_samples": 100}), (1, 2.0, 0.6, {"n_samples": 400}),
                      (1, 3.0, 0.95, {"n_samples": 200}), (1, 4.0, 0.8, {"n_samples": 400}),
                      (2, 1.0, 0.9, None), (2, 2.0, 0.3, {})])
    traces = run_traces(trials)
    assert traces[1][0].tolist() == [2.0, 4.0]
    assert traces[1][1].tolist() == [0.6, 0.8]
    assert traces[2][1].tolist() == [0.9, 0.9]  # a run without subsamples keeps every trial


def test_run_traces_leave_out_trials_pruned_after_some_folds():
    # optuna-tpe-halving: a trial pruned after 1 of 3 folds shows its running mean (0.99)
    trials = _trials([(1, 1.0, 0.7, {"folds": 3}), (1, 2.0, 0.99, {"folds": 1}),
                      (1, 3.0, 0.8, {"folds": 3}), (1, 4.0, 0.9, {"folds": 2})])
    elapsed, running = run_traces(trials)[1]
    assert elapsed.tolist() == [1.0, 3.0] and running.tolist() == [0.7, 0.8]


def test_best_so_far_is_nan_before_the_first_trial_then_the_running_max():
    trace = run_traces(_trials([(1, 0.5, 0.6), (1, 1.0, 0.5), (1, 3.0, 0.7)]))[1]
    times = np.array([0.0, 0.49, 0.5, 1.5, 2.99, 3.0, 10.0])
    values = best_so_far(trace, times)
    assert _nan_equal(values, [None, None, 0.6, 0.6, 0.6, 0.7, 0.7])
    assert np.isnan(best_so_far(None, times)).all()


@pytest.fixture
def two_strategies() -> tuple[pd.DataFrame, dict]:
    """Budget 59 s, so the curve grid is 0, 1, ..., 59 s. Strategy a: runs 1-2, b: runs 3-4."""
    runs = _runs([(1, "p", "a", 0), (2, "p", "a", 1), (3, "p", "b", 0), (4, "p", "b", 1)],
                 budget_s=59.0)
    trials = _trials([(1, 1.0, 0.5), (1, 10.0, 0.8), (2, 2.0, 0.6), (2, 20.0, 0.9),
                      (3, 5.0, 0.7), (4, 5.0, 0.75), (4, 30.0, 0.95)])
    return runs, run_traces(trials)


def test_anytime_curves_median_band_and_time_to_target(two_strategies):
    runs, traces = two_strategies
    result = anytime_curves(runs, traces, "p", target_fraction=0.8)
    assert result.budget_s == 59.0
    assert result.target == pytest.approx(0.95 - 0.2 * 0.95)  # 0.76: 80% of the best final
    a, b = result.curves
    assert (a.strategy, a.seeds, b.strategy, b.seeds) == ("a", 2, "b", 2)
    assert a.times == [float(t) for t in range(GRID_POINTS)]
    # t=0: no run scored yet; t=1: one of two runs has (half the seeds is enough)
    assert _nan_equal([a.median[t] for t in (0, 1, 2, 9, 10, 19, 20, 59)],
                      [None, 0.5, 0.55, 0.55, 0.7, 0.7, 0.85, 0.85])
    assert _nan_equal([b.median[t] for t in (4, 5, 29, 30, 59)],
                      [None, 0.725, 0.725, 0.825, 0.825])
    assert a.q25[59] == pytest.approx(0.825) and a.q75[59] == pytest.approx(0.875)
    assert a.time_to_target == 20.0 and b.time_to_target == 30.0
    for curve in result.curves:
        values = [v for v in curve.median if v is not None]
        assert values == sorted(values)  # best-so-far never goes down


def test_anytime_curves_default_target_unreached_and_unknown_problem(two_strategies):
    runs, traces = two_strategies
    result = anytime_curves(runs, traces, "p")
    assert result.target == pytest.approx(0.95 * 0.99)
    assert [c.time_to_target for c in result.curves] == [None, None]  # medians end 0.85, 0.825
    empty = anytime_curves(runs, traces, "other")
    assert (empty.budget_s, empty.target, empty.curves) == (0.0, None, [])


def test_best_so_far_at_a_budget_fraction(two_strategies):
    runs, traces = two_strategies
    runs = pd.concat([runs, _runs([(5, "p", "c", 0)], budget_s=59.0)], ignore_index=True)
    quarter = best_so_far_at(runs, traces, 0.25)  # 14.75 s
    assert list(quarter.columns) == ["problem", "strategy", "seed", "score"]
    assert _nan_equal(quarter["score"].tolist(), [0.8, 0.6, 0.7, 0.75, None])
    final = best_so_far_at(runs, traces, 1.0)
    assert _nan_equal(final["score"].tolist(), [0.8, 0.9, 0.7, 0.95, None])
    assert final["strategy"].tolist() == ["a", "a", "b", "b", "c"]


def test_column_quantiles_are_numpys_nan_quantiles():
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(5, 40))
    matrix[rng.uniform(size=matrix.shape) < 0.4] = np.nan
    matrix[:, 0] = np.nan  # a column nothing reached yet
    matrix[1:, 1] = np.nan  # one value
    median, q25, q75 = column_quantiles(matrix)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):  # the all-NaN column
        expected = (np.nanmedian(matrix, axis=0), np.nanpercentile(matrix, 25, axis=0),
                    np.nanpercentile(matrix, 75, axis=0))
    for got, want in zip((median, q25, q75), expected, strict=True):
        assert np.array_equal(got, want, equal_nan=True)
    assert np.isnan(median[0]) and median[1] == q25[1] == q75[1] == matrix[0, 1]
