"""Local executor: N runs at a time on this machine, each in its own worker process."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from harness.execution.forkserver import WARM_UP_S, ForkServer
from harness.execution.learning_curve import BestSoFar
from harness.execution.process import run_in_process
from harness.execution.worker import warm_up
from harness.records import RunResult, RunSpec


def default_jobs(n_jobs: int) -> int:
    """Runs at a time so that runs x n_jobs fills this machine's cores."""
    return max(1, (os.cpu_count() or 1) // max(1, n_jobs))


class LocalExecutor:
    """Runs specs ``jobs`` at a time; yields each result as soon as its run ends."""

    where = "local"

    def __init__(self, *, jobs: int, work_dir: Path, keep_run_dirs: bool = False,
                 fork_workers: bool = True, forkserver: ForkServer | None = None):
        """``forkserver``: one started before this executor (``forkserver.start_early``),
        used for its first runs; it is stopped with the executor."""
        self.jobs = max(1, jobs)
        self.work_dir = work_dir
        self.keep_run_dirs = keep_run_dirs
        self.fork_workers = fork_workers and hasattr(os, "fork")
        self._cancel = threading.Event()
        self._forkserver: ForkServer | None = None
        self._early = forkserver
        self._curves = BestSoFar()  # only runs that may be their problem's best get a curve

    def start_forkserver(self, models: Sequence[str]) -> None:
        """Fork the zygote, which imports what the workers of ``models`` need (once, not in
        every worker) while this process goes on. Call while this process has no threads
        of its own running (after planning: the zygote inherits scikit-learn, which
        planning imported; forked before, it imports it a second time, which measured
        0.9 s more CPU and 2 s more wall time for a one-run suite on a loaded machine).
        A fork server given to the executor (started before planning, by a process that
        leaves scikit-learn to its zygote) is used instead."""
        if self.fork_workers and self._forkserver is None and self._early is not None:
            self._forkserver, self._early = self._early, None
            if not self._forkserver.warmed:
                self._forkserver.warm({"models": list(models)})
        elif self.fork_workers and self._forkserver is None:
            self._forkserver = ForkServer()
            names = list(models)
            self._forkserver.start(warm_up=lambda: warm_up(names))

    def run(self, specs: Sequence[RunSpec], *,
            claim: Callable[[RunSpec], bool] | None = None) -> Iterator[RunResult]:
        """Yield each spec's result as its run ends (not in spec order). ``claim`` is asked
        just before a spec would start; a spec it refuses (another harness process runs it)
        is left out."""
        self._cancel.clear()  # a new round of runs (a harness may run several)
        if specs:  # before the pool's threads exist
            self.start_forkserver([s.model for s in specs])
        try:
            yield from self._run_pool(list(specs), claim)
        except BaseException:  # the runs stop here (Ctrl-C, an error): so does the zygote
            self.close()
            raise

    def call(self, target: str, kwargs: dict[str, Any]) -> Any:
        """``target`` (``module:function``) called with ``kwargs`` in a process forked from
        the zygote, after the runs (what it imported, scikit-learn, is not imported here):
        its JSON result; None without a zygote (``--no-fork``) or when the call failed (the
        caller then does the work itself)."""
        if self._forkserver is None:
            return None
        with tempfile.TemporaryDirectory(prefix="harness-call-") as scratch:
            out = Path(scratch) / "result.json"
            return self._forkserver.call_result(
                self._forkserver.start_call(target, kwargs, out), out)

    def close(self) -> None:
        """Stop the fork server, if one is running (the runs and calls are over)."""
        if self._early is not None:
            self._early.stop()
            self._early = None
        if self._forkserver is not None:
            self._forkserver.stop()
            self._forkserver = None

    def _run_pool(self, pending: list[RunSpec], claim: Callable[[RunSpec], bool] | None
                  ) -> Iterator[RunResult]:
        running: dict[Future[RunResult], RunSpec] = {}
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="run") as pool:
            try:
                while pending or running:
                    while pending and len(running) < self.jobs and not self._cancel.is_set():
                        spec = pending.pop(0)
                        if claim is None or claim(spec):
                            running[pool.submit(self._run_one, spec)] = spec
                    if not running:
                        break
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        running.pop(future)
                        yield future.result()
            finally:
                self.cancel()

    def _run_one(self, spec: RunSpec) -> RunResult:
        # a folder per attempt: never shared with another process, database or retry
        run_dir = self.work_dir / f"{spec.key}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        if self._forkserver is not None:  # each run's budget starts with a warm zygote
            self._forkserver.wait_ready(WARM_UP_S)
        result = run_in_process(spec, run_dir, cancel=self._cancel, forkserver=self._forkserver,
                                wants_curve=self._curves.wants_curve)
        if not self.keep_run_dirs:
            shutil.rmtree(run_dir, ignore_errors=True)
        return result

    def cancel(self) -> None:
        """Kill every running worker (their process groups) and start no more."""
        self._cancel.set()
