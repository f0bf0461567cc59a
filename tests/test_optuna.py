"""The Optuna strategies: the space reaches Optuna unchanged, pruned trials say how many folds
they had and never make the best, the initial design fits the trial cap, the run's seed is
used, and optuna-gp without PyTorch is skipped with the install hint.

Most tests score configurations with planted fold scores (``score_folds`` replaced), so
they run Optuna's real samplers and pruners in well under a second; the contract check of
every strategy on a real problem is in test_strategy_contract.py.
"""

from __future__ import annotations

import dataclasses
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest

import harness
from harness.spaces import CategoricalDim, FloatDim, IntDim
from harness.strategies import STRATEGIES, Deadline
from harness.strategies import _optuna_objective as objective_module
from harness.strategies._optuna_space import from_optuna, to_optuna
from harness.strategies._protocol import initial_design
from harness.testing import tiny_problem

ROOT = Path(__file__).resolve().parents[1]
SAMPLERS = ["optuna-tpe", "optuna-cmaes", "optuna-qmc", "optuna-tpe-hyperband",
            "optuna-tpe-halving"]


class Recorder:
    def __init__(self):
        self.trials = []

    def record(self, trial):
        self.trials.append(trial)


@pytest.fixture(scope="module")
def iris():
    return tiny_problem()


@pytest.fixture
def planted(iris, monkeypatch):
    """A problem whose "model" is its params and whose fold scores are planted: the first
    fold scores ``x``, the others 0, so a trial looks far better after one fold (mean x)
    than after all three (mean x / 3)."""
    first_test = next(iris.splitter(0).split(iris.X, iris.y))[1]

    def fake_score_folds(params, problem, splits, n_jobs):
        scores = [params["x"] if np.array_equal(test, first_test) else 0.0
                  for _, test in splits]
        return objective_module._Folds(scores, fit_s=0.0, score_s=0.0, max_fit_s=0.0)

    monkeypatch.setattr(objective_module, "score_folds", fake_score_folds)
    space = {"x": FloatDim(0.0, 1.0), "k": IntDim(1, 9, step=2),
             "kind": CategoricalDim(("a", "b"))}
    return dataclasses.replace(iris, space=space, make_estimator=lambda p: dict(p or {}))


def search(name, problem, *, seed=0, max_trials=None, time_s=30.0, **options):
    recorder = Recorder()
    outcome = STRATEGIES[name].create(options).search(
        problem, deadline=Deadline(time.time(), time_s, max_trials), seed=seed,
        recorder=recorder)
    return outcome, recorder.trials


def test_space_round_trips_through_optuna_distributions():
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    space = {"C": FloatDim(1e-3, 1e3, log=True), "ratio": FloatDim(0.0, 1.0),
             "fixed": FloatDim(0.5, 0.5), "trees": IntDim(10, 500, log=True),
             "depth": IntDim(2, 20), "units": IntDim(8, 64, step=8),
             "mixed": CategoricalDim((None, True, 3, 0.5, "gini"))}
    dists = to_optuna(space)
    assert dists["C"] == FloatDistribution(1e-3, 1e3, log=True)
    assert dists["trees"] == IntDistribution(10, 500, log=True)
    assert dists["units"] == IntDistribution(8, 64, step=8)
    assert dists["mixed"] == CategoricalDistribution([None, True, 3, 0.5, "gini"])
    assert from_optuna(dists) == space


def test_an_int_step_off_the_grid_keeps_the_same_values():
    (dist,) = to_optuna({"n": IntDim(1, 10, step=4)}).values()
    assert (dist.low, dist.high, dist.step) == (1, 9, 4)  # 1, 5, 9 either way
    assert from_optuna({"n": dist}) == {"n": IntDim(1, 9, step=4)}


@pytest.mark.parametrize("name", SAMPLERS)
def test_trials_stay_in_the_space_and_follow_the_seed(planted, name):
    first = search(name, planted, seed=0, max_trials=12)[1]
    again = search(name, planted, seed=0, max_trials=12)[1]
    other = search(name, planted, seed=1, max_trials=12)[1]
    params = [t.params for t in first]
    assert len(first) == 12 and params == [t.params for t in again]
    assert params != [t.params for t in other]
    for p in params:
        assert 0.0 <= p["x"] <= 1.0 and p["k"] in (1, 3, 5, 7, 9) and p["kind"] in ("a", "b")


