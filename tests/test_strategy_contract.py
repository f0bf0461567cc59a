"""Every registered strategy keeps the strategy contract (``harness.testing.check_strategy``),
the checker catches a strategy that breaks it, and reading strategies stays import-light."""

from __future__ import annotations

import importlib
import itertools
import json
import subprocess
import sys
from typing import ClassVar

import pytest
from plugin_strategies import CrashStrategy, SampledSearch, SleepStrategy

from harness.execution.environments import describe_environments
from harness.strategies import STRATEGIES, Option, SearchOutcome, Trial
from harness.testing import check_options, check_strategy

KERAS = ("keras-random", "keras-hyperband", "keras-bayes")
#: Options and check settings that keep each strategy's check to seconds. keras: the reserve
#: for loading and scoring the best model is measured (a build and validation passes, seconds
#: each on a loaded machine), so the budget leaves room for one whole trial besides it.
SETTINGS: dict[str, dict] = {
    "keras-random": {"epochs": 1, "budget_s": 12.0, "max_trials": 2},
    "keras-hyperband": {"max_epochs": 2, "budget_s": 12.0, "max_trials": 2},
    "keras-bayes": {"epochs": 1, "budget_s": 12.0, "max_trials": 2},
    "autosklearn": {"budget_s": 40.0, "max_trials": 4},  # auto-sklearn needs >= 30 s
    "regularization": {"strengths": 3, "budget_s": 2.0},
    "optuna-gp": {"budget_s": 4.0},
}
SLOW = {*KERAS, "autosklearn", "optuna-gp"}  # optuna-gp: PyTorch's import and the GP's fit
#: Libraries imported before a strategy's check, outside its budget (a worker pays for the
#: import in its own run; SMAC3's takes seconds on a loaded machine).
IMPORTED_FIRST = {"hyperopt-tpe": "hyperopt", "hyperopt-anneal": "hyperopt",
                  "smac-bo": "smac", "smac-hyperband": "smac"}


@pytest.fixture(scope="module")
def keras_imported():
    """TensorFlow imported once, outside the budgets (a worker pays it in its own run)."""
    import keras_tuner  # noqa: F401
    import tensorflow  # noqa: F401


@pytest.fixture(scope="module")
def torch_imported():
    """PyTorch imported once, outside the budget (seconds; optuna-gp's worker pays it)."""
    import torch  # noqa: F401


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n
                                  for n in STRATEGIES])
def test_registered_strategy_keeps_the_contract(name, request):
    info = STRATEGIES[name]
    if info.unavailable:
        pytest.skip(f"{name} cannot run here: {info.unavailable}")
    if info.environment:
        ready = {e["name"]: e["ready"] for e in describe_environments()}
        if not ready.get(info.environment):
            pytest.skip(f"{name} runs in the {info.environment!r} environment, not created "
                        f"here (harness env setup {info.environment})")
    if name in KERAS:
        request.getfixturevalue("keras_imported")
    if name in IMPORTED_FIRST:
        importlib.import_module(IMPORTED_FIRST[name])
    if name == "optuna-gp":
        request.getfixturevalue("torch_imported")
    settings = {"budget_s": 2.0, **SETTINGS.get(name, {})}
    check_strategy(info.cls, **settings)


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_registry_names_a_class_that_declares_its_options(name):
    info = STRATEGIES[name]
    assert info.cls.name == name
    check_options(info.cls)
    assert info.description and not info.description.endswith(":")
    assert all(option.help for option in info.options.values())


def test_options_are_per_class():
    """Hyperband's epochs come from max_epochs; RandomSearch and Bayes take epochs."""
    assert {"max_epochs", "factor"} <= set(STRATEGIES["keras-hyperband"].options)
    assert "epochs" not in STRATEGIES["keras-hyperband"].options
    for name in ("keras-random", "keras-bayes"):
        assert "epochs" in STRATEGIES[name].options
        assert not {"max_epochs", "factor"} & set(STRATEGIES[name].options)
        assert "max_epochs" in STRATEGIES[name].option_problems({"max_epochs": 4})


def test_plugin_strategies_pass_the_check():
    check_strategy(SampledSearch, n_points=6)  # declares its options
    check_strategy(SleepStrategy, seconds=0.2)  # options derived from __init__


