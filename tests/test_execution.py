"""Runs in worker processes: budgets, kills, crashes, resume, thread pinning."""

import signal
import sqlite3
import subprocess
import sys
import time

import psutil
import pytest
from conftest import default_sigint, process_alive, run_cli, stored_run_count

from harness.api import load_results, run_suite

pytestmark = pytest.mark.slow

SUITE = """
name: exec
cv: 3
seeds: {seeds}
budget: {{time_s: {time_s}, grace_s: {grace_s}}}
n_jobs: {n_jobs}
datasets: [iris]
models: [knn]
strategies: {strategies}
"""


def suite_text(strategies, *, seeds=1, time_s=20, grace_s=2, n_jobs=1):
    return SUITE.format(strategies=strategies, seeds=seeds, time_s=time_s, grace_s=grace_s,
                        n_jobs=n_jobs)


def test_run_killed_at_budget_is_timeout_and_keeps_its_trials(write_suite, tmp_path):
    pid_file = tmp_path / "pids"
    path = write_suite(suite_text(
        f"[{{name: 'plugin_strategies:OverrunStrategy', n_trials: 3, pid_file: '{pid_file}'}}]",
        time_s=2, grace_s=1))
    started = time.time()
    outcome = run_suite(path, db=tmp_path / "r.db")
    took = time.time() - started
    (run,) = outcome.runs
    assert run["status"] == "timeout"
    assert "killed at the hard limit of 3 s" in run["error"] and "3 trial(s) kept" in run["error"]
    assert run["n_trials"] == 3
    assert took < 15
    assert 3.0 <= run["wall_time_s"] < 6
    # best-so-far of the kept trials is reported
    assert run["best_cv_score"] == pytest.approx(0.55)
    trials = load_results(tmp_path / "r.db").trials
    assert trials["number"].tolist() == [0, 1, 2]
    # the whole process group is gone: the worker and the child it started
    worker_pid, child_pid = map(int, pid_file.read_text().split())
    time.sleep(0.5)
    for pid in (worker_pid, child_pid):
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"
    assert outcome.exit_code == 1


def test_crashing_strategy_is_failed_and_the_suite_goes_on(write_suite, tmp_path):
    path = write_suite(suite_text(
        "['plugin_strategies:CrashStrategy', 'plugin_strategies:HardExitStrategy', default]"))
    proc = run_cli("run", "--suite", str(path), "--db", str(tmp_path / "r.db"), "--jobs", "2")
    assert proc.returncode == 1
    runs = load_results(tmp_path / "r.db").runs.set_index("strategy")
    crash = runs.loc["plugin_strategies:CrashStrategy"]
    assert crash["status"] == "failed"
    assert "RuntimeError: boom: this strategy always crashes" in crash["error"]
    assert crash["n_trials"] == 1
    hard = runs.loc["plugin_strategies:HardExitStrategy"]
    assert hard["status"] == "failed" and "worker exited with code 3" in hard["error"]
    assert runs.loc["default", "status"] == "ok"
    assert runs.loc["default", "test_score"] > 0.8
    assert "failed: iris/knn/plugin_strategies:CrashStrategy" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_threads_are_pinned_to_n_jobs(write_suite, tmp_path):
    path = write_suite(suite_text("['plugin_strategies:EnvProbeStrategy']", n_jobs=2))
    run_suite(path, db=tmp_path / "r.db")
    info = load_results(tmp_path / "r.db").trials.loc[0, "info"]
    assert info["OMP_NUM_THREADS"] == "2" and info["OPENBLAS_NUM_THREADS"] == "2"
    assert info["blas_threads"] == [2] and info["n_jobs"] == 2


def test_costs_are_recorded(write_suite, tmp_path):
    path = write_suite(suite_text("[{name: 'plugin_strategies:SleepStrategy', seconds: 1}, "
                                  "random]", time_s=4))
    outcome = run_suite(path, db=tmp_path / "r.db")
    runs = {r["strategy"]: r for r in outcome.runs}
    sleep, random = runs["plugin_strategies:SleepStrategy"], runs["random"]
    assert sleep["wall_time_s"] >= 1 and sleep["cpu_time_s"] < sleep["wall_time_s"]
    # a busy search's CPU seconds are recorded (not a fixed figure: other processes may
    # share the cores), many times those of a strategy that sleeps
    assert random["cpu_time_s"] > max(0.3, 5 * sleep["cpu_time_s"])
    assert random["peak_mem_mb"] > 50
    assert random["n_trials"] > 3 and random["test_score"] > 0.8
    assert random["details"]["search_s"] <= 4


def _overlaps(runs):
    spans = sorted((r["started_at"], r["finished_at"]) for r in runs)
    return any(b[0] < a[1] for a, b in zip(spans, spans[1:], strict=False))


