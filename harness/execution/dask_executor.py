"""Dask executor: each run is a task on a dask.distributed cluster.

``tcp://HOST:PORT`` (or ``tls://``) connects to a running scheduler; ``local:N`` starts a
LocalCluster of N workers inside the harness process (threads: each run already executes in
a worker process of its own, forked from one zygote that the harness forks before it
plans, so the cluster starts no interpreter). A run asks for ``n_jobs`` of a worker's
``cores`` resource, so it is placed only where that many cores are free. The task
(:mod:`harness.execution.dask_task`) runs the same worker process as the local executor
and sends the result back; only the harness writes the store.

Faults: a run whose Dask worker dies is run once more elsewhere (Dask reschedules it, or
the harness resubmits it after a ``KilledWorker``) and stored with ``attempts = 2``.
``cancel`` (Ctrl-C) sets a cluster-wide event that makes the running tasks kill their
worker processes, and cancels the tasks that have not started.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from harness.errors import UserError
from harness.execution.dask_task import (
    CANCEL_POLL_S,
    FORKSERVER_PLUGIN,
    IN_PROCESS,
    MAX_ATTEMPTS,
    ForkServerPlugin,
    InProcessSession,
    cancel_event_name,
    import_data_modules,
    run_task,
)
from harness.execution.forkserver import ForkServer
from harness.execution.worker import warm_up
from harness.records import RunResult, RunSpec, RunStatus

WORKER_HINT = "dask worker {address} --nthreads N --resources cores=N"
# the in-process cluster shares the harness's interpreter with the runs' monitoring: no
# stack sampling of its task threads (for a dashboard it has not), and the event loop's
# health and the machine's load measured every few seconds, not every 20 and 500 ms
# (together 7% of a core while runs go on, 1% with these)
QUIET_IN_PROCESS = {"distributed.worker.profile.enabled": False,
                    "distributed.admin.system-monitor.interval": "5s",
                    "distributed.admin.tick.interval": "1s"}


class DaskExecutor:
    """Runs specs as Dask tasks; yields each result as its run ends. Use as a context manager
    (it connects on enter, see :meth:`ready`, and closes the client, and a LocalCluster it
    started, on exit)."""

    def __init__(self, *, scheduler: str, n_jobs: int, base_dir: Path, jobs: int | None = None,
                 keep_run_dirs: bool = False, fork_workers: bool = True,
                 connect_timeout_s: float = 30.0, models: Sequence[str] = ()):
        self.scheduler = scheduler
        self.where = f"dask {scheduler}"
        self.n_jobs = max(1, n_jobs)
        self.base_dir = base_dir.resolve()
        self.max_outstanding = jobs
        self.keep_run_dirs = keep_run_dirs
        self.fork_workers = fork_workers
        self.connect_timeout_s = connect_timeout_s
        self.models = list(models)  # the suite's models: the workers' zygotes import them
        self.jobs = 1  # runs the cluster can hold at once; known once connected
        self.session = uuid.uuid4().hex[:12]
        self._client: Any = None
        self._cluster: Any = None
        self._futures: dict[Any, tuple[RunSpec, int]] = {}
        self._cancelled = False
        self._connecting: threading.Thread | None = None
        self._connect_error: BaseException | None = None

    def __enter__(self) -> DaskExecutor:
        """Start connecting in the background (a LocalCluster starts while the suite is
        planned); :meth:`ready` waits for it. For ``local:N``, first fork the zygote of its
        runs (while this process has no threads of its own), which warms up meanwhile."""
        if self.scheduler.startswith("local:"):
            self._start_in_process_session()
        self._connecting = threading.Thread(target=self._connect_in_background,
                                            name="dask-connect", daemon=True)
        self._connecting.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._connecting is not None:
            self._connecting.join()
        self.close()

    def _start_in_process_session(self) -> None:
        forkserver = None
        if self.fork_workers and hasattr(os, "fork"):
            # planning imports these anyway: first, so that the zygote inherits them
            # instead of importing scikit-learn a second time while the suite is planned
            import_data_modules()
            forkserver = ForkServer()
            names = list(self.models)
            forkserver.start(warm_up=lambda: warm_up(names))
        IN_PROCESS[self.session] = InProcessSession(forkserver)

    def _connect_in_background(self) -> None:
        try:
            self.connect()
        except BaseException as exc:  # noqa: BLE001 - re-raised by ready() in the caller
            self._connect_error = exc

    def ready(self) -> DaskExecutor:
        """Wait until connected; raises what connecting raised (a UserError, say)."""
        if self._connecting is not None:
            self._connecting.join()
        if self._connect_error is not None:
            raise self._connect_error
        return self

    def connect(self) -> None:
        """Start or reach the cluster and check that some worker can hold a run."""
        from distributed import Client

        if self.scheduler.startswith("local:"):
            n_workers = int(self.scheduler.partition(":")[2])
            self._cluster = _local_cluster(n_workers)
            self._client = Client(self._cluster)
            expected = n_workers
        else:
            try:
                self._client = Client(self.scheduler, timeout=self.connect_timeout_s)
            except (OSError, TimeoutError) as exc:
                raise UserError(f"cannot reach the Dask scheduler at "
                                f"{self.scheduler} ({exc}); start one with `dask scheduler` "
                                "on that host") from None
            expected = 1
        try:
            self.jobs = self._slots(expected)
            if self.fork_workers and self._cluster is None:  # a zygote per remote worker
                self._client.register_plugin(ForkServerPlugin(self.models),
                                             name=FORKSERVER_PLUGIN)
        except BaseException:
            self.close()
            raise

    def _slots(self, expected_workers: int) -> int:
        try:
            self._client.wait_for_workers(expected_workers, timeout=self.connect_timeout_s)
        except TimeoutError:
            raise UserError(
                f"no Dask worker joined the scheduler at {self.scheduler} within "
                f"{self.connect_timeout_s:g} s; start workers with "
                f"`{WORKER_HINT.format(address=self.scheduler)}`") from None
        workers = self._client.scheduler_info(n_workers=-1)["workers"]
        cores = sorted(int((w.get("resources") or {}).get("cores", 0))
                       for w in workers.values())
        slots = sum(c // self.n_jobs for c in cores)
        if slots == 0:
            raise UserError(
                f"no Dask worker at {self.scheduler} has {self.n_jobs} core(s) for a run "
                f"(the suite's n_jobs); the workers offer cores={cores}. Start workers with "
                f"`{WORKER_HINT.format(address=self.scheduler)}` (N >= {self.n_jobs})")
        return slots

    def run(self, specs: Sequence[RunSpec], *,
            claim: Callable[[RunSpec], bool] | None = None) -> Iterator[RunResult]:
        """Yield each spec's result as its run ends (not in spec order); ``claim`` is asked
        before a spec is submitted, and a spec it refuses is left out."""
        from distributed import as_completed

        self.ready()
        pending = list(specs)
        limit = self.max_outstanding or len(pending) or 1
        finished = as_completed()
        try:
            while pending or self._futures:
                while pending and len(self._futures) < limit and not self._cancelled:
                    spec = pending.pop(0)
                    if claim is None or claim(spec):
                        finished.add(self._submit(spec, attempt=1))
                if not self._futures:
                    break
                future = next(finished)
                spec, attempt = self._futures.pop(future)
                result = self._collect(future, spec, attempt)
                if result is None:  # its worker was lost: once more, elsewhere
                    finished.add(self._submit(spec, attempt=attempt + 1))
                    continue
                yield result
        finally:
            if self._futures:
                self.cancel()

    def _submit(self, spec: RunSpec, *, attempt: int) -> Any:
        future = self._client.submit(
            run_task, spec.to_dict(), base_dir=str(self.base_dir), session=self.session,
            keep_run_dir=self.keep_run_dirs, key=f"harness-run-{spec.key}-{self.session}-"
                                                 f"{attempt}",
            pure=False, resources={"cores": spec.n_jobs})
        self._futures[future] = (spec, attempt)
        return future

    def _collect(self, future: Any, spec: RunSpec, attempt: int) -> RunResult | None:
        """The run's result; None when it should be resubmitted (its worker died)."""
        from distributed import KilledWorker

        if future.status == "finished":
            return RunResult.from_dict(future.result(), spec)
        if future.status == "cancelled" or self._cancelled:
            return RunResult(spec=spec, status=RunStatus.INTERRUPTED, attempts=attempt)
        exc = future.exception()
        if isinstance(exc, KilledWorker) and attempt < MAX_ATTEMPTS:
            return None
        now = time.time()
        return RunResult(spec=spec, status=RunStatus.FAILED, attempts=attempt, started_at=now,
                         finished_at=now,
                         error=f"the Dask task of this run failed: {type(exc).__name__}: {exc}")

    def cancel(self) -> None:
        """Kill the running runs' workers and drop the tasks that have not started."""
        self._cancelled = True
        local = IN_PROCESS.get(self.session)
        if local is not None:
            local.cancel.set()
        if self._client is None:
            return
        from distributed import Event

        with contextlib.suppress(Exception):  # a cluster already gone has nothing to cancel
            Event(cancel_event_name(self.session), client=self._client).set()
            self._client.cancel(list(self._futures))

    def call(self, target: str, kwargs: dict[str, Any]) -> Any:
        """None: the cluster's hosts run runs only; the harness does other work itself."""
        return None

    def close(self) -> None:
        """Close the client, and the LocalCluster if this executor started one."""
        if self._cancelled and self._cluster is None:
            time.sleep(2 * CANCEL_POLL_S)  # let remote tasks see the cancel event
        if self._client is not None and self.fork_workers and self._cluster is None:
            with contextlib.suppress(Exception):  # stop the zygotes on a lasting cluster
                self._client.unregister_worker_plugin(FORKSERVER_PLUGIN)
        for closable in (self._client, self._cluster):
            if closable is not None:
                with contextlib.suppress(Exception):
                    closable.close()
        self._client = self._cluster = None
        local = IN_PROCESS.pop(self.session, None)
        if local is not None and local.forkserver is not None:
            local.forkserver.stop()


def _local_cluster(n_workers: int) -> Any:
    """N workers in this process (their threads only wait on the runs' worker processes),
    sharing this machine's cores; the scheduler's HTTP server on loopback, no dashboard."""
    import dask
    from distributed import LocalCluster

    cores = max(1, (os.cpu_count() or 1) // n_workers)
    with dask.config.set(QUIET_IN_PROCESS):
        return LocalCluster(n_workers=n_workers, threads_per_worker=cores, processes=False,
                            resources={"cores": cores}, dashboard_address=None,
                            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                            memory_limit=0, silence_logs=logging.ERROR)
