"""The CLI and the Python API as users drive them: run, list, show, export, load_results."""

import json

import pandas as pd
import pytest
from conftest import run_cli
from sklearn.model_selection import GridSearchCV, StratifiedKFold

import harness
from harness.cli import main
from harness.datasets import load_dataset, split_dataset
from harness.models import MODELS

SUITE = """
name: tour
cv: 3
seeds: 2
budget: {time_s: 6, max_trials: 4}
datasets: [iris, wine]
models: [knn]
strategies: [default, random]
"""


@pytest.fixture
def tour(write_suite, tmp_path):
    path = write_suite(SUITE)
    db = tmp_path / "r.db"
    outcome = harness.run_suite(path, db=db, jobs=2)
    return path, db, outcome


@pytest.mark.slow
def test_run_suite_and_load_results(tour):
    path, db, outcome = tour
    assert outcome.exit_code == 0 and outcome.executed == 8 and len(outcome.runs) == 8
    frame = outcome.to_frame()
    assert set(frame["dataset"]) == {"iris", "wine"} and set(frame["seed"]) == {0, 1}
    runs, trials = harness.load_results(db, suite="tour")
    assert len(runs) == 8 and (runs["status"] == "ok").all()
    assert runs["fingerprint"].nunique() == 2
    assert runs["package_versions"].map(lambda v: "scikit-learn" in v).all()
    random_runs = runs[runs["strategy"] == "random"]
    assert (random_runs["n_trials"] == 4).all()
    assert len(trials) == runs["n_trials"].sum() == 4 * 4 + 4
    joined = trials.merge(runs[["id", "best_cv_score"]], left_on="run_id", right_on="id")
    best = joined.groupby("run_id").agg(top=("mean_cv_score", "max"),
                                        best=("best_cv_score", "first"))
    assert (best["top"] == best["best"]).all()


@pytest.mark.slow
def test_show_export_and_dry_run(tour, tmp_path, capsys):
    path, db, outcome = tour
    run_id = outcome.runs[-1]["id"]
    assert main(["show", str(run_id), "--db", str(db)]) == 0
    shown = capsys.readouterr().out
    assert "strategy: random" in shown and "4 trial(s); best 4 by mean CV score" in shown

    key = outcome.runs[0]["key"]
    assert main(["show", key[:8], "--db", str(db), "--trials", "0"]) == 0
    assert f"key: {key}" in capsys.readouterr().out

    for fmt in ("csv", "parquet"):
        out = tmp_path / fmt
        assert main(["export", "--format", fmt, "--db", str(db), "--out", str(out)]) == 0
        read = pd.read_csv if fmt == "csv" else pd.read_parquet
        runs, trials = read(out / f"runs.{fmt}"), read(out / f"trials.{fmt}")
        assert len(runs) == 8 and len(trials) == 20
        first = runs.set_index("key").loc[outcome.runs[0]["key"]]  # exported by id
        assert json.loads(first["best_params"]) == outcome.runs[0]["best_params"]
        assert len(json.loads(trials.loc[0, "cv_scores"])) == 3

    capsys.readouterr()
    assert main(["run", "--suite", str(path), "--db", str(db), "--dry-run",
                 "--only", "strategy=random,dataset=wine"]) == 0
    text = capsys.readouterr().out
    assert "0 of 2 run(s) to run" in text and "iris" not in text


def test_dry_run_lists_runs_without_running(write_suite, tmp_path):
    proc = run_cli("run", "--suite", str(write_suite(SUITE)), "--db", str(tmp_path / "r.db"),
                   "--dry-run", "--only", "dataset=iris", "--only", "seed=1")
    assert proc.returncode == 0
    assert "2 of 2 run(s) to run" in proc.stdout
    assert proc.stdout.count("to run") == 3 and "wine" not in proc.stdout
    # a dry run leaves nothing behind: no database, no cache, no work folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["suite.yaml"]


