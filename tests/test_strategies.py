import time

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from harness.datasets import load_dataset, split_dataset
from harness.models import MODELS, from_pipeline_params, to_pipeline_params
from harness.spaces import parse_space, to_grid
from harness.strategies import STRATEGIES, Deadline, Problem


class Recorder:
    def __init__(self):
        self.trials = []

    def record(self, trial):
        self.trials.append(trial)


def make_problem(dataset="synthetic-classification", model="svc", space=None, *, cv=5,
                 n_jobs=1):
    ds = load_dataset(dataset)
    split = split_dataset(ds, test_size=0.2)
    family = MODELS[model]
    space = parse_space(space) if space else dict(family.default_space)
    return Problem(dataset=dataset, model=model, task=ds.task, X=split.X_train, y=split.y_train,
                   space=space, scoring="accuracy" if ds.task == "classification" else "r2",
                   cv=cv, n_jobs=n_jobs,
                   make_estimator=lambda params: family.build(ds.task, seed=0, params=params))


def search(name, problem, *, time_s=600.0, max_trials=None, seed=0, **options):
    recorder = Recorder()
    outcome = STRATEGIES[name].create(options).search(
        problem, deadline=Deadline(time.time(), time_s, max_trials=max_trials), seed=seed,
        recorder=recorder)
    return outcome, recorder.trials


SLIDES_SVC = {"C": [0.1, 1, 10], "kernel": ["rbf", "linear"]}


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_equals_gridsearchcv_called_directly(n_jobs):
    problem = make_problem(space=SLIDES_SVC, n_jobs=n_jobs)
    outcome, trials = search("grid", problem, seed=3)
    direct = GridSearchCV(
        MODELS["svc"].build("classification", seed=0),
        to_pipeline_params(to_grid(problem.space)), scoring="accuracy",
        cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=3),
    ).fit(problem.X, problem.y)
    assert outcome.best_params == from_pipeline_params(direct.best_params_)
    assert outcome.best_cv_score == direct.best_score_
    assert len(trials) == 6
    for i, trial in enumerate(trials):
        assert trial.params == from_pipeline_params(direct.cv_results_["params"][i])
        assert trial.cv_scores == [direct.cv_results_[f"split{k}_test_score"][i]
                                   for k in range(5)]
        assert trial.mean_cv_score == pytest.approx(direct.cv_results_["mean_test_score"][i])
        assert trial.fit_time_s > 0 and trial.elapsed_s > 0


def test_grid_on_numeric_ranges_equals_gridsearchcv():
    space = {"n_estimators": {"type": "int", "low": 5, "high": 25},
             "max_depth": {"type": "int", "low": 2, "high": 8}}
    problem = make_problem("wine", "random_forest", space, cv=3)
    outcome, trials = search("grid", problem, points=3)
    direct = GridSearchCV(MODELS["random_forest"].build("classification", seed=0),
                          to_pipeline_params(to_grid(problem.space, points=3)),
                          scoring="accuracy",
                          cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=0),
                          ).fit(problem.X, problem.y)
    assert outcome.best_params == from_pipeline_params(direct.best_params_)
    assert outcome.best_cv_score == direct.best_score_
    assert len(trials) == 9 and outcome.details["completed"]


def test_max_trials_caps_random_search():
    outcome, trials = search("random", make_problem("iris", "knn", cv=3), max_trials=7)
    assert len(trials) == 7 and [t.number for t in trials] == list(range(7))
    assert outcome.best_cv_score == max(t.mean_cv_score for t in trials)


def test_random_search_stops_at_its_deadline():
    problem = make_problem("breast-cancer", "random_forest", cv=3)
    started = time.time()
    outcome, trials = search("random", problem, time_s=3.0)
    took = time.time() - started
    assert len(trials) > 1
    assert took < 3.0 + 1.5, f"cooperative stop overran: {took:.1f}s"
    assert all(t.elapsed_s <= 3.0 for t in trials)


def test_halving_records_n_samples_fidelity():
    problem = make_problem("digits", "knn", cv=3)
    outcome, trials = search("halving", problem)
    samples = [t.fidelity["n_samples"] for t in trials]
    assert samples == sorted(samples) and samples[0] < samples[-1]
    rungs = [t for t in trials if t.info.get("stage") != "full-fidelity"]
    assert len({t.fidelity["iteration"] for t in rungs}) == outcome.details["n_iterations"] >= 2
    last = [t for t in rungs if t.fidelity["n_samples"] == rungs[-1].fidelity["n_samples"]]
    chosen = max(last, key=lambda t: t.mean_cv_score)
    # its last rung used part of the train part: its choice is cross-validated on all of it
    assert not any(t.info["full_fidelity"] for t in rungs)
    (full,) = [t for t in trials if t.info["full_fidelity"]]
    assert full.fidelity["n_samples"] == len(problem.y) > chosen.fidelity["n_samples"]
    assert full.params == chosen.params == outcome.best_params
    assert outcome.best_cv_score == full.mean_cv_score != chosen.mean_cv_score


def test_bayes_records_trials_and_returns_their_best():
    outcome, trials = search("bayes", make_problem("iris", "svc", cv=3), max_trials=12,
                             n_initial_points=5)
    assert len(trials) == 12
    assert outcome.best_cv_score == pytest.approx(max(t.mean_cv_score for t in trials))
    assert 0.01 <= outcome.best_params["C"] <= 100


def test_coarse_to_fine_refines_inside_the_space():
    problem = make_problem("iris", "svc", cv=3)
    outcome, trials = search("coarse-to-fine", problem, max_trials=20)
    stages = [t.info["stage"] for t in trials]
    assert stages == ["coarse"] * 10 + ["fine"] * 10
    fine_space = outcome.details["fine_space"]
    for trial in trials[10:]:
        assert fine_space["C"]["low"] <= trial.params["C"] <= fine_space["C"]["high"]
        assert 0.01 <= trial.params["C"] <= 100
        assert trial.params["kernel"] == fine_space["kernel"]["choices"][0]
    assert outcome.best_cv_score == max(t.mean_cv_score for t in trials)


def test_default_is_one_trial_of_the_defaults():
    outcome, trials = search("default", make_problem("iris", "svc", cv=3))
    assert len(trials) == 1 and trials[0].params == {} and outcome.best_params == {}
    assert len(trials[0].cv_scores) == 3


@pytest.mark.parametrize("name", ["grid", "random", "bayes"])
def test_candidates_that_fail_to_fit_are_recorded_and_skipped(name):
    space = {"C": [0.1, 1.0], "kernel": ["rbf", "no-such-kernel"]}
    problem = make_problem("iris", "svc", space, cv=3)
    outcome, trials = search(name, problem, max_trials=4, n_initial_points=2) if name == "bayes" \
        else search(name, problem, max_trials=4)
    failed = [t for t in trials if t.error]
    assert failed and all(t.params["kernel"] == "no-such-kernel" for t in failed)
    assert all(t.cv_scores == [None, None, None] for t in failed)
    assert outcome.best_params["kernel"] == "rbf"
    assert np.isfinite(outcome.best_cv_score)
