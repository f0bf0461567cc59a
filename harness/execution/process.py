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

from harness.execution import budget_levels, learning_curve
from harness.execution.events import read_events
from harness.execution.forkserver import ExitReport, ForkServer
from harness.execution.tree import TreeMonitor
from harness.plain import JsonLinesFollower
from harness.records import RunResult, RunSpec, RunStatus

CurveGate = Callable[[RunSpec, dict[str, Any]], bool]
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


class _Worker:
    """A started worker: its pid (= its process group) and how to learn it has ended."""

    def __init__(self, pid: int, poll: Callable[[], ExitReport | None],
                 wait_exit: Callable[[float], ExitReport | None] | None = None):
        self.pid = pid
        self.poll = poll
        self._wait_exit = wait_exit

    def wait_exit(self, timeout: float) -> ExitReport | None:
        """The exit report, waiting up to ``timeout`` s for it (returns as soon as it is
        known where the fork server tells; a started interpreter is polled after it)."""
        if self._wait_exit is not None:
            return self._wait_exit(timeout)
        time.sleep(timeout)
        return self.poll()

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
            return _Worker(pid, lambda: forkserver.poll(request_id),
                           lambda timeout: forkserver.wait_exit(request_id, timeout))
    import subprocess

    env["HARNESS_PARENT_PID"] = str(os.getpid())  # the worker dies with this process
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
                   forkserver: ForkServer | None = None,
                   wants_curve: CurveGate | None = None) -> RunResult:
    """Run ``spec`` in a fresh worker process under its budget; never raises for the run's sake.

    The worker is forked from ``forkserver`` when one is given (no interpreter start-up),
    else started as ``python -m harness.execution.worker``; either way in a session of its
    own.

    Status: ``ok`` or ``failed`` as the worker reported, ``timeout`` when killed at
    ``hard_limit_s``, ``memout`` when over ``memory_mb``, ``interrupted`` on ``cancel``.
    Wall time, CPU time and peak memory end with the worker's ``result`` event: what the
    worker does after it (the budget levels' test scores, the learning curve) is not charged
    to the run, and a kill in that phase (past their allowance, over the memory limit, on
    cancel) keeps the run's result, with a note on what is missing. ``wants_curve(spec,
    result event)`` False stops the worker once it has sent its budget levels, instead of
    letting it compute the curve.
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
    watch = _Supervisor(spec, worker.pid, events_path, started_at, cancel, wants_curve)
    while (report := worker.poll()) is None:
        if watch.check():
            watch.monitor.kill_all(group=worker.pid)
            report = worker.wait()  # reap before reading results
            break
        if (report := worker.wait_exit(POLL_S)) is not None:
            break
    # stragglers: loky workers of a worker that has exited, or processes that left its
    # process group (a new session) -- every descendant ever seen goes
    watch.monitor.kill_all(group=worker.pid)
    result = RunResult(spec=spec, status=RunStatus.FAILED, started_at=started_at)
    watch.charge(result, report)
    _apply_events(result, read_events(events_path), watch.killed_as, report.returncode,
                  log_path)
    return result


class _Supervisor:
    """Watches a running worker: its process tree's memory and CPU, its limits, and the
    moment its ``result`` event arrives (after which only the post-result limit holds)."""

    def __init__(self, spec: RunSpec, pid: int, events_path: Path, started_at: float,
                 cancel: threading.Event | None, wants_curve: CurveGate | None):
        self.spec, self.started_at, self.cancel = spec, started_at, cancel
        self.wants_curve = wants_curve
        self.monitor = TreeMonitor(pid)
        self.results = _ResultWatch(events_path)
        self.killed_as: str | None = None
        self.result_seen_at: float | None = None
        self.usage_at_result = (0.0, 0)  # (CPU s, peak RSS) of the tree before the result
        self.stop_after_levels = False  # not its problem's best: no curve, levels still

    def check(self) -> bool:
        """Sample the worker once; True when it must be killed (``killed_as`` says why)."""
        if self.result_seen_at is None and (final := self.results.check()) is not None:
            # the last sample was taken before the worker wrote its result
            self.result_seen_at = time.time()
            self.usage_at_result = (sum(self.monitor.cpu.values()), self.monitor.peak_rss)
            if self.wants_curve is not None and final.get("status") == RunStatus.OK \
                    and not self.wants_curve(self.spec, final):
                self.stop_after_levels = True
        if self.stop_after_levels:
            final = self.results.check() or {}
            if self.results.levels_seen or not final.get("levels_follow"):
                self.killed_as = "not-best"
                return True
        rss = self.monitor.sample()
        if self.result_seen_at is None:
            over_time = time.time() - self.started_at > self.spec.hard_limit_s
        else:
            over_time = time.time() - self.result_seen_at > post_result_limit_s(self.spec)
        if over_time:
            self.killed_as = RunStatus.TIMEOUT
        elif self.spec.memory_mb and rss > self.spec.memory_mb * 2**20:
            self.killed_as = RunStatus.MEMOUT
        elif self.cancel is not None and self.cancel.is_set():
            self.killed_as = RunStatus.INTERRUPTED
        return self.killed_as is not None

    def charge(self, result: RunResult, report: ExitReport) -> None:
        """Set the run's wall time, CPU time and peak memory (up to its result event)."""
        final = self.results.check()
        if final is None:
            now = time.time()
            result.wall_time_s, result.finished_at = now - self.started_at, now
            result.cpu_time_s = max(report.cpu_s, sum(self.monitor.cpu.values()))
            peak = max(self.monitor.peak_rss, report.maxrss_kb * 1024)
        else:
            finished = min(max(float(final.get("finished_at") or 0), self.started_at),
                           time.time())
            result.wall_time_s, result.finished_at = finished - self.started_at, finished
            cpu, rss = self.usage_at_result if self.result_seen_at is not None \
                else (sum(self.monitor.cpu.values()), self.monitor.peak_rss)  # ended at once
            result.cpu_time_s = max(float(final.get("cpu_s") or 0), cpu)
            peak = max(rss, int(final.get("maxrss_kb") or 0) * 1024)
        result.peak_mem_mb = peak / 2**20