@pytest.mark.parametrize("name", ["optuna-tpe-hyperband", "optuna-tpe-halving"])
def test_pruned_trials_keep_their_folds_and_never_make_the_best(planted, name):
    outcome, trials = search(name, planted, max_trials=30)
    pruned = [t for t in trials if t.info["state"] == "pruned"]
    complete = [t for t in trials if t.info["state"] == "complete"]
    assert pruned and complete
    assert outcome.details["pruned_trials"] == len(pruned)
    assert outcome.details["complete_trials"] == len(complete)
    for t in pruned:
        assert t.fidelity == {"folds": len(t.cv_scores)} and len(t.cv_scores) < 3
    assert all(t.fidelity == {"folds": 3} for t in complete)
    # a pruned trial's partial mean beats every full one; the best is still a full one
    best_full = max(complete, key=lambda t: t.mean_cv_score)
    assert max(t.mean_cv_score for t in pruned) > best_full.mean_cv_score
    assert outcome.best_cv_score == pytest.approx(best_full.mean_cv_score)
    assert outcome.best_params == best_full.params


def test_unpruned_strategies_score_every_fold(planted):
    outcome, trials = search("optuna-tpe", planted, max_trials=10)
    assert all(len(t.cv_scores) == 3 and t.fidelity is None for t in trials)
    assert outcome.details["pruned_trials"] == 0


@pytest.mark.parametrize(("max_trials", "expected"), [(None, 10), (8, 3), (20, 5), (100, 10)])
def test_initial_design_is_sized_from_the_trial_cap(max_trials, expected):
    assert initial_design(None, max_trials, 10) == expected
    assert initial_design(4, max_trials, 10) == 4  # the user's choice stands
    assert initial_design(None, max_trials, 1) == 1  # never above the sampler's default


@pytest.mark.parametrize(("name", "options", "startup"), [
    ("optuna-tpe", {}, 3), ("optuna-tpe", {"n_startup_trials": 6}, 6),
    ("optuna-tpe-halving", {}, 3), ("optuna-cmaes", {}, 1)])
def test_runs_record_how_many_trials_the_model_proposed(planted, name, options, startup):
    outcome, trials = search(name, planted, max_trials=8, **options)
    assert outcome.details["n_startup_trials"] == startup
    assert outcome.details["model_proposed_trials"] == 8 - startup
    assert [t.info["proposed_by"] for t in trials] == (
        ["initial design"] * startup + ["model"] * (8 - startup))


def test_qmc_has_no_model_to_count(planted):
    outcome, trials = search("optuna-qmc", planted, max_trials=6)
    assert "model_proposed_trials" not in outcome.details
    assert outcome.details["sampler"] == "QMCSampler"
    assert all("proposed_by" not in t.info for t in trials)


def test_the_deadline_stops_the_study_before_the_reserve(iris):
    budget = 3.0
    started = time.time()
    outcome, trials = search("optuna-tpe", iris, time_s=budget)
    assert time.time() - started < budget
    assert len(trials) >= 3 and trials[-1].elapsed_s < budget
    assert outcome.details["n_trials"] == len(trials)


def test_optuna_gp_without_torch_is_skipped_with_the_install_hint(write_suite, tmp_path,
                                                                   monkeypatch):
    from harness.execution.environments import strategy_environment_problem
    from harness.strategies import optuna_search

    monkeypatch.setattr(optuna_search, "_torch_installed", lambda: False)
    assert "pip install 'tuning-harness[optuna-gp]'" in STRATEGIES["optuna-gp"].unavailable
    path = write_suite("""
        name: gp
        budget: {time_s: 20, max_trials: 6}
        cv: 3
        seeds: 1
        datasets: [iris]
        models: [random_forest]
        strategies: [optuna-gp, optuna-tpe-halving]
    """)
    outcome = harness.run_suite(path, db=tmp_path / "r.db")
    runs = {r["strategy"]: r for r in outcome.runs}
    assert runs["optuna-gp"]["status"] == "skipped"
    assert "needs PyTorch" in runs["optuna-gp"]["error"]
    assert "pip install 'tuning-harness[optuna-gp]'" in runs["optuna-gp"]["error"]
    assert runs["optuna-tpe-halving"]["status"] == "ok"
    assert runs["optuna-tpe-halving"]["details"]["model_proposed_trials"] == 3
    trials = harness.load_results(tmp_path / "r.db").trials
    assert len(trials) == 6 and trials["fidelity"].map(lambda f: 1 <= f["folds"] <= 3).all()
    monkeypatch.setattr(optuna_search, "_torch_installed", lambda: True)
    assert strategy_environment_problem("optuna-gp") == ""


def test_dependency_bounds_hold_for_the_installed_packages():
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    required = {r.name: r for r in map(Requirement, project["dependencies"])}
    assert str(required["optuna"].specifier) == "<6,>=4"
    assert str(required["cmaes"].specifier) == "<1,>=0.10"
    for name in ("optuna", "cmaes"):
        assert required[name].specifier.contains(version(name)), (name, version(name))
    assert "torch" not in required  # only in the optuna-gp extra
    assert [Requirement(r).name for r in project["optional-dependencies"]["optuna-gp"]] == [
        "torch"]
