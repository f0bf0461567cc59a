"""Learning curves: computed by the worker after the run's budget, stored with the run, read
(never fitted) by the report."""

import json
import math
import shutil

import pandas as pd
import pytest
import sklearn.model_selection
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

import harness
from harness.analysis.learning import PREDATES, learning_curve_of_best
from harness.cli import main
from harness.execution import learning_curve, process
from harness.execution.learning_curve import NOT_REQUESTED
from harness.models import ModelFamily
from harness.report import write_report

SUITE = """
name: curves
cv: 3
seeds: 1
budget: {time_s: 10, max_trials: 3}
datasets: [iris]
models: [knn]
strategies: [default, random]
"""

NOT_REQUESTED_EVENT = {"skipped": "not-requested", "note": NOT_REQUESTED}
FIXED_BEST = """
name: fixed
cv: 3
seeds: 1
budget: {{time_s: 0.5, grace_s: 0.5}}
datasets: [iris]
models: [random_forest]
strategies: [{{name: 'plugin_strategies:FixedBestStrategy', n_estimators: {trees}}}]
"""


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """The small suite run once with learning curves (run folders kept)."""
    folder = tmp_path_factory.mktemp("curves")
    suite = folder / "suite.yaml"
    suite.write_text(SUITE)
    outcome = harness.run_suite(suite, db=folder / "r.db", jobs=2, keep_run_dirs=True)
    assert outcome.exit_code == 0
    return folder, outcome


def test_the_best_run_stores_a_learning_curve_of_five_sizes(stored):
    folder, outcome = stored
    best, other = sorted(outcome.runs, key=lambda r: r["best_cv_score"], reverse=True)
    curve = best["details"]["learning_curve"]
    assert curve["metric"] == "accuracy" and len(curve["sizes"]) == 5
    # 3-fold CV of iris's 120 training rows: folds of 80, sizes 10%..100% of them
    assert curve["sizes"] == sorted(curve["sizes"]) and curve["sizes"][-1] == 80
    # None where every fold failed (more neighbours than the smallest size has rows)
    for name, high in (("train_mean", 1.0), ("cv_mean", 1.0), ("train_std", 0.5),
                       ("cv_std", 0.5)):
        assert all(0.0 <= v <= high for v in curve[name][2:]), (name, curve[name])
        assert all(v is None or 0.0 <= v <= high for v in curve[name]), curve[name]
    assert curve["cv_mean"][-1] > 0.8  # knn on all of iris
    # the other run has a curve too, unless its result came after a better one's
    assert len(other["details"]["learning_curve"].get("sizes", [])) == 5 \
        or other["details"]["learning_curve"]["skipped"] == "not-best"


@pytest.mark.slow
def test_a_run_worse_than_an_earlier_one_gets_no_curve(write_suite):
    """One run at a time: seed 0 scores CV 0.9, seed 1 then 0.8, so only seed 0's curve
    can ever be shown; seed 1's worker is stopped as its result arrives."""
    text = FIXED_BEST.format(trees=30).replace("seeds: 1", "seeds: 2") \
        .replace("time_s: 0.5, grace_s: 0.5", "time_s: 10")
    outcome = harness.run_suite(write_suite(text), db="r.db", jobs=1)
    first, second = sorted(outcome.runs, key=lambda r: r["seed"])
    assert first["status"] == second["status"] == "ok"
    assert len(first["details"]["learning_curve"]["sizes"]) == 5
    assert second["details"]["learning_curve"]["skipped"] == "not-best"
    assert "another run of this problem had a better CV score" in \
        second["details"]["learning_curve"]["note"]
    # it was stopped only after sending its budget levels (its search ended at once, so its
    # final test score stands for both levels)
    assert second["details"]["test_score_at"] == {"0.25": second["test_score"],
                                                  "0.5": second["test_score"]}
    assert set(second["details"]["level_notes"].values()) == {
        "ended at its trial cap before this level"}


def test_the_learning_curve_comes_after_the_runs_result_and_is_not_charged(stored):
    folder, outcome = stored
    run = outcome.runs[0]
    (run_dir,) = (folder / "work" / "curves").glob(f"{run['key']}-*")  # key-pid-attempt
    lines = (run_dir / "events.jsonl").read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["event"] for e in events[-3:]] == ["result", "budget_levels", "learning_curve"]
    # the run ends with its result event: the levels' and the curve's time are not in its
    # wall time
    assert run["finished_at"] == events[-3]["finished_at"]
    assert run["wall_time_s"] == pytest.approx(run["finished_at"] - run["started_at"])


def test_report_reads_the_stored_curves_and_fits_nothing(stored, tmp_path, monkeypatch):
    folder, _ = stored

    def no_fit(*args, **kwargs):
        raise AssertionError("writing a report must not fit a learning curve")

    monkeypatch.setattr(sklearn.model_selection, "learning_curve", no_fit)
    shutil.rmtree(folder / "cache")  # the dataset's split is gone: nothing to fit on
    html = write_report(db=folder / "r.db", out_dir=tmp_path / "reports").read_text()
    section = html.split('<section id="learning">')[1].split("</section>")[0]
    assert section.count("<svg") == 1 and "training-set size" in section
    hidden = write_report(db=folder / "r.db", out_dir=tmp_path / "hidden",
                          learning_curves=False).read_text()
    section = hidden.split('<section id="learning">')[1].split("</section>")[0]
    assert "<svg" not in section and "left out of this report (--no-learning-curves)" in section