def post_result_limit_s(spec: RunSpec) -> float:
    """How long a worker may go on after its result event (the allowance its budget levels
    and learning curve share, plus a grace) before the harness kills it."""
    return learning_curve.allowance_s(spec.time_s) + learning_curve.GRACE_S


class _ResultWatch:
    """Notices the worker's ``result`` event, and then its ``budget_levels`` event, while the
    worker still runs (new bytes only)."""

    def __init__(self, path: Path):
        self.lines = JsonLinesFollower(path)
        self.event: dict[str, Any] | None = None
        self.levels_seen = False

    def check(self) -> dict[str, Any] | None:
        """The result event, once the worker has written it."""
        if self.levels_seen:
            return self.event
        for line in self.lines.read_new_lines():  # trial lines are not parsed
            if line.startswith(b'{"event": "result"'):
                with contextlib.suppress(json.JSONDecodeError):
                    self.event = json.loads(line)
            elif line.startswith(b'{"event": "budget_levels"'):
                self.levels_seen = True
        return self.event


def _abandoned(spec: RunSpec, killed_as: str) -> dict[str, str]:
    """The stored ``learning_curve`` of an ok run whose worker was killed after its result."""
    if killed_as == "not-best":
        return {"skipped": "not-best", "note": "not computed: when this run ended, another "
                "run of this problem had a better CV score"}
    return {"skipped": "abandoned", "note": "the learning curve was abandoned: " + {
        RunStatus.TIMEOUT: f"it ran {post_result_limit_s(spec):g} s, past its allowance of "
                   f"{learning_curve.allowance_s(spec.time_s):g} s",
        RunStatus.MEMOUT: f"the worker went over the memory limit of {spec.memory_mb or 0:g} MB",
        RunStatus.INTERRUPTED: "the harness cancelled the worker",
    }[killed_as]}


def _apply_events(result: RunResult, events: list[dict[str, Any]], killed_as: str | None,
                  returncode: int, log_path: Path) -> None:
    final = curve = None
    levels = budget_levels.unmeasured()
    for event in events:
        kind = event.pop("event", None)
        if kind == "trial":
            result.trials.append(event)
        elif kind == "start":
            result.host = event.get("host", "")
        elif kind == "result":
            final = event
        elif kind == "budget_levels":
            levels = event
        elif kind == "learning_curve":
            curve = event
    if final is not None:
        result.status = RunStatus(final["status"])
        result.best_params = final.get("best_params")
        result.best_cv_score = final.get("best_cv_score")
        result.test_score = final.get("test_score")
        result.details = final.get("details") or {}
        result.error = final.get("error")
        if result.status == RunStatus.OK:
            result.details["test_score_at"] = levels["test_score_at"]
            result.details["level_notes"] = levels["level_notes"]
        if curve is None and killed_as is not None and result.status == RunStatus.OK:
            curve = _abandoned(result.spec, killed_as)
        if curve is not None:
            result.details["learning_curve"] = curve
    elif killed_as is not None:
        result.status = RunStatus(killed_as)
        result.error = f"{_kill_reason(result.spec, result.status)}; " \
                       f"{len(result.trials)} trial(s) kept"
    else:
        result.error = worker_death_message(returncode, log_path)
    if result.status != RunStatus.OK and result.best_cv_score is None:
        _best_of_trials(result)  # what the search saw before it failed or was killed


def _kill_reason(spec: RunSpec, status: RunStatus) -> str:
    return {
        RunStatus.TIMEOUT: f"killed at the hard limit of {spec.hard_limit_s:g} s "
                           f"(budget {spec.time_s:g} s + grace)",
        RunStatus.MEMOUT: f"killed over the memory limit of {spec.memory_mb or 0:g} MB",
        RunStatus.INTERRUPTED: "cancelled by the harness",
    }[status]


def worker_death_message(returncode: int, log_path: Path | None) -> str:
    """Why a worker ended without a result, for a user: the signal that ended it by name
    (SIGSEGV, SIGABRT, SIGKILL from the kernel's out-of-memory killer...) and the last lines
    it wrote."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        cause = _SIGNAL_CAUSES.get(name, "")
        what = f"the worker was killed by {name}" + (f" ({cause})" if cause else "")
    else:
        what = f"the worker exited with code {returncode}"
    tail = ""
    if log_path is not None and log_path.exists():
        lines = log_path.read_text(errors="replace").strip().splitlines()
        tail = "\n".join(lines[-20:])[-3000:]
    return f"{what} without a result" + (f"; its last output:\n{tail}" if tail else "")


_SIGNAL_CAUSES = {
    "SIGSEGV": "a segmentation fault: a library it called read memory it may not",
    "SIGABRT": "it aborted, usually a failed assertion in a compiled library",
    "SIGBUS": "a bus error in a compiled library",
    "SIGFPE": "an arithmetic error in a compiled library",
    "SIGILL": "an illegal instruction: a library built for another CPU",
    "SIGKILL": "not by the harness: most likely the kernel's out-of-memory killer; see "
               "`dmesg` or lower budget.memory_mb",
}


def _best_of_trials(result: RunResult) -> None:
    best = max((t for t in result.trials if t.get("mean_cv_score") is not None),
               key=lambda t: t["mean_cv_score"], default=None)
    if best is not None:
        result.best_params = best["params"]
        result.best_cv_score = best["mean_cv_score"]
