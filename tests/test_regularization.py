"""The regularization comparison: fidelity to LogisticRegression, choice by CV only, report."""

import time
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

import harness
from harness.datasets import load_dataset, save_split, split_dataset
from harness.report import write_report
from harness.strategies import STRATEGIES, Deadline, Problem


class Recorder:
    def __init__(self):
        self.trials = []

    def record(self, trial):
        self.trials.append(trial)


def _problem(tmp_path, dataset="synthetic-classification", *, y_test=None):
    ds = load_dataset(dataset)
    split = split_dataset(ds, test_size=0.2)
    if y_test is not None:
        split = type(split)(split.X_train, split.X_test, split.y_train, y_test(split.y_test))
    folder = save_split(ds, split, tmp_path / f"cache-{dataset}-{y_test is not None}")
    return split, Problem(dataset=dataset, model="logistic_regression", task=ds.task,
                          X=split.X_train, y=split.y_train, space={},
                          scoring="accuracy" if ds.task == "classification" else "r2", cv=5,
                          n_jobs=1, make_estimator=None, data_dir=str(folder))


def _search(problem, **options):
    recorder = Recorder()
    outcome = STRATEGIES["regularization"].create(options).search(
        problem, deadline=Deadline(time.time(), 120), seed=0, recorder=recorder)
    return outcome, recorder.trials


def test_unregularized_and_l2_match_logistic_regression_called_directly(tmp_path):
    """The tutorial: synthetic data, 0.2 test split, random_state 42, C=1e6 against C=1.0."""
    split, problem = _problem(tmp_path)
    _, trials = _search(problem, penalties=["none", "l2"], strengths=[1.0], scale=False)
    by_penalty = {t.params["penalty"]: t for t in trials}
    for penalty, C in (("none", 1e6), ("l2", 1.0)):
        direct = LogisticRegression(C=C, max_iter=1000).fit(split.X_train, split.y_train)
        info = by_penalty[penalty].info
        assert info["train_score"] == direct.score(split.X_train, split.y_train)
        assert info["test_score"] == direct.score(split.X_test, split.y_test)
        assert info["n_nonzero"] == 20 and info["n_coef"] == 20


def test_the_choice_never_looks_at_the_test_part(tmp_path):
    _, honest = _problem(tmp_path)
    _, scrambled = _problem(tmp_path, y_test=lambda y: 1 - y)  # every test label wrong
    a, trials_a = _search(honest, penalties=["l2", "l1"], strengths=4)
    b, trials_b = _search(scrambled, penalties=["l2", "l1"], strengths=4)
    assert a.best_params == b.best_params and a.best_cv_score == b.best_cv_score
    assert [t.cv_scores for t in trials_a] == [t.cv_scores for t in trials_b]
    assert [t.info["test_score"] for t in trials_a] != [t.info["test_score"] for t in trials_b]
    assert a.best_cv_score == max(t.mean_cv_score for t in trials_a)


def test_sweep_crosses_penalties_and_strengths_and_counts_warnings(tmp_path):
    _, problem = _problem(tmp_path)
    with warnings.catch_warnings(record=True) as escaped:
        warnings.simplefilter("always")
        outcome, trials = _search(problem, strengths=3, max_iter=1)
    kinds = [(t.params["penalty"], t.params.get("l1_ratio")) for t in trials]
    assert kinds.count(("none", None)) == 1 and len(trials) == 1 + 3 * (1 + 1 + 3)
    assert sorted({t.params["C"] for t in trials if "C" in t.params}) == pytest.approx(
        [1e-4, 1.0, 1e4])
    assert sum(t.info["convergence_warnings"] for t in trials) > 0  # counted per trial
    assert not [w for w in escaped if issubclass(w.category, ConvergenceWarning)]  # not shown
    l1_weak = [t for t in trials if t.params == {"penalty": "l1", "C": pytest.approx(1e-4)}]
    assert l1_weak and l1_weak[0].info["n_nonzero"] == 0  # strong L1 zeroes every weight


def test_regression_uses_ridge_lasso_elasticnet(tmp_path):
    _, problem = _problem(tmp_path, "diabetes")
    outcome, trials = _search(problem, strengths=3)
    assert {t.params["penalty"] for t in trials} == {"none", "l2", "l1", "elasticnet"}
    assert all("alpha" in t.params for t in trials if t.params["penalty"] != "none")
    assert np.isfinite(outcome.best_cv_score)


@pytest.mark.slow
@pytest.mark.parametrize("penalties", [["l2"], ["none", "l2", "l1"]])
def test_report_section(write_suite, tmp_path, penalties):
    path = write_suite(f"""
        name: reg
        seeds: 2
        budget: {{time_s: 20}}
        datasets: [synthetic-classification]
        models: [logistic_regression]
        strategies: [{{name: regularization, penalties: {penalties}, strengths: 3}}]
    """)
    outcome = harness.run_suite(path, db=tmp_path / "r.db")
    assert outcome.exit_code == 0
    html = write_report(db=tmp_path / "r.db", out_dir=tmp_path / "reports",
                        learning_curves=False).read_text()
    section = html[html.index('<section id="regularization">'):]
    section = section[:section.index("</section>")]
    assert section.count("<svg") == 1 and "C (smaller is stronger regularization)" in section
    rows = section.count("<tr><td class=\"name\">")
    assert rows == len(penalties)
    assert ("(unregularized)" in section) == ("none" in penalties)
    assert "did not run in this suite" not in section


def test_report_of_a_regularization_strategy_without_penalties(tmp_path):
    """A store whose ``regularization`` runs name no penalty (a plugin of that name, or a
    damaged store) gets a report without the regularization section, not a KeyError."""
    from harness.synthetic_results import fill_store

    db = tmp_path / "r.db"
    fill_store(db, suite="plugin", datasets=["alpha", "beta"],
               strategies=["random", "regularization"], seeds=[0, 1], trials_per_run=4)
    html = write_report(db=db, out_dir=tmp_path / "reports", chart_workers=0).read_text()
    assert "alpha" in html and "non-zero coef." not in html  # no penalty table
