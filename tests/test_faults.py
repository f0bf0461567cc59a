"""The fault-injection suite: every fault a hostile user found, driven through the CLI.

After each fault: the status and error text stored, every run stored exactly once, no
process of the test left alive (found by an environment tag the test sets), the database
passes ``PRAGMA integrity_check``, and the report renders.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import psutil
import pytest
from conftest import TESTS_DIR, default_sigint

pytestmark = pytest.mark.slow

TIME_S, GRACE_S = 3, 1
HARD_LIMIT_S = TIME_S + GRACE_S
SUITE = """
name: faults
cv: 3
seeds: {seeds}
budget: {{time_s: {time_s}, grace_s: {grace_s}, memory_mb: 400{cap}}}
datasets: [iris]
models: [knn]
strategies: {strategies}
"""

GIL_SPIN_C = "void spin(void) { volatile unsigned long i = 0; for (;;) { i++; } }\n"


def _tagged_processes(tag: str) -> list[psutil.Process]:
    """Live processes whose environment carries the test's tag (zombies count as gone)."""
    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if proc.pid == os.getpid() or proc.status() == psutil.STATUS_ZOMBIE:
                continue
            if proc.environ().get("HARNESS_FAULT_TAG") == tag:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def _wait_until_gone(tag: str, timeout: float = 2.0) -> list[psutil.Process]:
    deadline = time.time() + timeout
    while (left := _tagged_processes(tag)) and time.time() < deadline:
        time.sleep(0.1)
    return left


_TAGS: list[str] = []


@pytest.fixture(autouse=True, scope="module")
def _no_process_outlives_the_module():
    """Whatever a failing test left behind is killed (a test's own check fails first)."""
    yield
    for tag in _TAGS:
        for proc in _tagged_processes(tag):
            with contextlib.suppress(psutil.Error):
                proc.kill()


class Harness:
    """Starts ``harness`` processes with a tag in their environment, in one folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.tag = uuid.uuid4().hex
        _TAGS.append(self.tag)
        self.db = folder / "faults.db"
        self.env = {**os.environ, "HARNESS_FAULT_TAG": self.tag,
                    "PYTHONPATH": os.pathsep.join(
                        filter(None, [str(TESTS_DIR), os.environ.get("PYTHONPATH")]))}

    def suite(self, strategies: str, *, seeds: int = 1, time_s: float = TIME_S,
              grace_s: float = GRACE_S, max_trials: int | None = None) -> Path:
        path = self.folder / "faults.yaml"
        cap = f", max_trials: {max_trials}" if max_trials else ""
        path.write_text(textwrap.dedent(SUITE.format(strategies=strategies, seeds=seeds,
                                                     time_s=time_s, grace_s=grace_s, cap=cap)))
        return path

    def start(self, suite: Path, *extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "harness", "run", "--suite", str(suite), "--db",
             str(self.db), "--quiet", "--out", str(self.folder / "reports"), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env,
            cwd=self.folder, preexec_fn=default_sigint)

    def run(self, suite: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        proc = self.start(suite, *extra)
        out, err = proc.communicate(timeout=600)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def runs(self) -> dict[str, dict[str, object]]:
        with sqlite3.connect(self.db) as conn:
            conn.row_factory = sqlite3.Row
            rows = [dict(r) for r in conn.execute("SELECT * FROM runs")]
        return {str(r["strategy"]).split(":")[-1] + f"/{r['seed']}": r for r in rows}

    def check_invariants(self, planned: int) -> None:
        """Each run stored once, nothing of the test alive, the database intact, and the
        report renders."""
        left = _wait_until_gone(self.tag)
        assert not left, f"still alive: {[p.cmdline() for p in left]}"
        with sqlite3.connect(self.db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            keys = [k for (k,) in conn.execute("SELECT key FROM runs")]
        assert len(keys) == len(set(keys)) == planned
        report = subprocess.run(
            [sys.executable, "-m", "harness", "report", "--db", str(self.db), "--out",
             str(self.folder / "reports")], capture_output=True, text=True, env=self.env,
            cwd=self.folder, timeout=300)
        assert report.returncode == 0, report.stderr
        assert (self.folder / "reports" / "faults" / "index.html").exists()


@pytest.fixture(scope="module")
def gil_library(tmp_path_factory) -> str | None:
    """A tiny C function that spins forever, compiled with the system compiler."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None
    folder = tmp_path_factory.mktemp("gil")
    (folder / "spin.c").write_text(GIL_SPIN_C)
    library = folder / "libspin.so"
    proc = subprocess.run([compiler, "-shared", "-fPIC", "-O0", "-o", str(library),
                           str(folder / "spin.c")], capture_output=True, text=True)
    return str(library) if proc.returncode == 0 else None


WORKER_FAULTS = {
    # strategy: (status, what the error says)
    "Raise": ("failed", ["ValueError: planted failure"]),
    "Abort": ("failed", ["SIGABRT", "about to abort"]),
    "Segfault": ("failed", ["SIGSEGV", "about to read address 0"]),
    "PythonHang": ("timeout", ["killed at the hard limit"]),
    "BlockingHang": ("timeout", ["killed at the hard limit"]),
    "GilLoop": ("timeout", ["killed at the hard limit"]),
    "Children": ("timeout", ["killed at the hard limit"]),
    "SetsidGrandchild": ("timeout", ["killed at the hard limit"]),
    "MemoryHog": ("memout", ["memory limit of 400 MB"]),
    "NanTrials": ("ok", []),
    "HostileText": ("ok", []),
}


