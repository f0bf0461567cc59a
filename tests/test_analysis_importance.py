"""Unit tests of hyperparameter importance on hand-made trials frames where one parameter
fully determines the CV score and another is noise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.analysis.importance import MIN_TRIALS
from harness.importances import hyperparameter_importance


def _trials(params: list[dict], scores: list[float | None], problem: str = "p"
            ) -> pd.DataFrame:
    return pd.DataFrame({"problem": problem, "params": params, "mean_cv_score": scores})


def _determined(n: int = 40, seed: int = 0) -> pd.DataFrame:
    """score = -(C - 3)^2 exactly; ``noise`` is drawn independently of the score."""
    rng = np.random.default_rng(seed)
    c_values = rng.uniform(0.0, 6.0, n)
    noise = rng.uniform(0.0, 1.0, n)
    params = [{"C": float(c), "noise": float(z)} for c, z in zip(c_values, noise, strict=True)]
    return _trials(params, [-(float(c) - 3.0) ** 2 for c in c_values])


def test_the_parameter_that_determines_the_score_is_the_most_important():
    result = hyperparameter_importance(_determined(), "p", space={"C", "noise"})
    assert result.note is None and result.n_trials == 40
    names = [name for name, _, _ in result.importances]
    assert names == ["C", "noise"]
    (_, c_mean, _), (_, noise_mean, _) = result.importances
    assert c_mean > 0.5 and abs(noise_mean) < 0.05 and c_mean > 10 * abs(noise_mean)
    assert result.surrogate_r2 is not None and result.surrogate_r2 > 0.8
    dependence = result.dependence[0]
    assert (dependence.name, dependence.categorical) == ("C", False)
    assert len(dependence.values) == len(dependence.score) == 20
    # the peak at C = 3 shows in the partial dependence: higher in the middle than at the ends
    middle = dependence.score[int(np.argmin([abs(v - 3.0) for v in dependence.values]))]
    assert middle > dependence.score[0] + 2 and middle > dependence.score[-1] + 2


def test_a_categorical_parameter_is_encoded_and_named_by_its_labels():
    rng = np.random.default_rng(1)
    kernels = ["rbf", "linear", "poly"] * 10
    bonus = {"rbf": 0.9, "linear": 0.5, "poly": 0.1}
    params = [{"kernel": k, "tol": float(rng.uniform())} for k in kernels]
    result = hyperparameter_importance(_trials(params, [bonus[k] for k in kernels]), "p",
                                       space={"kernel", "tol"}, top=1)
    assert result.importances[0][0] == "kernel"
    (dependence,) = result.dependence
    assert dependence.categorical and dependence.values == ["linear", "poly", "rbf"]
    by_label = dict(zip(dependence.values, dependence.score, strict=True))
    assert by_label["poly"] < by_label["linear"] < by_label["rbf"]


def test_only_scored_trials_over_the_space_of_the_problem_count():
    trials = _determined(MIN_TRIALS - 1)
    extra = _trials([{"C": 1.0, "noise": 0.5}, {"C": 2.0, "pipeline": "x"}, {}, None],
                    [None, 0.3, 0.2, 0.1])
    other = _determined(30).assign(problem="q")
    result = hyperparameter_importance(pd.concat([trials, extra, other], ignore_index=True),
                                       "p", space={"C", "noise"})
    assert (result.n_trials, result.importances, result.dependence) == (MIN_TRIALS - 1, [], [])
    assert result.surrogate_r2 is None
    assert result.note == f"{MIN_TRIALS - 1} scored trial(s) with hyperparameters; at least " \
                          f"{MIN_TRIALS} are needed"


def test_no_varying_parameter_gives_a_note():
    params = [{"C": 1.0, "kernel": "rbf"}] * 12
    result = hyperparameter_importance(_trials(params, [0.1 * i for i in range(12)]), "p",
                                       space={"C", "kernel"})
    assert (result.n_trials, result.importances) == (12, [])
    assert result.note == "no hyperparameter varied across the trials"


# -- stored once a suite's runs end; a report reads it and fits nothing ----------------------

def _stored(db, suite: str = "synthetic") -> dict:
    from harness.store import ResultStore

    with ResultStore(db, create=False) as store:
        return store.importances(suite=suite, round="")


def test_the_report_shows_the_stored_importance_and_fits_no_model(tmp_path, monkeypatch):
    import harness.importances
    from harness.report import write_report
    from harness.synthetic_results import fill_store

    db = tmp_path / "h.db"
    fill_store(db, seeds=range(2))  # stores it, as the runner does when the runs end
    (problem, (_, record)), = _stored(db).items()
    assert problem == "alpha / random_forest" and record["n_trials"] == 80
    names = [name for name, _, _ in record["importances"]]
    assert sorted(names) == ["criterion", "max_depth", "n_estimators"]

    def no_fit(*args, **kwargs):
        raise AssertionError("a report fitted a model")

    monkeypatch.setattr(harness.importances, "fitted_importance", no_fit)
    html = write_report(db=db, out_dir=tmp_path / "r", chart_workers=0).read_text()
    section = html[html.index('<section id="importance">'):]
    section = section[:section.index("</section>")]
    assert "80 trials; surrogate R² on them " in section and "<svg" in section
    assert f"{record['surrogate_r2']:.3f}" in section
    assert all(name in section for name in names)


def test_runs_added_since_make_it_stale_until_it_is_fitted_again(tmp_path):
    from harness.importances import store_importances
    from harness.report import write_report
    from harness.store import ResultStore
    from harness.synthetic_results import fill_store

    db = tmp_path / "h.db"
    fill_store(db, seeds=range(2))
    (before, _), = _stored(db).values()
    fill_store(db, seeds=range(2, 3), importances=False)  # one more seed, nothing fitted
    html = write_report(db=db, out_dir=tmp_path / "r", chart_workers=0).read_text()
    section = html[html.index('<section id="importance">'):]
    assert section[:section.index("</section>")].count("not stored for these runs") == 1
    with ResultStore(db) as store:
        assert store_importances(store, "synthetic") > 0
        assert store_importances(store, "synthetic") == 0.0  # stored for exactly these runs
    (after, record), = _stored(db).values()
    assert after != before and record["n_trials"] == 120


def test_harness_report_fits_what_an_older_store_lacks(tmp_path):
    from conftest import run_cli

    from harness.synthetic_results import fill_store

    db = tmp_path / "h.db"
    fill_store(db, seeds=range(2), importances=False)  # as a store written before schema 4
    assert _stored(db) == {}
    proc = run_cli("report", "--db", str(db), "--out", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    (_, record), = _stored(db).values()
    html = (tmp_path / "r" / "synthetic" / "index.html").read_text()
    assert f"{record['n_trials']} trials; surrogate R² on them" in html


def test_nothing_to_fit_at_suite_end_is_said_by_the_report(write_suite, tmp_path):
    from conftest import run_cli

    suite = write_suite("""
        name: tiny
        cv: 3
        budget: {time_s: 30}
        datasets: [iris]
        models: [logistic_regression]
        strategies: [default]
    """)
    db, out = tmp_path / "r.db", tmp_path / "reports"
    proc = run_cli("run", "--suite", str(suite), "--db", str(db), "--quiet", "--no-report",
                   "--no-learning-curves")
    assert proc.returncode == 0, proc.stderr
    assert _stored(db, "tiny") == {}  # one trial: nothing was fitted when the runs ended
    proc = run_cli("report", "--db", str(db), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    (record,) = [r for _, r in _stored(db, "tiny").values()]
    # its one trial scored the model's defaults: no hyperparameter to learn from
    assert record["note"] == f"0 scored trial(s) with hyperparameters; at least {MIN_TRIALS} " \
                             "are needed"
    assert record["note"] in (out / "tiny" / "index.html").read_text()
