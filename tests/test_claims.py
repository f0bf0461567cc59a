"""Claims on one database, suite records of processes that are gone, and a night in which
every run was skipped (two and three harnesses on one database, and SIGTERM, are in
test_faults.py)."""

import sqlite3
import subprocess
import sys
import time

import pytest
from conftest import process_alive, run_cli

from harness.claims import ClaimBook, Owner
from harness.store import ResultStore

pytestmark = pytest.mark.slow

SHORT_RUNS = """
name: shared
cv: 2
seeds: 6
budget: {time_s: 3, max_trials: 2, grace_s: 2}
datasets: [iris, wine]
models: [knn]
strategies: [default, random]
"""


def _harness(db, suite, *extra):
    return subprocess.Popen([sys.executable, "-m", "harness", "run", "--suite", str(suite),
                             "--db", str(db), "--quiet", "--no-report", "--jobs", "1", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_claim_whose_process_is_gone_is_taken_over(tmp_path):
    with ResultStore(tmp_path / "c.db") as store:
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        dead = ClaimBook(store, owner=Owner(pid=gone.pid))
        alive = ClaimBook(store)
        assert dead.claim("k1", done_statuses=["ok"], stored_since=time.time())
        assert alive.claim("k1", done_statuses=["ok"], stored_since=time.time())
        # a live owner on this host keeps its claim; a remote one until its heartbeat is stale
        other = ClaimBook(store)
        assert not other.claim("k1", done_statuses=["ok"], stored_since=time.time())
        remote = ClaimBook(store, owner=Owner(host="elsewhere"), stale_s=60)
        assert remote.claim("k2", done_statuses=["ok"], stored_since=time.time())
        assert not alive.claim("k2", done_statuses=["ok"], stored_since=time.time())
        store.connection.execute("UPDATE claims SET heartbeat=heartbeat-120 WHERE key='k2'")
        assert alive.claim("k2", done_statuses=["ok"], stored_since=time.time())


def test_two_databases_in_one_folder_do_not_share_run_folders(write_suite, tmp_path):
    suite = write_suite(SHORT_RUNS.replace("seeds: 6", "seeds: 2"))
    procs = [_harness(tmp_path / f"db{i}.db", suite) for i in range(2)]
    for proc in procs:
        out, err = proc.communicate(timeout=400)
        assert proc.returncode == 0, out + err
    for i in range(2):
        with sqlite3.connect(tmp_path / f"db{i}.db") as conn:
            assert conn.execute("SELECT count(*) FROM runs WHERE status='ok'").fetchone()[0] == 8


LONG_RUNS = SHORT_RUNS.replace("time_s: 3, max_trials: 2", "time_s: 30")


def test_a_running_suite_record_of_a_killed_harness_is_marked_interrupted(write_suite,
                                                                          tmp_path):
    suite = write_suite(LONG_RUNS)
    db = tmp_path / "k.db"
    proc = _harness(db, suite)
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.5)
        try:
            with sqlite3.connect(db) as conn:
                if conn.execute("SELECT count(*) FROM claims").fetchone()[0]:
                    break
        except sqlite3.Error:
            continue
    proc.kill()
    proc.wait()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM suites").fetchall() == [("running",)]
    assert not process_alive(proc.pid)
    proc = run_cli("run", "--suite", str(suite), "--db", str(db), "--quiet", "--no-report",
                   "--only", "seed=0", "--only", "dataset=iris", "--only", "strategy=default")
    with sqlite3.connect(db) as conn:
        statuses = [s for (s,) in conn.execute("SELECT status FROM suites ORDER BY id")]
    assert statuses == ["interrupted", "finished"], proc.stderr


def test_a_night_in_which_every_run_was_skipped_fails(write_suite, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    suite = write_suite("""
        name: nothing
        seeds: 1
        budget: {time_s: 10}
        datasets: [cifar10]
        models: [cnn]
        strategies: [keras-random]
        """)
    proc = run_cli("run", "--suite", str(suite), "--db", str(tmp_path / "n.db"), "--quiet",
                   "--no-report")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "every run was skipped" in proc.stderr
    assert "is not in keras's cache folder" in proc.stderr
    assert "Traceback" not in proc.stderr
