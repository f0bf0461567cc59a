"""Hyperopt and SMAC3 strategies: the space translation keeps every value exactly in the
harness's space, the initial design is sized from the trial cap and the model's proposals
are counted, runs repeat with their seed, Hyperband's best comes from full-fidelity trials,
failed configurations are recorded, the libraries stay quiet, and the dependency bounds
hold. (The shared contract check runs on them in test_strategy_contract.py.)"""

from __future__ import annotations

import contextlib
import logging
import time
import tomllib
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from harness.spaces import CategoricalDim, FloatDim, IntDim
from harness.strategies import STRATEGIES, Deadline, Problem
from harness.strategies._library_spaces import decode, to_configspace, to_hyperopt
from harness.strategies._protocol import initial_design
from harness.testing import tiny_problem

ROOT = Path(__file__).resolve().parents[1]
LIBRARY_STRATEGIES = ("hyperopt-tpe", "hyperopt-anneal", "smac-bo", "smac-hyperband")

#: Every kind of dimension, the fixed ones included.
SPACE = {
    "lr": FloatDim(1e-4, 10.0, log=True),
    "frac": FloatDim(0.0, 1.0),
    "trees": IntDim(1, 1000, log=True),
    "width": IntDim(2, 20, step=3),  # 2, 5, ..., 20
    "odd_step": IntDim(1, 10, step=4),  # 1, 5, 9: the high bound is off the grid
    "depth": IntDim(0, 5),
    "kind": CategoricalDim((None, True, 1, "a", 2.5)),
    "fixed_float": FloatDim(3.0, 3.0),
    "fixed_choice": CategoricalDim(("only",)),
    "fixed_step": IntDim(4, 6, step=5),
}


def _assert_in_space(params: dict) -> None:
    assert set(params) == set(SPACE)
    for name, value in params.items():
        dim = SPACE[name]
        if isinstance(dim, CategoricalDim):
            assert any(value is c or (type(value) is type(c) and value == c)
                       for c in dim.choices), (name, value)
        elif isinstance(dim, IntDim):
            assert type(value) is int, (name, value)
            assert dim.low <= value <= dim.high and (value - dim.low) % dim.step == 0
        else:
            assert type(value) is float and dim.low <= value <= dim.high, (name, value)


def _coverage(samples: list[dict]) -> None:
    """Every grid value and every choice is reached, ints reach both bounds."""
    seen = {name: {repr(s[name]) for s in samples} for name in SPACE}
    assert seen["width"] == {repr(v) for v in range(2, 21, 3)}
    assert seen["odd_step"] == {"1", "5", "9"}
    assert seen["depth"] == {repr(v) for v in range(6)}
    assert seen["kind"] == {"None", "True", "1", "'a'", "2.5"}
    trees = [s["trees"] for s in samples]  # log scale: 1 has 14% of the mass, 1000 0.001%
    assert min(trees) == 1 and max(trees) > 500
    assert seen["fixed_float"] == {"3.0"} and seen["fixed_choice"] == {"'only'"}
    assert seen["fixed_step"] == {"4"}
    lr = [s["lr"] for s in samples]
    assert min(lr) < 1e-3 and max(lr) > 1.0  # log-uniform: every decade gets draws


def test_hyperopt_space_decodes_into_the_space_exactly():
    from hyperopt.pyll import stochastic

    space = to_hyperopt(SPACE)
    assert set(space) == {"lr", "frac", "trees", "width", "odd_step", "depth", "kind"}
    rng = np.random.default_rng(0)
    samples = [decode(SPACE, stochastic.sample(space, rng=rng)) for _ in range(600)]
    for params in samples:
        _assert_in_space(params)
    _coverage(samples)


def test_configspace_decodes_into_the_space_exactly():
    configspace = to_configspace(SPACE, seed=0)
    assert sorted(configspace) == ["depth", "frac", "kind", "lr", "odd_step", "trees", "width"]
    samples = [decode(SPACE, dict(c)) for c in configspace.sample_configuration(600)]
    for params in samples:
        _assert_in_space(params)
    _coverage(samples)


def test_codes_map_to_values_one_to_one():
    codes = {"lr": 10.000000000000002, "frac": 0.25, "trees": 1000.0, "depth": 5.0}
    for position, width in enumerate(range(2, 21, 3)):
        for index, choice in enumerate(SPACE["kind"].choices):
            params = decode(SPACE, {**codes, "width": float(position), "odd_step": 2,
                                    "kind": index})
            assert params["width"] == width and params["kind"] is choice
    # rounding at the edges of hyperopt's quniform (-0.5 rounds to -0.0, n - 0.5 to n)
    edges = decode(SPACE, {**codes, "width": -0.0, "odd_step": 3.0, "kind": 0})
    assert (edges["width"], edges["odd_step"], edges["lr"]) == (2, 9, 10.0)
    assert (edges["trees"], edges["depth"]) == (1000, 5)


@pytest.mark.parametrize(("max_trials", "size"), [
    (None, 10), (1, 1), (2, 2), (4, 3), (12, 3), (20, 5), (40, 10), (1000, 10)])
