"""Fair runs: full-fidelity best CV scores, model-based strategies that use their model, test
scores at 25% and 50% of the budget, one run per dataset for strategies that choose their own
model, and the tutorial's settings in ``slides``."""

import itertools
import json

import pytest
from conftest import run_cli
from sklearn.metrics import accuracy_score

import harness
from harness.analysis import load_suite_data, run_traces
from harness.config import load_suite, shipped_suites
from harness.datasets import load_dataset, split_dataset
from harness.execution import budget_levels
from harness.execution.budget_levels import level_scores_event
from harness.models import MODELS
from harness.plan import plan_suite
from harness.records import LevelNote, Trial
from harness.report import write_report
from harness.spaces import to_grid
from harness.store import ResultStore

HALVING_CUT = """
name: cut
cv: 3
seeds: [0]
budget: {time_s: 30, max_trials: 7}
datasets: [iris]
models: [svc]
strategies: [{name: halving, n_candidates: 6, min_resources: 30}]
"""


def test_a_halving_run_cut_at_its_first_rung_reports_its_choice_at_full_fidelity(write_suite,
                                                                                  tmp_path):
    """Six candidates on 30 of iris's 120 training rows, then the trial cap: the best of them
    is cross-validated on all 120 rows, and that (not the subsample's score) is its best CV,
    in the store and in the anytime curve."""
    outcome = harness.run_suite(write_suite(HALVING_CUT), db=tmp_path / "r.db")
    (run,) = outcome.runs
    assert run["status"] == "ok" and run["details"]["n_iterations"] == 1
    trials = harness.load_results(tmp_path / "r.db").trials.sort_values("number")
    rung, full = trials.iloc[:6], trials.iloc[6:]
    assert len(trials) == 7  # one of the cap's seven kept for the full-fidelity evaluation
    assert rung["fidelity"].map(lambda f: f["n_samples"]).eq(30).all()
    assert not rung["info"].map(lambda i: i["full_fidelity"]).any()
    (last,) = full.itertuples()
    assert last.fidelity["n_samples"] == 120 and last.info["full_fidelity"] is True
    assert last.params == run["best_params"] and len(last.cv_scores) == 3
    assert run["best_cv_score"] == last.mean_cv_score
    assert run["best_cv_score"] != rung["mean_cv_score"].max()  # the subsample's score
    # the best-so-far curve has the full-fidelity point only
    with ResultStore(tmp_path / "r.db") as store:
        traces = run_traces(load_suite_data(store, "cut").trials)
    (elapsed, best), = traces.values()
    assert list(best) == [last.mean_cv_score] and list(elapsed) == [last.elapsed_s]


BAYES = """
name: bayes-design
cv: 3
seeds: [0]
budget: {{time_s: 60, max_trials: {trials}}}
datasets: [iris]
models: [knn]
strategies: [bayes]
"""


def test_bayes_with_ten_trials_lets_its_model_propose_and_the_report_warns_when_not(
        write_suite, tmp_path):
    (run,) = harness.run_suite(write_suite(BAYES.format(trials=10)), db=tmp_path / "r.db").runs
    assert run["status"] == "ok" and run["n_trials"] == 10
    # unset: min(10, max(3, 10 // 4)) = 3 random points, then the GP proposes the other 7
    assert run["details"]["initial_design"] == 3
    assert run["details"]["model_proposed_trials"] == 7
    html = write_report(db=tmp_path / "r.db", out_dir=tmp_path / "ten").read_text()
    assert "never left its initial design" not in html
    # three trials are its three random points: the model never proposes one
    (run,) = harness.run_suite(write_suite(BAYES.format(trials=3)), db=tmp_path / "r3.db").runs
    assert run["details"]["initial_design"] == 3
    assert run["details"]["model_proposed_trials"] == 0
    html = write_report(db=tmp_path / "r3.db", out_dir=tmp_path / "three").read_text()
    assert ("bayes never left its initial design in 1 of 1 run(s): its 3 random point(s) "
            "took every trial it had") in html


LEVELS = """
name: levels
cv: 3
seeds: [0]
budget: {time_s: 10}
datasets: [iris]
models: [knn]
strategies: [random, flaml]
"""


def _test_score(params):
    """``params`` of the knn refit on iris's train part, accuracy on its test part."""
    split = split_dataset(load_dataset("iris"), test_size=0.2)
    model = MODELS["knn"].build("classification", seed=0, params=params)
    return accuracy_score(split.y_test, model.fit(split.X_train, split.y_train)
                          .predict(split.X_test))


