"""Run one RunSpec in its own worker process: budget, hard kill, resource accounting.

The worker is started directly (no shell) in a session of its own; at the hard limit, on
a memory overrun or on cancel, its whole process group is killed. The worker is reaped
(``wait4``) before its events are read, so a finished run is never lost to a race.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from harness.execution.events import read_events
from harness.execution.forkserver import ExitReport, ForkServer
from harness.records import RunResult, RunSpec, RunStatus

THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                   "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "LOKY_MAX_CPU_COUNT")
POLL_S = 0.1


def pinned_env(n_jobs: int) -> dict[str, str]:
    """This process's environment with BLAS/OpenMP/loky threads pinned to ``n_jobs``."""
    env = dict(os.environ)
    for var in THREAD_ENV_VARS:
        env[var] = str(n_jobs)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


class _TreeMonitor:
    """Samples the worker's process tree: peak total RSS and CPU seconds of every member."""

    def __init__(self, pid: int):
        try:
            self.root: psutil.Process | None = psutil.Process(pid)
        except psutil.Error:  # already gone
            self.root = None
        self.peak_rss = 0
        self.cpu: dict[int, float] = {}

    def sample(self) -> int:
        if self.root is None:
            return 0
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return 0
        rss = 0
        for proc in procs:
            try:
                with proc.oneshot():
                    rss += proc.memory_info().rss
                    times = proc.cpu_times()
                    self.cpu[proc.pid] = times.user + times.system + getattr(
                        times, "children_user", 0.0) + getattr(times, "children_system", 0.0)
            except psutil.Error:
                continue
        self.peak_rss = max(self.peak_rss, rss)
        return rss


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


class _Worker:
    """A started worker: its pid (= its process group) and how to learn it has ended."""

    def __init__(self, pid: int, poll: Callable[[], ExitReport | None]):
        self.pid = pid
        self.poll = poll

    def wait(self) -> ExitReport:
        while (report := self.poll()) is None:
            time.sleep(0.01)
        return report


def _start_worker(spec: RunSpec, spec_path: Path, events_path: Path, log_path: Path,
                  run_dir: Path, forkserver: ForkServer | None) -> _Worker:
    env = pinned_env(spec.n_jobs)
    if forkserver is not None and forkserver.available:
        try:
            request_id, pid = forkserver.spawn(spec_path=spec_path, events_path=events_path,
                                               log_path=log_path, cwd=run_dir, env=env)
        except (OSError, RuntimeError):
            pass  # the fork server is gone: start a fresh interpreter instead
        else:
            return _Worker(pid, lambda: forkserver.poll(request_id))
    import subprocess

    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "harness.execution.worker", str(spec_path), str(events_path)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
            cwd=run_dir, start_new_session=True,
        )

    def poll() -> ExitReport | None:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid != proc.pid:
            return None
        proc.returncode = os.waitstatus_to_exitcode(status)
        return ExitReport(proc.returncode, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)

    return _Worker(proc.pid, poll)


def run_in_process(spec: RunSpec, run_dir: Path, *, cancel: threading.Event | None = None,
                   forkserver: ForkServer | None = None) -> RunResult:
    """Run ``spec`` in a fresh worker process under its budget; never raises for the run's sake.

    The worker is forked from ``forkserver`` when one is given (no interpreter start-up),
    else started as ``python -m harness.execution.worker``; either way in a session of its
    own.

    Status: ``ok`` or ``failed`` as the worker reported, ``timeout`` when killed at
    ``hard_limit_s``, ``memout`` when over ``memory_mb``, ``interrupted`` on ``cancel``.
    """
    run_dir = run_dir.resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    events_path = run_dir / "events.jsonl"
    events_path.unlink(missing_ok=True)
    log_path = run_dir / "worker.log"
    started_at = time.time()
    payload = {**spec.to_dict(), "started_at": started_at}
    spec_path = run_dir / "spec.json"
    spec_path.write_text(json.dumps(payload))
    worker = _start_worker(spec, spec_path, events_path, log_path, run_dir, forkserver)
    monitor = _TreeMonitor(worker.pid)
    killed_as: RunStatus | None = None
    while (report := worker.poll()) is None:
        rss = monitor.sample()
        elapsed = time.time() - started_at
        if elapsed > spec.hard_limit_s:
            killed_as = RunStatus.TIMEOUT
        elif spec.memory_mb and rss > spec.memory_mb * 2**20:
            killed_as = RunStatus.MEMOUT
        elif cancel is not None and cancel.is_set():
            killed_as = RunStatus.INTERRUPTED
        if killed_as:
            _kill_group(worker.pid)
            report = worker.wait()  # reap before reading results
            break
        time.sleep(POLL_S)
    _kill_group(worker.pid)  # stragglers (e.g. loky workers) of a worker that has exited
    wall = time.time() - started_at
    result = RunResult(
        spec=spec, status=RunStatus.FAILED, started_at=started_at, finished_at=time.time(),
        wall_time_s=wall, cpu_time_s=max(report.cpu_s, sum(monitor.cpu.values())),
        peak_mem_mb=max(monitor.peak_rss, report.maxrss_kb * 1024) / 2**20,
    )
    _apply_events(result, read_events(events_path), killed_as, report.returncode, log_path)
    return result


def _apply_events(result: RunResult, events: list[dict[str, Any]],
                  killed_as: RunStatus | None,
                  returncode: int, log_path: Path) -> None:
    final = None
    for event in events:
        kind = event.pop("event", None)
        if kind == "trial":
            result.trials.append(event)
        elif kind == "start":
            result.host = event.get("host", "")
        elif kind == "result":
            final = event
    if final is not None:
        result.status = RunStatus(final["status"])
        result.best_params = final.get("best_params")
        result.best_cv_score = final.get("best_cv_score")
        result.test_score = final.get("test_score")
        result.details = final.get("details") or {}
        result.error = final.get("error")
        return
    if killed_as is not None:
        result.status = killed_as
        spec = result.spec
        reason = {
            RunStatus.TIMEOUT: f"killed at the hard limit of {spec.hard_limit_s:g} s "
            f"(budget {spec.time_s:g} s + grace)",
            RunStatus.MEMOUT: f"killed over the memory limit of {spec.memory_mb or 0:g} MB",
            RunStatus.INTERRUPTED: "cancelled by the harness",
        }[killed_as]
        result.error = f"{reason}; {len(result.trials)} trial(s) kept"
    else:
        tail = log_path.read_text(errors="replace")[-3000:] if log_path.exists() else ""
        result.error = (f"worker exited with code {returncode} without a result"
                        + (f"; its last output:\n{tail}" if tail else ""))
    best = max((t for t in result.trials if t.get("mean_cv_score") is not None),
               key=lambda t: t["mean_cv_score"], default=None)
    if best is not None:
        result.best_params = best["params"]
        result.best_cv_score = best["mean_cv_score"]
