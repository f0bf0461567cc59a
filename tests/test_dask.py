"""Runs as tasks on a Dask cluster: ``local:N`` (workers in the harness process), or a
cluster of worker processes the test starts itself, as a real one would be."""

import dataclasses
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import dask
import psutil
import pytest
from conftest import default_sigint, process_alive, run_cli, stored_run_count
from distributed import LocalCluster

from harness.api import load_results, run_suite
from harness.config import load_suite
from harness.errors import ConfigError
from harness.execution.dask_executor import DaskExecutor
from harness.execution.learning_curve import NOT_REQUESTED
from harness.plan import plan_suite

SUITE = """
name: dask
cv: 3
seeds: {seeds}
budget: {{time_s: {time_s}, max_trials: 4}}
n_jobs: {n_jobs}
datasets: {datasets}
models: [logistic_regression]
strategies: {strategies}
"""


def suite_text(strategies="[default, random]", *, datasets="[iris, wine]", seeds=2,
               time_s=30, n_jobs=1):
    return SUITE.format(strategies=strategies, datasets=datasets, seeds=seeds, time_s=time_s,
                        n_jobs=n_jobs)


@pytest.fixture(autouse=True)
def _host_cache(monkeypatch, tmp_path):
    """Dask workers (started by the test, so they inherit it) cache splits under tmp_path."""
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "host-cache"))


@pytest.mark.slow
def test_local_cluster_gives_the_same_runs_as_the_local_executor(write_suite, tmp_path):
    path = write_suite(suite_text())
    local = run_suite(path, db=tmp_path / "local.db", jobs=2)
    dask = run_suite(path, db=tmp_path / "dask.db", scheduler="local:2", learning_curves=False)
    assert local.exit_code == 0 and dask.exit_code == 0
    assert len(dask.runs) == 8

    def by_key(outcome):
        return {r["key"]: r for r in outcome.runs}

    mine, theirs = by_key(local), by_key(dask)
    assert mine.keys() == theirs.keys()
    for key, run in theirs.items():
        assert run["status"] == "ok" and run["attempts"] == 1 and run["host"]
        for column in ("n_trials", "best_cv_score", "test_score", "best_params"):
            assert run[column] == mine[key][column], (run["strategy"], column)
        # the Dask workers honour learning_curves=False (and the keys stay the same)
        curve = mine[key]["details"]["learning_curve"]
        assert len(curve.get("sizes", [])) == 5 or curve["skipped"] == "not-best"
        assert run["details"]["learning_curve"]["note"] == NOT_REQUESTED
    trials = {db: load_results(tmp_path / db).trials for db in ("local.db", "dask.db")}
    assert len(trials["local.db"]) == len(trials["dask.db"]) == 20  # 2 x 2 x (1 + 4)
    with sqlite3.connect(tmp_path / "dask.db") as conn:
        machine = conn.execute("SELECT machine FROM suites").fetchone()[0]
    assert '"executor": "dask local:2"' in machine


@pytest.mark.slow
@pytest.mark.parametrize("allowed_failures", [3, 0], ids=["dask-reschedules", "killed-worker"])
def test_killed_dask_worker_loses_no_run_and_its_run_is_retried_once(write_suite, tmp_path,
                                                                    allowed_failures):
    """Dask reschedules a lost task itself (allowed-failures 3, its default), or reports
    KilledWorker at once (0) and the harness resubmits it: either way, one retry. (A
    cluster of worker processes, as `dask worker` starts them: local:N has none to lose.)"""
    pid_file = tmp_path / "pids"
    path = write_suite(suite_text(
        f"[{{name: 'plugin_strategies:SleepStrategy', seconds: 3, pid_file: '{pid_file}'}}]",
        datasets="[iris]", seeds=4))
    victims = []

    def kill_a_dask_worker():
        deadline = time.time() + 120
        while time.time() < deadline:
            if pid_file.exists() and pid_file.read_text().strip():
                # the run's worker process, its fork server, and the Dask worker process
                worker = psutil.Process(int(pid_file.read_text().split()[0]))
                for process in [worker, *worker.parents()]:
                    victims.append(process.pid)
                    if "spawn_main" in " ".join(process.cmdline()):  # a Dask worker process
                        os.kill(process.pid, signal.SIGKILL)
                        return
                raise AssertionError("no Dask worker process above the run's worker")
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_dask_worker)
    with (dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures}),
          LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                       resources={"cores": 1}, dashboard_address=None, memory_limit=0,
                       silence_logs=logging.ERROR) as cluster):
        killer.start()
        outcome = run_suite(path, db=tmp_path / "r.db", scheduler=cluster.scheduler_address)
    killer.join()
    assert len(victims) >= 2, "no run started"
    runs = load_results(tmp_path / "r.db").runs
    assert len(runs) == 4 and runs["key"].is_unique
    assert sorted(runs["seed"]) == [0, 1, 2, 3]
    assert (runs["status"] == "ok").all()
    assert sorted(runs["attempts"]) == [1, 1, 1, 2]
    assert outcome.exit_code == 0
    time.sleep(1.0)
    assert not any(process_alive(pid) for pid in victims)  # the orphaned run's worker killed itself
    retried = runs.loc[runs["attempts"] == 2, "id"].item()
    shown = run_cli("show", str(retried), "--db", str(tmp_path / "r.db"))
    assert "attempts: 2" in shown.stdout