def test_incumbents_at_25_and_50_percent_are_scored_on_test_and_automl_is_not_measured(
        write_suite, tmp_path):
    outcome = harness.run_suite(write_suite(LEVELS), db=tmp_path / "r.db", jobs=2)
    runs = {r["strategy"]: r for r in outcome.runs}
    random, flaml = runs["random"], runs["flaml"]
    assert random["status"] == flaml["status"] == "ok"
    assert _test_score(random["best_params"]) == random["test_score"]  # the same split
    trials = harness.load_results(tmp_path / "r.db").trials
    own = trials[trials["strategy"] == "random"].sort_values("number")
    for key, level in (("0.25", 0.25), ("0.5", 0.5)):
        before = own[own["elapsed_s"] <= level * 10].dropna(subset=["mean_cv_score"])
        assert len(before) >= 2
        incumbent = before.loc[before["mean_cv_score"].idxmax()]  # the earliest of equals
        assert random["details"]["test_score_at"][key] == _test_score(incumbent["params"])
    assert random["details"]["level_notes"] == {}
    # FLAML chooses its own learner: its earlier incumbents cannot be refit here
    assert flaml["model"] == "automl"
    assert flaml["details"]["test_score_at"] == {"0.25": None, "0.5": None}
    assert flaml["details"]["level_notes"] == {"0.25": "not measured", "0.5": "not measured"}


def _trial(number, score, elapsed, params=None, **fields):
    return Trial(number=number, params=params or {"n_neighbors": number + 1},
                 cv_scores=[score, score], fit_time_s=0.0, score_time_s=0.0,
                 elapsed_s=elapsed, **fields)


SPEC = {"model": "knn", "space": {"n_neighbors": {}}, "time_s": 8.0, "task": "classification",
        "seed": 0, "metric": "accuracy"}


def _levels(trials, *, search_s, best, in_process=True, spec=SPEC):
    result = {"best_params": best, "test_score": 0.8,
              "details": {"search_s": search_s, "refit_s": 0.01}}
    return level_scores_event(spec, result, trials, in_process=in_process, allowance_s=5.0)


@pytest.fixture
def no_refit(monkeypatch):
    def refit(spec, params):
        raise AssertionError(f"refit of {params}")

    monkeypatch.setattr(budget_levels, "_refit_score", refit)


def test_level_rules_cap_few_trials_and_not_measured(no_refit):
    final = {"n_neighbors": 2}
    # trials at 1.0 s and 3.0 s of 8: one before 2 s, two before 4 s (the second is the
    # final choice, so its test score is the run's, no refit)
    trials = [_trial(0, 0.7, 1.0), _trial(1, 0.9, 3.0)]
    event = _levels(trials, search_s=7.5, best=final)
    assert event["test_score_at"] == {"0.25": None, "0.5": 0.8}
    assert event["level_notes"] == {"0.25": LevelNote.FEW_TRIALS}
    # the search ended at 3.5 s (its trial cap): from then on the final choice stands
    event = _levels(trials, search_s=3.5, best=final)
    assert event["test_score_at"] == {"0.25": None, "0.5": 0.8}
    assert event["level_notes"] == {"0.25": "not enough trials",
                                    "0.5": "ended at its trial cap before this level"}
    # reduced-fidelity trials are no incumbents
    low = [_trial(i, 0.99, 0.5, fidelity={"n_samples": 30}, info={"full_fidelity": False})
           for i in range(3)]
    event = _levels([*low, *trials], search_s=7.5, best=final)
    assert event["level_notes"]["0.25"] == "not enough trials"
    # a model the worker cannot rebuild (a strategy's own, or scored out of process)
    event = _levels(trials, search_s=7.5, best=final, in_process=False)
    assert event["level_notes"] == {"0.25": "not measured", "0.5": "not measured"}
    automl = {**SPEC, "model": "automl", "space": {}}
    event = _levels(trials, search_s=7.5, best={"learner": "rf"}, spec=automl)
    assert event["test_score_at"] == {"0.25": None, "0.5": None}


def test_an_earlier_incumbent_is_refit_once_for_both_levels(monkeypatch):
    calls = []
    monkeypatch.setattr(budget_levels, "_refit_score",
                        lambda spec, params: calls.append(params) or 0.6)
    trials = [_trial(0, 0.7, 0.5), _trial(1, 0.75, 1.0), _trial(2, 0.9, 6.0)]
    event = _levels(trials, search_s=7.5, best={"n_neighbors": 3})
    assert event["test_score_at"] == {"0.25": 0.6, "0.5": 0.6}
    assert calls == [{"n_neighbors": 2}] and event["level_notes"] == {}