def test_jobs_runs_that_many_at_a_time(write_suite, tmp_path):
    path = write_suite(suite_text("[{name: 'plugin_strategies:SleepStrategy', seconds: 1.5}]",
                                  seeds=4))
    one = run_suite(path, db=tmp_path / "one.db", jobs=1)
    two = run_suite(path, db=tmp_path / "two.db", jobs=2)
    assert not _overlaps(one.runs)
    assert _overlaps(two.runs)


@pytest.mark.parametrize("fork", [True, False], ids=["forked-workers", "fresh-interpreters"])
def test_resume_after_sigkill_has_no_duplicate_and_no_lost_run(write_suite, tmp_path, fork):
    pid_file = tmp_path / "pids"
    path = write_suite(suite_text(
        f"[{{name: 'plugin_strategies:SleepStrategy', seconds: 1.5, pid_file: '{pid_file}'}}]",
        seeds=6))
    db = tmp_path / "r.db"
    cmd = [sys.executable, "-m", "harness.cli", "run", "--suite", str(path), "--db", str(db),
           "--jobs", "1", "--quiet", *([] if fork else ["--no-fork"])]
    harness = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    def started():
        return len(pid_file.read_text().splitlines()) if pid_file.exists() else 0

    deadline = time.time() + 60
    while (not (stored_run_count(db) >= 2 and started() > stored_run_count(db))
           and time.time() < deadline):
        time.sleep(0.05)  # until a third run is inside its search
    harness.send_signal(signal.SIGKILL)
    harness.wait()
    stored_at_kill = stored_run_count(db)
    assert 2 <= stored_at_kill < 6 and started() == stored_at_kill + 1
    # the orphaned worker (and the fork server) notice the harness is gone and exit
    pids = {int(p) for line in pid_file.read_text().splitlines() for p in line.split()}
    pids.discard(harness.pid)
    assert len(pids) == stored_at_kill + 1 + (1 if fork else 0)
    time.sleep(1.5)
    assert [pid for pid in pids if process_alive(pid)] == []
    pid_file.unlink()

    proc = run_cli("run", "--suite", str(path), "--db", str(db), "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    assert f"{6 - stored_at_kill} run(s) executed, {stored_at_kill} already stored" in proc.stdout
    runs = load_results(db).runs
    assert len(runs) == 6 and runs["key"].is_unique and sorted(runs["seed"]) == list(range(6))
    assert (runs["status"] == "ok").all()
    trials = load_results(db).trials
    assert len(trials) == 6 and trials["run_id"].is_unique

    again = run_cli("run", "--suite", str(path), "--db", str(db))
    assert again.returncode == 0 and "0 run(s) executed, 6 already stored" in again.stdout


def test_run_over_its_memory_limit_is_memout(write_suite, tmp_path):
    text = suite_text("['plugin_strategies:MemoryHogStrategy', default]", time_s=30)
    path = write_suite(text.replace("grace_s: 2}", "grace_s: 2, memory_mb: 400}"))
    outcome = run_suite(path, db=tmp_path / "r.db")
    runs = {r["strategy"]: r for r in outcome.runs}
    hog = runs["plugin_strategies:MemoryHogStrategy"]
    assert hog["status"] == "memout" and hog["n_trials"] == 1
    assert "memory limit of 400 MB" in hog["error"]
    assert 400 <= hog["peak_mem_mb"] < 1500 and hog["wall_time_s"] < 20
    assert runs["default"]["status"] == "ok"


def test_ctrl_c_cancels_workers_and_resumes(write_suite, tmp_path):
    pid_file = tmp_path / "pids"
    path = write_suite(suite_text(
        f"[{{name: 'plugin_strategies:SleepStrategy', seconds: 1.5, pid_file: '{pid_file}'}}]",
        seeds=4))
    db = tmp_path / "r.db"
    cmd = [sys.executable, "-m", "harness.cli", "run", "--suite", str(path), "--db", str(db),
           "--jobs", "1"]
    harness = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=default_sigint)
    deadline = time.time() + 60
    while stored_run_count(db) < 1 and time.time() < deadline:
        time.sleep(0.05)
    while len(pid_file.read_text().splitlines()) < 2 and time.time() < deadline:
        time.sleep(0.05)
    harness.send_signal(signal.SIGINT)
    out, err = harness.communicate(timeout=30)
    assert harness.returncode == 130
    assert "interrupted; finished runs are stored" in err and "Traceback" not in err
    worker_pids = [int(line.split()[0]) for line in pid_file.read_text().splitlines()]
    time.sleep(0.5)
    assert [pid for pid in worker_pids if process_alive(pid)] == []
    stored = stored_run_count(db)
    assert stored == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM suites").fetchone()[0] == "interrupted"
    proc = run_cli("run", "--suite", str(path), "--db", str(db))
    assert proc.returncode == 0 and "3 run(s) executed, 1 already stored" in proc.stdout