@pytest.mark.slow
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs a worker with 2 cores")
def test_runs_on_dask_get_their_n_jobs_threads(write_suite, tmp_path):
    path = write_suite(suite_text("['plugin_strategies:EnvProbeStrategy', default]",
                                  datasets="[iris]", seeds=1, n_jobs=2))
    outcome = run_suite(path, db=tmp_path / "r.db", scheduler="local:1")
    assert [r["status"] for r in outcome.runs] == ["ok", "ok"]
    trials = load_results(tmp_path / "r.db").trials
    info = trials.loc[trials["info"].map(bool), "info"].item()
    assert info["OMP_NUM_THREADS"] == "2" and info["OPENBLAS_NUM_THREADS"] == "2"
    assert info["blas_threads"] == [2] and info["n_jobs"] == 2


@pytest.mark.slow
def test_different_data_on_the_workers_host_fails_the_run_loudly(write_suite, tmp_path):
    table = tmp_path / "data.csv"
    rows = [f"{i % 7},{(i * 3) % 11},{i % 2}" for i in range(60)]
    table.write_text("a,b,label\n" + "\n".join(rows) + "\n")
    path = write_suite(suite_text(
        "[default]", seeds=1, datasets="[{name: 'csv:data.csv', target: label}]"))
    suite = load_suite(path)
    (spec,) = plan_suite(suite, cache_dir=tmp_path / "cache")
    table.write_text(table.read_text().replace("0,0,0", "6,6,0"))  # the host's copy differs
    with DaskExecutor(scheduler="local:1", n_jobs=1, base_dir=suite.base_dir) as executor:
        (result,) = list(executor.run([spec]))
    assert result.status == "failed" and result.trials == []
    assert "dataset 'csv:data.csv' on host " in result.error
    assert spec.fingerprint in result.error and "refusing to mix results" in result.error
    other = result.error.split("has fingerprint ")[1].split(",")[0]
    assert other != spec.fingerprint
    assert dataclasses.replace(spec, fingerprint=other).key != spec.key


def test_bad_scheduler_or_executor_is_a_usage_error(write_suite, tmp_path):
    path = write_suite(suite_text())
    proc = run_cli("run", "--suite", str(path), "--scheduler", "localhost:8786")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--scheduler: bad scheduler address 'localhost:8786'" in proc.stderr
    assert "tcp://HOST:PORT" in proc.stderr and "local:N" in proc.stderr
    bad = write_suite(suite_text() + "executor: {kind: kubernetes}\n", name="bad.yaml")
    proc = run_cli("run", "--suite", str(bad))
    assert proc.returncode == 2
    assert "executor.kind: unknown executor 'kubernetes'; valid: local, dask" in proc.stderr
    bad.write_text(suite_text() + "executor: {kind: dask, scheduler: 'tcp://h:99999'}\n")
    proc = run_cli("run", "--suite", str(bad))
    assert proc.returncode == 2 and "executor.scheduler: port 99999" in proc.stderr


