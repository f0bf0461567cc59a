"""The fork server started before the suite is read: calls forked between its warm-up
stages, readiness once told the suite's models, and planning that gives the same runs (or
the same error) whether the datasets were prepared in a process forked from it or not."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from harness.config import load_suite
from harness.datasets import prepare_for_plan
from harness.errors import DatasetError
from harness.execution.forkserver import ForkServer
from harness.plan import plan_suite


def test_a_call_is_forked_between_warm_up_stages_and_a_failed_one_says_none(tmp_path):
    server = ForkServer()
    # the calls arrive during the 1st stage; the 2nd would take a minute
    server.start(warm_up=[lambda: time.sleep(1), lambda: time.sleep(60)])
    try:
        started = time.monotonic()
        good = server.start_call("json:dumps", {"obj": [1, 2]}, tmp_path / "good.json")
        bad = server.start_call("json:loads", {"s": "not json"}, tmp_path / "bad.json")
        assert server.call_result(good, tmp_path / "good.json") == "[1, 2]"
        assert server.call_result(bad, tmp_path / "bad.json") is None  # the caller does it
        assert time.monotonic() - started < 30  # served while the zygote still warms up
        assert not server.available
    finally:
        server.stop()


def test_a_call_the_zygote_does_not_start_in_time_is_left_to_the_caller(tmp_path):
    server = ForkServer()
    server.start(warm_up=lambda: time.sleep(60))  # a zygote stuck warming up
    try:
        request = server.start_call("json:dumps", {"obj": 1}, tmp_path / "out.json")
        assert server.call_result(request, tmp_path / "out.json", start_within=1.0) is None
    finally:
        server.stop()


def test_a_zygote_started_before_the_suite_is_ready_once_told_its_models(tmp_path):
    told = tmp_path / "models.json"
    server = ForkServer()
    server.start(warm_up=lambda: None, warm_for=lambda suite: told.write_text(
        json.dumps(suite)))
    try:
        assert not server.wait_ready(1.0)  # warm, but not yet for the suite's models
        server.warm({"models": ["svc", "random_forest"], "strategies": ["grid"]})
        assert server.wait_ready(30)
        assert json.loads(told.read_text()) == {"models": ["svc", "random_forest"],
                                                "strategies": ["grid"]}
    finally:
        server.stop()


def _prepared(suite, cache_dir):
    return prepare_for_plan([[e.ref, e.options] for e in suite.datasets],
                            base_dir=str(suite.base_dir.resolve()), test_size=suite.test_size,
                            cache_dir=str(cache_dir.resolve()), cv=suite.cv)


def test_datasets_prepared_elsewhere_plan_the_same_runs_and_raise_the_same_error(
        write_suite, tmp_path):
    (tmp_path / "data.csv").write_text("a,y\n" + "".join(f"{(i * 7) % 11 / 3:.3f},{i % 2}\n"
                                                          for i in range(40)))
    good = load_suite(write_suite("""
        name: prepared
        seeds: 2
        budget: {time_s: 10}
        datasets: [iris, {name: "csv:data.csv", target: y}]
        models: [logistic_regression]
        strategies: [default]
    """))
    cache = tmp_path / "cache"
    prepared = _prepared(good, cache)
    here = plan_suite(good, cache_dir=cache)
    assert [p[0] for p in prepared] == [here[0].fingerprint, here[2].fingerprint]
    assert plan_suite(good, cache_dir=cache, prepared=prepared) == here
    assert len(here) == 4 and len({s.key for s in here}) == 4
    bad = load_suite(write_suite("""
        name: prepared
        budget: {time_s: 10}
        datasets: [iris, {name: "csv:data.csv", target: label}]
        models: [logistic_regression]
        strategies: [default]
    """, name="bad.yaml"))
    prepared = _prepared(bad, cache)
    assert prepared[0] is not None and prepared[1] is None  # that one is done here again
    with pytest.raises(DatasetError) as local:
        plan_suite(bad, cache_dir=cache)
    with pytest.raises(DatasetError) as elsewhere:
        plan_suite(bad, cache_dir=cache, prepared=prepared)
    assert str(elsewhere.value) == str(local.value)
    assert "datasets[1]" in str(local.value) and "target column 'label'" in str(local.value)


def _run_in_fresh_interpreter(suite, *args: str) -> str:
    """``harness run`` through ``harness.cli.main`` in a fresh interpreter: its last line
    says the exit code and which of scikit-learn, SciPy and pandas it imported."""
    code = ("import sys\nfrom harness.cli import main\n"
            f"code = main(['run', '--suite', {str(suite)!r}, '--db', 'r.db', '--quiet', "
            f"'--no-learning-curves', *{list(args)!r}])\n"
            "print(code, sorted(m for m in ('sklearn', 'scipy', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_harness_run_leaves_scikit_learn_to_its_zygote(write_suite, tmp_path):
    suite = write_suite("""
        name: early
        cv: 3
        budget: {time_s: 30}
        datasets: [iris]
        models: [logistic_regression]
        strategies: [default]
    """)
    out = _run_in_fresh_interpreter(suite, "--no-report")
    assert out.splitlines()[-1] == "0 []"
    assert "iris" in out and "ok=1" in out


def test_the_importance_is_fitted_in_a_fork_of_the_zygote_when_the_runs_end(write_suite,
                                                                           tmp_path):
    """The harness stores it; the report (which imports pandas) reads it; neither process
    imports scikit-learn."""
    suite = write_suite("""
        name: early
        cv: 3
        budget: {time_s: 30, max_trials: 12}
        datasets: [iris]
        models: [logistic_regression]
        strategies: [random]
    """)
    out = _run_in_fresh_interpreter(suite, "--out", str(tmp_path / "reports"))
    assert out.splitlines()[-1] == "0 ['pandas']"
    from harness.store import ResultStore

    with ResultStore(tmp_path / "r.db", create=False) as store:
        (problem, (_, stored)), = store.importances(suite="early", round="").items()
    assert problem == "iris / logistic_regression" and stored["n_trials"] == 12
    assert stored["note"] is None and stored["importances"]  # fitted: 12 scored trials
    html = (tmp_path / "reports" / "early" / "index.html").read_text()
    assert "12 trials; surrogate R² on them" in html
