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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from harness.execution.events import read_events
from harness.plan import RunSpec

THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                   "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "LOKY_MAX_CPU_COUNT")
POLL_S = 0.1


@dataclass
class RunResult:
    """The outcome of one run as the harness stores it."""

    spec: RunSpec
    status: str
    trials: list[dict[str, Any]] = field(default_factory=list)
    best_params: dict[str, Any] | None = None
    best_cv_score: float | None = None
    test_score: float | None = None
    wall_time_s: float = 0.0
    cpu_time_s: float = 0.0
    peak_mem_mb: float = 0.0
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    host: str = ""
    started_at: float = 0.0
    finished_at: float = 0.0
    attempts: int = 1


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
        self.root = psutil.Process(pid)
        self.peak_rss = 0
        self.cpu: dict[int, float] = {}

    def sample(self) -> int:
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


def run_in_process(spec: RunSpec, run_dir: Path, *, cancel: threading.Event | None = None
                   ) -> RunResult:
    """Run ``spec`` in a fresh worker process under its budget; never raises for the run's sake.

    Status: ``ok`` or ``failed`` as the worker reported, ``timeout`` when killed at
    ``hard_limit_s``, ``memout`` when over ``memory_mb``, ``cancelled`` on ``cancel``.
    """
    run_dir = run_dir.resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    events_path = run_dir / "events.jsonl"
    events_path.unlink(missing_ok=True)
    log_path = run_dir / "worker.log"
    started_at = time.time()
    payload = {**spec.to_dict(), "started_at": started_at, "parent_pid": os.getpid()}
    spec_path = run_dir / "spec.json"
    spec_path.write_text(json.dumps(payload))
    import subprocess

    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "harness.execution.worker", str(spec_path), str(events_path)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=pinned_env(spec.n_jobs), cwd=run_dir, start_new_session=True,
        )
    pgid = proc.pid  # session leader: its pid is the group id
    monitor = _TreeMonitor(proc.pid)
    killed_as: str | None = None
    exit_status, usage = 0, None
    while True:
        pid, exit_status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        rss = monitor.sample()
        elapsed = time.time() - started_at
        if elapsed > spec.hard_limit_s:
            killed_as = "timeout"
        elif spec.memory_mb and rss > spec.memory_mb * 2**20:
            killed_as = "memout"
        elif cancel is not None and cancel.is_set():
            killed_as = "cancelled"
        if killed_as:
            _kill_group(pgid)
            _, exit_status, usage = os.wait4(proc.pid, 0)  # reap before reading results
            break
        time.sleep(POLL_S)
    proc.returncode = os.waitstatus_to_exitcode(exit_status)
    _kill_group(pgid)  # stragglers (e.g. loky workers) of a worker that has exited
    wall = time.time() - started_at
    own_cpu = (usage.ru_utime + usage.ru_stime) if usage else 0.0
    result = RunResult(
        spec=spec, status="failed", started_at=started_at, finished_at=time.time(),
        wall_time_s=wall, cpu_time_s=max(own_cpu, sum(monitor.cpu.values())),
        peak_mem_mb=max(monitor.peak_rss, (usage.ru_maxrss * 1024) if usage else 0) / 2**20,
    )
    _apply_events(result, read_events(events_path), killed_as, proc.returncode, log_path)
    return result


def _apply_events(result: RunResult, events: list[dict[str, Any]], killed_as: str | None,
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
        result.status = final["status"]
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
            "timeout": f"killed at the hard limit of {spec.hard_limit_s:g} s "
            f"(budget {spec.time_s:g} s + grace)",
            "memout": f"killed over the memory limit of {spec.memory_mb or 0:g} MB",
            "cancelled": "cancelled by the harness",
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