@pytest.mark.slow
def test_no_worker_with_enough_cores_is_a_clear_error(write_suite, tmp_path):
    path = write_suite(suite_text(n_jobs=(os.cpu_count() or 1) + 1))
    proc = run_cli("run", "--suite", str(path), "--scheduler", "local:1", "--db",
                   str(tmp_path / "r.db"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"has {(os.cpu_count() or 1) + 1} core(s) for a run" in proc.stderr
    assert "--resources cores=N" in proc.stderr


@pytest.mark.slow
def test_ctrl_c_cancels_the_dask_tasks_and_the_suite_resumes(write_suite, tmp_path):
    pid_file = tmp_path / "pids"
    path = write_suite(suite_text(
        f"[{{name: 'plugin_strategies:SleepStrategy', seconds: 1.5, pid_file: '{pid_file}'}}]",
        datasets="[iris]", seeds=4))
    db = tmp_path / "r.db"
    cmd = [sys.executable, "-m", "harness.cli", "run", "--suite", str(path), "--db", str(db),
           "--scheduler", "local:2", "--no-report"]
    harness = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, preexec_fn=default_sigint)
    deadline = time.time() + 120

    def started():
        return len(pid_file.read_text().splitlines()) if pid_file.exists() else 0

    while (not (stored_run_count(db) >= 1 and started() > stored_run_count(db))
           and time.time() < deadline):
        time.sleep(0.05)
    # local:2 runs its Dask workers in the harness process: its only child is the zygote
    # the runs are forked from, a fork of the harness (no worker interpreters, nannies or
    # per-worker zygotes)
    (zygote,) = psutil.Process(harness.pid).children()
    assert zygote.cmdline() == psutil.Process(harness.pid).cmdline()
    os.killpg(harness.pid, signal.SIGINT)  # as a terminal's Ctrl-C
    out, err = harness.communicate(timeout=60)
    assert harness.returncode == 130, err
    assert "interrupted; finished runs are stored" in err and "Traceback" not in err
    worker_pids = [int(line.split()[0]) for line in pid_file.read_text().splitlines()]
    time.sleep(1.0)
    assert [pid for pid in worker_pids if process_alive(pid)] == []
    stored = stored_run_count(db)
    assert 1 <= stored < 4
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM suites").fetchone()[0] == "interrupted"
    proc = run_cli("run", "--suite", str(path), "--db", str(db), "--scheduler", "local:2",
                   "--no-report")
    assert proc.returncode == 0, proc.stderr
    assert f"{4 - stored} run(s) executed, {stored} already stored" in proc.stdout
    runs = load_results(db).runs
    assert len(runs) == 4 and runs["key"].is_unique and (runs["status"] == "ok").all()


def test_suite_executor_field(write_suite):
    path = write_suite(suite_text() + "executor: {scheduler: 'tcp://10.0.0.5:8786'}\n")
    assert load_suite(path).executor.kind == "dask"
    assert load_suite(path).executor.scheduler == "tcp://10.0.0.5:8786"
    path.write_text(suite_text() + "executor: {kind: local}\n")
    assert load_suite(path).executor.kind == "local"
    path.write_text(suite_text() + "executor: {kind: dask}\n")
    with pytest.raises(ConfigError, match="executor.scheduler: the dask executor needs a "
                                          "scheduler: tcp://HOST:PORT"):
        load_suite(path)
    path.write_text(suite_text() + "executor: {kind: dask, scheduler: 'local:0'}\n")
    with pytest.raises(ConfigError, match=r"executor.scheduler: local:N needs N >= 1"):
        load_suite(path)
    local = write_suite(suite_text(), name="local.yaml")
    path.write_text(suite_text() + "executor: {kind: dask, scheduler: 'local:2'}\n")
    # where the runs execute is not part of the suite's configuration, nor of run keys
    assert load_suite(path).config_hash() == load_suite(local).config_hash()


@pytest.mark.slow
def test_worker_host_without_python39_skips_autosklearn_runs(write_suite, tmp_path,
                                                             monkeypatch):
    """On Dask the foreign environment is made on the worker's host, not the harness's,
    before the run's budget starts; without Python 3.9 there, the run is skipped with the
    fix, naming the host."""
    monkeypatch.setenv("HARNESS_ENV_DIR", str(tmp_path / "envs"))
    monkeypatch.setenv("HARNESS_PYTHON39", str(tmp_path / "no" / "python3.9"))
    path = write_suite(suite_text("[autosklearn, default]", datasets="[iris]", seeds=1))
    outcome = run_suite(path, db=tmp_path / "r.db", scheduler="local:1")
    runs = {r["strategy"]: r for r in outcome.runs}
    assert runs["default"]["status"] == "ok"
    skipped = runs["autosklearn"]
    assert skipped["status"] == "skipped" and skipped["error"].startswith("on host ")
    assert "needs a Python 3.9 interpreter" in skipped["error"]
    assert str(tmp_path / "no") in skipped["error"]
