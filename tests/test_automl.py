"""AutoML strategies: FLAML in the main environment, auto-sklearn in its own Python 3.9 one."""

import time

import psutil
import pytest
from conftest import run_cli

import harness
from harness.execution.environments import describe_environments

pytestmark = pytest.mark.slow

SUITE = """
name: automl
cv: 3
seeds: [0]
budget: {{time_s: {time_s}, grace_s: {grace_s}{extra}}}
datasets: [{dataset}]
models: [random_forest]
strategies: {strategies}
"""


def suite(write_suite, strategies, *, time_s=40, grace_s=10, extra="", dataset="iris"):
    return write_suite(SUITE.format(strategies=strategies, time_s=time_s, grace_s=grace_s,
                                    extra=extra, dataset=dataset))


def test_flaml_run_streams_its_trials(write_suite, tmp_path):
    path = suite(write_suite, "[flaml]", time_s=8)
    (run,) = harness.run_suite(path, db=tmp_path / "r.db").runs
    trials = harness.load_results(tmp_path / "r.db").trials
    assert run["status"] == "ok" and run["test_score"] > 0.8
    assert run["n_trials"] == len(trials) >= 3
    assert run["details"]["n_models_tried"] == run["n_trials"]
    assert run["details"]["ensemble_size"] == 1
    assert set(trials["params"].map(lambda p: p["learner"])) <= {
        "lgbm", "rf", "xgboost", "extra_tree", "xgb_limitdepth", "lrl1", "sgd", "kneighbor"}
    assert run["best_cv_score"] == pytest.approx(trials["mean_cv_score"].max())
    assert run["best_params"]["learner"] in set(trials["params"].map(lambda p: p["learner"]))
    assert trials["elapsed_s"].is_monotonic_increasing and trials["elapsed_s"].max() < 8


def test_autosklearn_end_to_end(write_suite, tmp_path):
    path = suite(write_suite, "[autosklearn]", extra=", max_trials: 6", dataset="wine")
    outcome = harness.run_suite(path, db=tmp_path / "r.db")
    (run,) = outcome.runs
    assert run["status"] == "ok", run["error"]
    assert run["test_score"] > 0.8 and run["best_cv_score"] > 0.8
    details = run["details"]
    assert details["ensemble_size"] >= 1 and details["n_models_tried"] == run["n_trials"] >= 1
    assert details["sprint_statistics"]["runs"] >= 1 and details["leaderboard"]
    assert 30 <= details["time_left_s"] <= 40
    trials = harness.load_results(tmp_path / "r.db").trials
    assert trials["params"].map(lambda p: "classifier:__choice__" in p).all()
    assert (trials["elapsed_s"] < 40).all()
    assert run["wall_time_s"] < 50
    ready = {e["name"]: e for e in describe_environments()}["autosklearn"]
    assert ready["ready"] and ready["packages"]["auto-sklearn"] == "0.15.0"
    assert ready["packages"]["scikit-learn"].startswith("0.24")


def test_autosklearn_killed_at_its_budget_keeps_streamed_trials(write_suite, tmp_path):
    # time_left_s overrides the budget on purpose, so the hard kill at 36 + 1 s must stop it
    path = suite(write_suite, "[{name: autosklearn, time_left_s: 90}]", time_s=36, grace_s=1)
    started = time.time()
    (run,) = harness.run_suite(path, db=tmp_path / "r.db").runs
    assert run["status"] == "timeout" and time.time() - started < 60
    assert run["n_trials"] >= 1 and "trial(s) kept" in run["error"]
    time.sleep(1)
    leftovers = [p for p in psutil.process_iter(["cmdline"])
                 if "autosklearn_worker.py" in " ".join(p.info["cmdline"] or [])
                 and str(tmp_path) in " ".join(p.info["cmdline"] or [])
                 and p.status() != psutil.STATUS_ZOMBIE]
    assert leftovers == []


@pytest.mark.parametrize("how", ["wrong-variable", "nothing-found"])
def test_autosklearn_is_skipped_without_python39(write_suite, tmp_path, monkeypatch, how):
    monkeypatch.setenv("HARNESS_ENV_DIR", str(tmp_path / "envs"))  # no environment yet
    if how == "wrong-variable":
        monkeypatch.setenv("HARNESS_PYTHON39", str(tmp_path / "no" / "python3.9"))
    else:
        monkeypatch.delenv("HARNESS_PYTHON39", raising=False)
        monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "empty-pyenv"))
        monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    path = suite(write_suite, "[autosklearn, default]", time_s=10)
    proc = run_cli("run", "--suite", str(path), "--db", "r.db", "--no-learning-curves")
    assert proc.returncode == 0, proc.stderr
    runs = harness.load_results(tmp_path / "r.db").runs.set_index("strategy")
    skipped = runs.loc["autosklearn"]
    assert skipped["status"] == "skipped" and skipped["n_trials"] == 0
    assert "needs a Python 3.9 interpreter and none was found" in skipped["error"]
    assert "HARNESS_PYTHON39=/path/to/python3.9" in skipped["error"]
    if how == "wrong-variable":
        assert str(tmp_path / "no" / "python3.9") in skipped["error"]
    else:
        assert "empty-pyenv/versions/3.9.*/bin/python" in skipped["error"]
    assert runs.loc["default", "status"] == "ok"
    report = (tmp_path / "reports" / "automl" / "index.html").read_text()
    assert "needs a Python 3.9 interpreter" in report  # listed under Failures
    setup = run_cli("env", "setup", "autosklearn")
    assert setup.returncode == 1 and "Python 3.9" in setup.stderr