def test_initial_design_is_sized_from_the_trial_cap(max_trials, size):
    assert initial_design(None, max_trials, within_cap=True) == size


class _Recorder:
    def __init__(self):
        self.trials = []

    def record(self, trial):
        self.trials.append(trial)


def _search(name, problem=None, *, max_trials, seed=0, time_s=60.0, **options):
    recorder = _Recorder()
    deadline = Deadline(started_at=time.time(), time_s=time_s, max_trials=max_trials)
    strategy = STRATEGIES[name].create(options)
    outcome = strategy.search(problem or tiny_problem(seed=seed), deadline=deadline,
                              seed=seed, recorder=recorder)
    return outcome, recorder.trials


@pytest.fixture(scope="module")
def capped_runs(tmp_path_factory):
    """Each strategy twice with seed 0 and once with seed 1, 9 trials each (in a folder of
    their own: SMAC writes into the working folder)."""
    import hyperopt  # noqa: F401  (imported once, outside the runs)
    import smac  # noqa: F401

    with contextlib.chdir(tmp_path_factory.mktemp("capped-runs")):
        return {(name, seed, again): _search(name, max_trials=9, seed=seed)
                for name in LIBRARY_STRATEGIES for seed, again in ((0, 0), (0, 1), (1, 0))}


@pytest.mark.parametrize("name", LIBRARY_STRATEGIES)
def test_same_seed_same_trials_and_the_model_proposes(name, capped_runs):
    outcome, trials = capped_runs[(name, 0, 0)]
    _, again = capped_runs[(name, 0, 1)]
    _, other_seed = capped_runs[(name, 1, 0)]
    assert len(trials) == 9
    assert [t.params for t in trials] == [t.params for t in again]
    assert [t.cv_scores for t in trials] == [t.cv_scores for t in again]
    assert [t.params for t in trials] != [t.params for t in other_seed]
    proposers = [t.info["proposed_by"] for t in trials]
    assert outcome.details["model_proposed_trials"] == proposers.count("model") > 0
    if name != "hyperopt-anneal":  # annealing has no initial design but its first draw
        assert outcome.details["initial_design"] == 3  # min(10, max(3, 9 // 4))
        assert proposers[:3] == ["initial design"] * 3
    else:
        assert proposers == ["initial design"] + ["model"] * 8


def test_a_user_set_initial_design_is_kept(capped_runs):
    outcome, trials = _search("hyperopt-tpe", max_trials=7, n_startup_jobs=5)
    assert outcome.details["initial_design"] == 5
    assert [t.info["proposed_by"] for t in trials] == ["initial design"] * 5 + ["model"] * 2
    assert outcome.details["model_proposed_trials"] == 2


@pytest.mark.parametrize("name", ["hyperopt-tpe", "smac-bo"])
def test_best_is_the_best_trial(name, capped_runs):
    outcome, trials = capped_runs[(name, 0, 0)]
    best = max(trials, key=lambda t: t.mean_cv_score)
    assert outcome.best_cv_score == best.mean_cv_score
    assert outcome.best_params == best.params
    assert all(t.fidelity is None and len(t.cv_scores) == 3 for t in trials)


def test_smac_writes_its_output_in_the_working_folder(capped_runs, tmp_path):
    _search("smac-bo", max_trials=2)
    assert list((tmp_path / "smac3_output").glob("harness/0/runhistory.json"))


class Planted(ClassifierMixin, BaseEstimator):
    """Knows every label (``table``) but predicts them only when fit on fewer than
    ``threshold`` rows; fit on more, it predicts the first class: so trials at reduced
    fidelity score 1.0 and trials on all rows about a third."""

    def __init__(self, table=None, threshold=0, depth=1):
        self.table = table
        self.threshold = threshold
        self.depth = depth

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.knows_ = len(X) < self.threshold
        return self

    def predict(self, X):
        if not self.knows_:
            return np.full(len(X), self.classes_[0])
        return np.array([self.table[row.tobytes()] for row in X])


def _planted_problem() -> Problem:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(180, 3))
    y = np.repeat([0, 1, 2], 60)
    table = {row.tobytes(): label for row, label in zip(X, y, strict=True)}
    full_fold = 180 * 2 // 3

    def make_estimator(params):
        return Planted(table=table, threshold=full_fold, **(params or {}))

    return Problem(dataset="planted", model="planted", task="classification", X=X, y=y,
                   space={"depth": IntDim(1, 8)}, scoring="accuracy", cv=3, n_jobs=1,
                   make_estimator=make_estimator)


def test_hyperband_records_fidelity_and_takes_its_best_from_all_rows():
    outcome, trials = _search("smac-hyperband", _planted_problem(), max_trials=12,
                              min_samples=20)
    rows = [t.fidelity["n_samples"] for t in trials]
    assert outcome.details["max_samples"] == 180 and min(rows) == 20
    assert set(rows) == {20, 60, 180}  # eta 3: 20, 60, 180 training rows
    low = [t.mean_cv_score for t in trials if t.fidelity["n_samples"] < 180]
    full = [t for t in trials if t.fidelity["n_samples"] == 180]
    assert low and all(score == 1.0 for score in low)
    assert full and outcome.best_cv_score == max(t.mean_cv_score for t in full) < 0.5
    assert outcome.best_params in [t.params for t in full]