PLAN = """
name: plan
cv: 3
seeds: [0, 1]
budget: {time_s: 5}
datasets: [iris, wine]
models: [random_forest, knn]
strategies: [grid, {name: regularization, strengths: 2}, random]
"""
#: the keys these runs had before regularization ran once per dataset: they must not change
KEYS = {
    ("iris", "random_forest", "grid"): ("c3fa077482b9b7a52c50", "58b55df420cc6039171f"),
    ("iris", "random_forest", "random"): ("092a42bc2a275d88709d", "f4eb0cafc85215a79b1a"),
    ("iris", "knn", "grid"): ("a5d8dae81eec803b374a", "3dd0d75e65e75b5f191c"),
    ("iris", "knn", "random"): ("fef2dbc4d28db1285776", "fd08e3cefc2be88dbea0"),
    ("wine", "random_forest", "grid"): ("d3c3ecef17def3c29580", "cc78bb9843d2b9d93458"),
    ("wine", "random_forest", "random"): ("a476d6d40e46742e413d", "5d1045d5559eab998afa"),
    ("wine", "knn", "grid"): ("c7b211c9839950f74d18", "9f978d8f6732d0af6d28"),
    ("wine", "knn", "random"): ("a6da084f66dfb47a105c", "292b15915b677945b694"),
}


def test_a_strategy_choosing_its_own_model_runs_once_per_dataset_and_seed(write_suite,
                                                                         tmp_path):
    specs = plan_suite(load_suite(write_suite(PLAN)), cache_dir=tmp_path / "cache")
    own = [(s.dataset, s.model, s.seed, s.space) for s in specs
           if s.strategy == "regularization"]
    assert own == [("iris", "linear", 0, {}), ("iris", "linear", 1, {}),
                   ("wine", "linear", 0, {}), ("wine", "linear", 1, {})]
    others = {}
    for s in specs:
        if s.strategy != "regularization":
            others.setdefault((s.dataset, s.model, s.strategy), []).append(s.key)
    assert {k: tuple(v) for k, v in others.items()} == KEYS


def test_slides_runs_the_regularization_comparison_once_per_seed(tmp_path):
    proc = run_cli("run", "--suite", "slides", "--dry-run", "--db", str(tmp_path / "r.db"))
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines() if line.endswith("to run")]
    regularization = [r for r in rows if r[3] == "regularization"]
    assert [(r[2], r[4]) for r in regularization] == [("linear", "0"), ("linear", "1"),
                                                       ("linear", "2")]
    # 3 models x 6 strategies x 3 seeds, and the regularization comparison once per seed
    assert len(rows) == 57 and "57 of 57 run(s) to run" in proc.stdout


def test_slides_has_the_tutorials_27_point_grid_and_20_random_candidates():
    slides = load_suite(shipped_suites()["slides"])
    forest = next(m for m in slides.models if m.name == "random_forest")
    grid = to_grid(forest.space, points=3)
    assert grid == {"n_estimators": [100, 200, 300], "max_depth": [5, 10, None],
                    "min_samples_split": [2, 5, 10]}
    assert len(list(itertools.product(*grid.values()))) == 27
    random = next(s for s in slides.strategies if s.name == "random")
    assert random.options == {"n_iter": 20}
    regularization = next(s for s in slides.strategies if s.name == "regularization")
    assert regularization.options["penalties"] == ["none", "l2"]
    assert regularization.options["strengths"] == [1.0]


def test_the_slides_grid_is_searched_point_by_point():
    """The grid strategy takes the explicit values as they are (no spacing of a range)."""
    from test_strategies import make_problem, search

    slides = load_suite(shipped_suites()["slides"])
    forest = next(m for m in slides.models if m.name == "random_forest")
    space = {name: dim.to_dict() for name, dim in forest.space.items()}
    problem = make_problem("iris", "random_forest", space, cv=2)
    outcome, trials = search("grid", problem, max_trials=3, time_s=600)
    assert outcome.details["grid_size"] == 27
    assert {json.dumps(t.params, sort_keys=True) for t in trials[:3]} == {
        json.dumps({"max_depth": 5, "min_samples_split": 2, "n_estimators": n},
                   sort_keys=True) for n in (100, 200, 300)}