def test_listing_and_loading_a_suite_import_no_heavy_library(write_suite):
    path = write_suite("""
        name: light
        budget: {time_s: 60}
        datasets: [iris, digits-images]
        models: [random_forest, cnn]
        strategies: [grid, bayes, flaml, regularization, keras-hyperband, autosklearn,
                     hyperopt-tpe, smac-hyperband, optuna-tpe, optuna-gp, optuna-tpe-hyperband]
    """)
    code = (f"import json, sys\nfrom harness.cli import main\nmain(['list', 'strategies'])\n"
            f"from harness.config import load_suite\nload_suite({str(path)!r})\n"
            "print(json.dumps([m for m in ('tensorflow', 'keras', 'keras_tuner', 'skopt', "
            "'flaml', 'sklearn.model_selection', 'hyperopt', 'smac', 'ConfigSpace', 'optuna', "
            "'cmaes', 'torch') "
            "if m in sys.modules]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == []
    assert "max_epochs (default 10; >= 1): most epochs of a trial" in proc.stdout


# Strategies that break one property each; the check names the property.


def _trial(number, score, params=None):
    return Trial(number=number, params=params or {}, cv_scores=[score, score],
                 fit_time_s=0.0, score_time_s=0.0, elapsed_s=0.01)


class DeclaredWrong:
    options: ClassVar[dict[str, Option]] = {"n": Option((int,), 5, "n", minimum=1)}

    def __init__(self, *, n: int = 3, m: int = 1):
        self.n = n

    def search(self, problem, *, deadline, seed, recorder):
        raise NotImplementedError


class ReportsLosses:
    """Records the error rate as its score (lower-is-better): wrong for accuracy."""

    def search(self, problem, *, deadline, seed, recorder):
        recorder.record(_trial(0, -0.2))
        return SearchOutcome(best_params={}, best_cv_score=-0.2)


class PicksTheWorst:
    """Returns the lowest-scoring trial as its best."""

    def search(self, problem, *, deadline, seed, recorder):
        recorder.record(_trial(0, 0.9))
        recorder.record(_trial(1, 0.4))
        return SearchOutcome(best_params={}, best_cv_score=0.4)


class LeavesTheSpace:
    """Its best params lie outside the space."""

    def search(self, problem, *, deadline, seed, recorder):
        recorder.record(_trial(0, 0.9, {"max_depth": 99}))
        return SearchOutcome(best_params={"max_depth": 99}, best_cv_score=0.9)


class Unseeded:
    """Tries a different max_depth each time it runs, whatever the seed."""

    calls = itertools.count()

    def search(self, problem, *, deadline, seed, recorder):
        params = {"max_depth": 2 + next(self.calls) % 5}
        recorder.record(_trial(0, 0.9, params))
        return SearchOutcome(best_params=params, best_cv_score=0.9)


@pytest.mark.parametrize(("cls", "options", "message"), [
    (DeclaredWrong, {}, "parameter(s) m not declared in DeclaredWrong.options"),
    (ReportsLosses, {}, "scores: trial 0 scored -0.2 (accuracy), outside [0, 1]"),
    (PicksTheWorst, {}, "best_cv_score 0.4 is below the trials' highest mean score 0.9"),
    (LeavesTheSpace, {}, "best params: max_depth=99 is outside [2, 6]"),
    (Unseeded, {}, "same seed, same trials"),
    (CrashStrategy, {}, "search: it raised RuntimeError: boom"),
    (SleepStrategy, {"seconds": 2.5}, "deadline: search returned after"),
])
def test_check_names_the_broken_property(cls, options, message):
    with pytest.raises(AssertionError) as caught:
        check_strategy(cls, budget_s=0.3, slack_s=1.0, **options)
    assert message in str(caught.value)


def test_declared_default_must_equal_the_init_default():
    class Drifted:
        options: ClassVar[dict[str, Option]] = {"n": Option((int,), 5, "n", minimum=1)}

        def __init__(self, *, n: int = 3):
            self.n = n

    with pytest.raises(AssertionError, match=r"declares default 5, __init__ has 3"):
        check_options(Drifted)


def test_a_plugins_declared_options_are_checked_when_a_suite_loads(write_suite):
    from harness.config import load_suite
    from harness.errors import ConfigError

    path = write_suite("""
        name: plugin
        budget: {time_s: 5}
        datasets: [iris]
        models: [random_forest]
        strategies: [{name: "plugin_strategies:SampledSearch", n_points: 0}]
    """)
    with pytest.raises(ConfigError, match=r"strategies\[0\]\.n_points: must be >= 1, got 0"):
        load_suite(path)