def test_run_suite_result_has_a_short_repr(write_suite, tmp_path):
    outcome = harness.run_suite(write_suite(SUITE), db=tmp_path / "r.db", dry_run=True)
    outcome.runs = [{"status": "ok", "trials": ["x" * 1000] * 50}] * 3 + [{"status": "failed"}]
    text = repr(outcome)
    assert len(text) < 300, text
    assert text.startswith("SuiteRun(suite='tour'") and "planned=8" in text
    assert "stored=[1 failed, 3 ok]" in text and "exit_code=1" in text


def test_bad_only_filter_is_a_usage_error(write_suite, tmp_path):
    proc = run_cli("run", "--suite", str(write_suite(SUITE)), "--db", str(tmp_path / "r.db"),
                   "--only", "strat=grid")
    assert proc.returncode == 2 and "--only: bad filter 'strat=grid'" in proc.stderr


def test_show_unknown_run_and_missing_db(tmp_path):
    proc = run_cli("show", "42", "--db", str(tmp_path / "none.db"))
    assert proc.returncode == 2 and "no results database at" in proc.stderr
    assert not (tmp_path / "none.db").exists()


def test_schema_version_is_checked(tmp_path):
    from harness.store import ResultStore

    db = tmp_path / "r.db"
    ResultStore(db).close()
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    proc = run_cli("export", "--db", str(db), "--out", str(tmp_path / "x"))
    assert proc.returncode == 2 and "schema version 99" in proc.stderr


@pytest.mark.parametrize("what", ["strategies", "datasets", "models", "suites"])
def test_list(what, capsys):
    assert main(["list", what]) == 0
    out = capsys.readouterr().out
    expected = {"strategies": ["default", "grid", "random", "halving", "bayes",
                               "coarse-to-fine", "scikit-optimize"],
                "datasets": ["synthetic-classification", "breast-cancer", "csv:PATH",
                             "openml:ID"],
                "models": ["svc", "random_forest", "gradient_boosting"],
                "suites": ["smoke", "slides"]}[what]
    for word in expected:
        assert word in out


@pytest.mark.slow
def test_grid_through_the_harness_equals_gridsearchcv(write_suite, tmp_path):
    path = write_suite("""
        name: fidelity
        cv: 5
        seeds: [11]
        budget: {time_s: 120}
        datasets: [synthetic-classification]
        models:
          - name: svc
            space: {C: [0.1, 1, 10], kernel: [rbf, linear]}
        strategies: [grid]
    """)
    (run,) = harness.run_suite(path, db=tmp_path / "r.db").runs
    ds = load_dataset("synthetic-classification")
    split = split_dataset(ds, test_size=0.2)
    direct = GridSearchCV(MODELS["svc"].build("classification", seed=11),
                          {"model__C": [0.1, 1, 10], "model__kernel": ["rbf", "linear"]},
                          scoring="accuracy",
                          cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=11),
                          ).fit(split.X_train, split.y_train)
    assert run["status"] == "ok"
    assert run["best_params"] == {k.removeprefix("model__"): v
                                  for k, v in direct.best_params_.items()}
    assert run["best_cv_score"] == direct.best_score_
    assert run["test_score"] == direct.score(split.X_test, split.y_test)