def test_hyperband_cut_before_all_rows_checks_its_pick_on_all_rows():
    """Hyperband's first bracket has 9 configurations on 20 rows; with 5 trials the cap's
    last one runs the best so far on all rows, and that is the best."""
    outcome, trials = _search("smac-hyperband", _planted_problem(), max_trials=5,
                              min_samples=20)
    assert [t.fidelity["n_samples"] for t in trials] == [20, 20, 20, 20, 180]
    check = trials[-1]
    assert check.info["stage"] == "full-fidelity check"
    assert check.params == trials[0].params  # the first of the equal best (1.0 each)
    assert outcome.best_cv_score == check.mean_cv_score < 0.5


def test_full_fidelity_trial_is_plain_cross_validation():
    """A trial on all rows scores exactly what cross_val_score gives the configuration."""
    from sklearn.model_selection import cross_val_score

    problem = tiny_problem()
    _, trials = _search("smac-hyperband", problem, max_trials=4)
    full = [t for t in trials if t.fidelity["n_samples"] == len(problem.y)]
    expected = cross_val_score(problem.make_estimator(full[0].params), problem.X, problem.y,
                               scoring="accuracy", cv=problem.splitter(0))
    assert full[0].cv_scores == pytest.approx(list(expected), abs=0)


@pytest.mark.parametrize("name", ["hyperopt-tpe", "smac-bo"])
def test_failing_configurations_are_recorded_and_skipped(name):
    problem = tiny_problem()
    problem = Problem(**{**problem.__dict__, "space": {
        "criterion": CategoricalDim(("gini", "no-such-criterion")),
        "max_depth": IntDim(2, 4)}})
    outcome, trials = _search(name, problem, max_trials=6)
    failed = [t for t in trials if t.error]
    assert failed and all(t.params["criterion"] == "no-such-criterion" for t in failed)
    assert all(t.cv_scores == [None, None, None] for t in failed)
    assert "criterion" in failed[0].error
    assert outcome.details["failed_candidates"] == len(failed)
    assert outcome.best_params["criterion"] == "gini"


@pytest.mark.parametrize("name", LIBRARY_STRATEGIES)
def test_a_space_of_one_configuration_is_one_trial(name):
    problem = tiny_problem()
    fixed = Problem(**{**problem.__dict__, "space": {"max_depth": IntDim(3, 3)}})
    outcome, trials = _search(name, fixed, max_trials=None, time_s=2.0)
    assert [t.params for t in trials] == [{"max_depth": 3}]
    assert outcome.best_params == {"max_depth": 3}
    assert trials[0].fidelity == ({"n_samples": len(problem.y)}
                                  if name == "smac-hyperband" else None)


@pytest.mark.parametrize("name", ["smac-bo", "smac-hyperband"])
def test_smac_ends_when_it_has_tried_every_configuration(name):
    problem = tiny_problem()
    two = Problem(**{**problem.__dict__, "space": {"max_depth": IntDim(2, 3)}})
    started = time.time()
    outcome, trials = _search(name, two, max_trials=None, time_s=60.0)
    assert time.time() - started < 20.0 and len(trials) <= 3
    assert outcome.best_params["max_depth"] in (2, 3)


@pytest.mark.parametrize("name", LIBRARY_STRATEGIES)
def test_libraries_log_no_info(name, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    _search(name, max_trials=5)
    chatter = [r for r in caplog.records if r.name.split(".")[0] in ("smac", "hyperopt")
               and r.levelno < logging.WARNING]
    assert not chatter, [r.getMessage() for r in chatter[:3]]
    out, err = capfd.readouterr()
    assert "[INFO]" not in out + err and "%|" not in err  # no log lines, no progress bar


@pytest.mark.parametrize("name", ["hyperopt-tpe", "smac-bo", "smac-hyperband"])
def test_deadline_with_reserve(name):
    """Without a cap the search stops by its deadline (issue 16: within max(1 s, 2%))."""
    started = time.time()
    outcome, trials = _search(name, max_trials=None, time_s=4.0)
    assert time.time() - started <= 4.0 + 1.0
    assert len(trials) >= 3 and outcome.best_cv_score is not None


def test_dependency_bounds_hold_for_the_installed_libraries():
    from packaging.requirements import Requirement

    declared = {r.name: r for r in map(Requirement, tomllib.loads(
        (ROOT / "pyproject.toml").read_text())["project"]["dependencies"])}
    assert str(declared["hyperopt"].specifier) == "<0.4,>=0.2.7"
    assert str(declared["smac"].specifier) == "<3,>=2.4"
    for name in ("hyperopt", "smac"):
        assert declared[name].specifier.contains(version(name)), (name, version(name))