def test_harness_report_fits_no_model(stored, tmp_path, monkeypatch, capsys):
    """``harness report`` with every way to fit the suite's model made to fail: building
    it, fitting a k-NN (the suite's model) or any pipeline, computing a learning curve.
    The patches hold in the report's chart workers too (they are forked from this process)."""
    folder, _ = stored

    def no_fit(*args, **kwargs):
        raise AssertionError("writing a report must not fit a model")

    for owner, name in ((ModelFamily, "build"), (KNeighborsClassifier, "fit"),
                        (Pipeline, "fit"), (sklearn.model_selection, "learning_curve"),
                        (learning_curve, "learning_curve_event")):
        monkeypatch.setattr(owner, name, no_fit)
    out = tmp_path / "reports"
    assert main(["report", "--db", str(folder / "r.db"), "--out", str(out)]) == 0
    assert f"report: {out / 'curves' / 'index.html'}" in capsys.readouterr().out
    html = (out / "curves" / "index.html").read_text()
    section = html.split('<section id="learning">')[1].split("</section>")[0]
    assert section.count("<svg") == 1 and "training-set size" in section
    assert "<!--harness-chart-" not in html  # every chart the workers drew is in place


@pytest.mark.slow
def test_no_learning_curves_stores_none_keeps_the_keys_and_the_report_says_why(write_suite,
                                                                              tmp_path):
    path = write_suite(SUITE)
    db = tmp_path / "r.db"
    outcome = harness.run_suite(path, db=db, jobs=2, learning_curves=False)
    assert outcome.exit_code == 0
    assert [r["details"]["learning_curve"] for r in outcome.runs] == [NOT_REQUESTED_EVENT] * 2
    html = write_report(db=db, out_dir=tmp_path / "reports").read_text()
    assert "learning curves were not computed for this run (--no-learning-curves)" in html
    again = harness.run_suite(path, db=db, jobs=2)  # same keys: nothing runs again
    assert again.executed == 0 and len(again.done_before) == 2


@pytest.mark.slow
def test_a_curve_running_past_the_hard_limit_leaves_the_run_ok(write_suite):
    """Hard limit 1 s; the learning curve of a 500-tree forest takes longer than that (and
    is given up before its allowance of 5 s is spent): the run stays ok, charged 1 s at most."""
    outcome = harness.run_suite(write_suite(FIXED_BEST.format(trees=500)), db="r.db")
    [run] = outcome.runs
    assert run["status"] == "ok" and run["error"] is None
    assert run["wall_time_s"] < 1.0
    note = run["details"]["learning_curve"]["note"]
    assert note.startswith(("the learning curve was given up after",
                            "the learning curve was abandoned")), note


@pytest.mark.slow
def test_a_worker_busy_past_the_curves_limit_is_killed_and_the_run_kept(write_suite,
                                                                       monkeypatch):
    monkeypatch.setattr(process, "post_result_limit_s", lambda spec: 0.3)
    outcome = harness.run_suite(write_suite(FIXED_BEST.format(trees=500)), db="r.db")
    [run] = outcome.runs
    assert run["status"] == "ok" and run["test_score"] is not None
    assert run["details"]["learning_curve"]["note"].startswith(
        "the learning curve was abandoned: it ran 0.3 s")


def _runs(*rows):
    """A runs frame as the store gives it, one row per (strategy, best CV, params, details)."""
    return pd.DataFrame([
        {"problem": "iris / knn", "strategy": strategy, "status": "ok", "metric": "accuracy",
         "best_cv_score": cv, "best_params": params, "details": details,
         "spec": {"space": {"n_neighbors": {}, "weights": {}}}}
        for strategy, cv, params, details in rows])


CURVE = {"sizes": [8, 26, 44, 62, 80], "train_mean": [1.0, 0.97, 0.96, 0.96, 0.95],
         "train_std": [0.0, 0.01, 0.01, 0.0, 0.0], "cv_mean": [None, 0.9, 0.93, 0.94, 0.95],
         "cv_std": [None, 0.02, 0.02, 0.01, 0.01], "metric": "accuracy"}


def test_the_best_own_model_runs_stored_curve_is_picked():
    runs = _runs(("flaml", 0.99, {"learner": "rf"}, {"learning_curve": {"note": "AutoML"}}),
                 ("random", 0.95, {"n_neighbors": 5}, {"learning_curve": CURVE}),
                 ("default", 0.90, {}, {"learning_curve": {**CURVE, "cv_mean": [0.1] * 5}}))
    curve = learning_curve_of_best(runs, "iris / knn")
    assert (curve.strategy, curve.params, curve.note) == ("random", {"n_neighbors": 5}, None)
    assert curve.sizes == CURVE["sizes"] and curve.cv_mean[1:] == [0.9, 0.93, 0.94, 0.95]
    assert math.isnan(curve.cv_mean[0]) and math.isnan(curve.cv_std[0])  # every fold failed


@pytest.mark.parametrize(("details", "note"), [
    ({}, PREDATES),
    ({"learning_curve": {"note": NOT_REQUESTED}}, NOT_REQUESTED),
])
def test_a_best_run_without_a_curve_gives_the_reason(details, note):
    curve = learning_curve_of_best(_runs(("random", 0.95, {"n_neighbors": 5}, details)),
                                   "iris / knn")
    assert curve.sizes == [] and curve.note == note and curve.strategy == "random"