@pytest.mark.slow
def test_smoke_suite_runs_every_strategy(tmp_path):
    proc = run_cli("run", "--db", str(tmp_path / "smoke.db"), "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "reports" / "smoke" / "index.html").exists()
    runs = harness.load_results(tmp_path / "smoke.db", suite="smoke").runs
    tabular = {"default", "grid", "random", "halving", "bayes", "coarse-to-fine", "flaml",
               "autosklearn", "regularization", "optuna-tpe"}
    deep = {"keras-random", "keras-hyperband", "keras-bayes"}
    assert set(runs["strategy"]) == tabular | deep
    assert (runs["status"] == "ok").all(), runs.loc[runs["status"] != "ok", "error"].tolist()
    assert runs["dataset"].nunique() >= 2 and runs["seed"].nunique() >= 2
    # problems pair data with models that take it; strategies run on the models they tune
    assert set(runs.loc[runs["strategy"].isin(deep), "model"]) == {"cnn", "lstm"}
    # strategies that choose their own model run once per dataset, named for what they search
    own = {"flaml": "automl", "autosklearn": "automl", "regularization": "linear"}
    searched = runs.loc[runs["strategy"].isin(tabular), ["strategy", "model"]]
    assert all(m == own.get(s, "random_forest") for s, m in searched.itertuples(index=False))
    assert runs["test_score"].notna().all() and runs["best_cv_score"].notna().all()
    table = proc.stdout.splitlines()
    for strategy in tabular | deep:
        rows = [line for line in table if f"  {strategy}  " in line]
        assert len(rows) == (3 if strategy in tabular else 2), strategy
        assert all("ok=2" in row for row in rows)


def test_version_prints_the_installed_version():
    from importlib.metadata import version

    proc = run_cli("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"harness {version('tuning-harness')}"
    assert harness.__version__ == version("tuning-harness")


def test_list_suites_shows_the_time_at_full_budget(monkeypatch, capsys):
    """runs x time_s / jobs, jobs = cores // n_jobs; the README quotes the nightly figure."""
    import os
    from pathlib import Path

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert main(["list", "suites"]) == 0
    out = capsys.readouterr().out
    # nightly: 600 runs x 45 s / 2 jobs = 13500 s; smoke: 72 x 40 / 2 = 1440 s
    assert " 600 " in out and "3 h 45 min (2 jobs)" in out and "24 min (2 jobs)" in out
    assert "~1 h" not in out
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "600 × 45 s ÷ 2 = **3 h 45 min**" in readme and "40 minutes" not in readme


def test_report_takes_a_suite_file_like_run(write_suite, tmp_path, capsys):
    from harness.synthetic_results import fill_store

    db = tmp_path / "r.db"
    fill_store(db, suite="my-suite", seeds=(0,), trials_per_run=3)
    fill_store(db, suite="other", seeds=(0,), trials_per_run=3)  # run last: the default
    write_suite("name: my-suite\nbudget: {time_s: 5}\ndatasets: [iris]\nmodels: [knn]\n"
                "strategies: [default]\n", name="my-suite.yaml")
    out = tmp_path / "reports"
    assert main(["report", "--suite", "my-suite.yaml", "--db", str(db), "--out", str(out),
                 "--no-learning-curves"]) == 0
    path = out / "my-suite" / "index.html"
    assert f"report: {path}" in capsys.readouterr().out
    assert "my-suite" in path.read_text() and not (out / "my-suite.yaml").exists()

    assert main(["report", "--suite", "missing.yaml", "--db", str(db)]) == 2
    assert "no suite named 'missing.yaml' and no such file" in capsys.readouterr().err


def test_load_results_of_an_unknown_suite_or_database_is_an_error(tmp_path):
    from harness.synthetic_results import fill_store

    db = tmp_path / "r.db"
    fill_store(db, suite="alpha", seeds=(0,), trials_per_run=2)
    fill_store(db, suite="beta", seeds=(0,), trials_per_run=2)
    with pytest.raises(harness.UserError,
                       match=r"no suite 'typo' in .*r\.db; stored suites: alpha, beta"):
        harness.load_results(db, suite="typo")
    runs, trials = harness.load_results(db, suite="beta")
    assert set(runs["suite"]) == {"beta"} and len(runs) == 2 and len(trials) == 4
    suite_file = tmp_path / "beta.yml"  # a suite file names the suite, as in run_suite
    suite_file.write_text("name: beta\n")
    assert len(harness.load_results(db, suite=suite_file).runs) == 2

    missing = tmp_path / "nowhere.db"
    with pytest.raises(harness.UserError, match=r"no results database at .*nowhere\.db"):
        harness.load_results(missing)
    assert not missing.exists()
    proc = run_cli("export", "--db", str(db), "--suite", "typo")
    assert proc.returncode == 2 and "stored suites: alpha, beta" in proc.stderr