@pytest.fixture(scope="module")
def worker_faults(tmp_path_factory, gil_library):
    """One suite in which every worker fault happens once (two runs at a time)."""
    folder = tmp_path_factory.mktemp("worker-faults")
    harness = Harness(folder)
    pid_file = folder / "pids"
    entries = []
    for name in WORKER_FAULTS:
        if name == "GilLoop" and gil_library is None:
            continue
        options = {"pid_file": str(pid_file)} if name not in ("NanTrials", "HostileText") \
            else {}
        if name == "GilLoop":
            options["library"] = gil_library
        text = ", ".join(f"{k}: '{v}'" for k, v in options.items())
        entries.append(f"{{name: 'fault_strategies:{name}'{', ' + text if text else ''}}}")
    started = time.time()
    proc = harness.run(harness.suite("[" + ", ".join(entries) + "]"), "--jobs", "2")
    return harness, proc, time.time() - started, pid_file, len(entries)


@pytest.mark.parametrize("fault", list(WORKER_FAULTS))
def test_worker_fault_is_recorded_and_leaves_nothing(worker_faults, fault, gil_library):
    if fault == "GilLoop" and gil_library is None:
        pytest.skip("no C compiler here to build the GIL-holding loop")
    harness, proc, _, _, _ = worker_faults
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    run = harness.runs()[f"{fault}/0"]
    status, phrases = WORKER_FAULTS[fault]
    assert run["status"] == status, run["error"]
    for phrase in phrases:
        assert phrase in (run["error"] or ""), run["error"]
    if status == "timeout":
        assert run["wall_time_s"] < HARD_LIMIT_S + 1.0
    if status in ("failed", "timeout") and fault != "Raise":
        assert run["n_trials"] == 1  # what the worker recorded before the fault is kept
    if fault == "Raise":
        assert run["best_cv_score"] == pytest.approx(0.6)  # kept from its trial
    if fault == "NanTrials":
        assert run["test_score"] is not None and run["best_cv_score"] is None
        assert run["n_trials"] == 3
    if fault == "HostileText":
        assert run["n_trials"] == 4


def test_worker_faults_leave_no_process_and_a_sound_store(worker_faults):
    harness, _, _, pid_file, planned = worker_faults
    harness.check_invariants(planned)
    for line in pid_file.read_text().split("\n"):
        for pid in map(int, line.split()):
            assert not psutil.pid_exists(pid) or \
                psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


SHORT = "[default, random]"
SHORT_BUDGET = {"time_s": 4.0, "grace_s": 6.0, "max_trials": 3}  # room for a loaded machine


def _wait_for_stored_runs(db: Path, count: int, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with sqlite3.connect(db) as conn:
                if conn.execute("SELECT count(*) FROM runs").fetchone()[0] >= count:
                    return
        except sqlite3.Error:
            pass
        time.sleep(0.2)
    raise AssertionError(f"fewer than {count} run(s) stored after {timeout} s")


@pytest.mark.parametrize("mode", ["fork", "no-fork"])
def test_kill_9_of_the_harness_leaves_no_worker_and_resumes(tmp_path, mode):
    harness = Harness(tmp_path)
    suite = harness.suite(SHORT, seeds=4, **SHORT_BUDGET)
    extra = ["--no-report", "--jobs", "2"] + (["--no-fork"] if mode == "no-fork" else [])
    proc = harness.start(suite, *extra)
    _wait_for_stored_runs(harness.db, 1)
    proc.kill()
    proc.wait()
    left = _wait_until_gone(harness.tag, timeout=2.0)
    assert not left, f"alive 2 s after kill -9 of the harness: {[p.cmdline() for p in left]}"
    again = harness.run(suite)
    assert again.returncode == 0, again.stderr
    harness.check_invariants(planned=8)
    assert {r["status"] for r in harness.runs().values()} == {"ok"}


def test_kill_9_of_a_no_fork_harness_ends_a_gil_holding_worker(tmp_path, gil_library):
    if gil_library is None:
        pytest.skip("no C compiler here to build the GIL-holding loop")
    harness = Harness(tmp_path)
    suite = harness.suite(f"[{{name: 'fault_strategies:GilLoop', library: '{gil_library}', "
                          f"pid_file: '{tmp_path / 'pids'}'}}]", time_s=60, grace_s=5)
    proc = harness.start(suite, "--no-fork", "--no-report")
    deadline = time.time() + 60
    while not (tmp_path / "pids").exists() and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # the worker is inside the C loop now
    proc.kill()
    proc.wait()
    left = _wait_until_gone(harness.tag, timeout=2.0)
    assert not left, f"alive 2 s after kill -9 of the harness: {[p.cmdline() for p in left]}"


@pytest.mark.parametrize("harnesses", [2, 3])
def test_harnesses_sharing_one_database_store_each_run_once(tmp_path, harnesses):
    harness = Harness(tmp_path)
    suite = harness.suite(SHORT, seeds=2 * harnesses, **SHORT_BUDGET)
    procs = [harness.start(suite, "--no-report", "--jobs", "1") for _ in range(harnesses)]
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, out + err
        assert "error" not in err.lower() and "Traceback" not in err, err
    harness.check_invariants(planned=4 * harnesses)
    assert {r["status"] for r in harness.runs().values()} == {"ok"}


def test_sigterm_cancels_marks_interrupted_and_resumes(tmp_path):
    harness = Harness(tmp_path)
    suite = harness.suite(SHORT, seeds=4, **SHORT_BUDGET)
    proc = harness.start(suite, "--no-report", "--jobs", "1")
    _wait_for_stored_runs(harness.db, 1)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and "terminated (SIGTERM)" in err, out + err
    assert not _wait_until_gone(harness.tag)
    with sqlite3.connect(harness.db) as conn:
        assert conn.execute("SELECT status FROM suites").fetchall() == [("interrupted",)]
    again = harness.run(suite)
    assert again.returncode == 0, again.stderr
    harness.check_invariants(planned=8)
