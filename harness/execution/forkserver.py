"""A fork server: workers forked from a warm copy of the harness, skipping interpreter start-up.

A fresh ``python -m harness.execution.worker`` spends more than a second importing NumPy,
SciPy and scikit-learn before a run starts. The harness forks one *zygote* while it is
still single-threaded: ``harness run`` first thing (:func:`start_early`: the zygote imports
those modules on one core while the harness reads the suite on the other, and the suite's
datasets are prepared in a process forked from it, so the harness itself never imports
scikit-learn), ``run_suite`` otherwise right after it has planned the suite (with those
modules imported). For each run the zygote forks a worker that starts a session of its
own, so the harness can still kill the worker's whole process group (the zygote's side:
``zygote.py``). The zygote reaps each worker
(``wait4``) and reports its exit status and resource usage; the harness reads a run's
events only after that report, so a finished run is never lost to a race.

If the harness dies, the zygote sees its request pipe close and exits; each worker sees
its parent change and kills its own group.

A process that already runs threads (a Dask worker) must not fork itself: it starts the
zygote as a fresh interpreter instead (:meth:`ForkServer.start_fresh`), which imports what
workers need, says it is ready, and then forks them.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.execution.tree import die_with_parent
from harness.execution.zygote import serve

WARM_UP_S = 120.0  # how long a run waits for a warming zygote; then it starts an interpreter


@dataclass(frozen=True)
class ExitReport:
    """How a worker ended, as its parent saw it when reaping it."""

    returncode: int
    cpu_s: float
    maxrss_kb: int


class ForkServer:
    """Forks workers from a warm zygote; one per executor, started before any thread."""

    def __init__(self) -> None:
        self._pid = 0
        self._req_w = -1
        self._lock = threading.Lock()
        self._spawned: dict[int, threading.Event] = {}
        self._pids: dict[int, int] = {}
        self._exits: dict[int, ExitReport] = {}
        self._exited: dict[int, threading.Event] = {}
        self._next_id = 0
        self._reader: threading.Thread | None = None
        self._popen: subprocess.Popen[bytes] | None = None
        self._ready = threading.Event()
        self._gone = threading.Event()
        self.warmed = False  # warm() was sent

    @property
    def available(self) -> bool:
        """Whether it can fork workers now (a fresh zygote is not, while it warms up)."""
        return self._pid > 0 and self._ready.is_set()

    def wait_ready(self, timeout: float) -> bool:
        """Wait until a fresh zygote has warmed up; False if it is gone or too slow."""
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if self._gone.is_set() or time.monotonic() > deadline:
                return False
        return True

    def start(self, warm_up: Callable[[], None] | Sequence[Callable[[], None]] | None = None,
              *, warm_for: Callable[[Any], None] | None = None) -> None:
        """Fork the zygote. Call while the process has no threads of its own running.

        ``warm_up`` (a function, or stages: calls that have arrived are forked between
        them) runs in the zygote before it serves (imports its workers need, done once
        instead of in every worker, while this process goes on); until it is done the
        server is not :attr:`available` (see :meth:`wait_ready`). With ``warm_for``, the
        zygote is ready only once it has also run ``warm_for(suite)`` for what
        :meth:`warm` sends (a zygote started before the suite is read)."""
        stages = [] if warm_up is None else [warm_up] if callable(warm_up) else list(warm_up)
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        harness = os.getpid()
        pid = os.fork()
        if pid == 0:  # zygote
            try:
                die_with_parent(harness)
                os.close(req_w)
                os.close(rep_r)
                serve(req_r, rep_w, stages, warm_for=warm_for, ready_when_warm=warm_for is None)
            finally:
                os._exit(0)
        if not stages and warm_for is None:
            self._ready.set()
        self._started(pid, req_r, req_w, rep_r, rep_w)

    def warm(self, suite: dict[str, list[str]]) -> None:
        """Have a zygote started with ``warm_for`` warm up for ``suite`` (what its runs use,
        as JSON: ``{"models": [...], "strategies": [...]}``); it is ready once it has
        (requests are served in order)."""
        self._request({"warm": suite})
        self.warmed = True

    def start_call(self, target: str, kwargs: dict[str, Any], out: Path) -> int:
        """Run ``target`` (``module:function``) with ``kwargs`` in a process forked from the
        zygote, once it has warmed up; its JSON result goes to ``out``. Returns the request
        id for :meth:`call_result`."""
        return self._request({"call": target, "kwargs": kwargs, "out": str(out)},
                             numbered=True)

    def call_result(self, request_id: int, out: Path, start_within: float = WARM_UP_S) -> Any:
        """The result of :meth:`start_call`, waiting for it; None when the call failed
        (an exception, the zygote is gone, or it did not start the call within
        ``start_within`` seconds, still warming up): the caller does the work itself."""
        with self._lock:
            started, exited = self._spawned[request_id], self._exited[request_id]
        if not started.wait(start_within):
            return None
        exited.wait()
        report = self.poll(request_id)
        if report is None or report.returncode != 0 or not out.exists():
            return None
        return json.loads(out.read_text())

    def _request(self, data: dict[str, Any], *, numbered: bool = False) -> int:
        with self._lock:
            request_id = -1
            if numbered:
                request_id = self._next_id
                self._next_id += 1
                self._spawned[request_id] = threading.Event()
                self._exited[request_id] = threading.Event()
            line = json.dumps({**data, "id": request_id}) + "\n"
            try:
                os.write(self._req_w, line.encode())
            except OSError:  # the zygote is gone: a call reports failure, a warm-up nothing
                if numbered:
                    self._spawned[request_id].set()
                    self._exited[request_id].set()
        return request_id

    def start_fresh(self, env: dict[str, str], models: Sequence[str] = ()) -> None:
        """Start the zygote as a new interpreter (safe from a process with threads); it
        warms up with the estimators of ``models`` (model family names)."""
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        code = ("from harness.execution.zygote import serve_fresh; "
                f"serve_fresh({req_r}, {rep_w}, {json.dumps(list(models))!r})")
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            pass_fds=(req_r, rep_w), stdin=subprocess.DEVNULL, env=env)
        self._popen = proc
        self._started(proc.pid, req_r, req_w, rep_r, rep_w)

    def _started(self, pid: int, req_r: int, req_w: int, rep_r: int, rep_w: int) -> None:
        os.close(req_r)
        os.close(rep_w)
        self._pid, self._req_w = pid, req_w
        self._reader = threading.Thread(target=self._read_replies, args=(rep_r,),
                                        name="forkserver-replies", daemon=True)
        self._reader.start()

    def spawn(self, *, spec_path: Path, events_path: Path, log_path: Path, cwd: Path,
              env: dict[str, str]) -> tuple[int, int]:
        """Start a worker; returns (request id, worker pid)."""
        with self._lock:
            request_id = self._next_id
            self._next_id += 1
            ready = self._spawned[request_id] = threading.Event()
            self._exited[request_id] = threading.Event()
            line = json.dumps({"id": request_id, "spec": str(spec_path),
                               "events": str(events_path), "log": str(log_path),
                               "cwd": str(cwd), "env": env}) + "\n"
            os.write(self._req_w, line.encode())
        if not ready.wait(30) or request_id not in self._pids:
            raise RuntimeError("the fork server did not start a worker")
        return request_id, self._pids[request_id]

    def poll(self, request_id: int) -> ExitReport | None:
        """The worker's exit report once the zygote has reaped it, else None."""
        with self._lock:
            report = self._exits.pop(request_id, None)
            if report is not None:
                self._exited.pop(request_id, None)
            return report

    def wait_exit(self, request_id: int, timeout: float) -> ExitReport | None:
        """Like :meth:`poll`, but waits up to ``timeout`` seconds for the report (it returns
        the moment the zygote has reaped the worker)."""
        with self._lock:
            exited = self._exited.get(request_id)
        if exited is not None:
            exited.wait(timeout)
        else:
            time.sleep(timeout)
        return self.poll(request_id)

    def _read_replies(self, fd: int) -> None:
        with os.fdopen(fd, "r", encoding="utf-8") as replies:
            for line in replies:
                reply = json.loads(line)
                if reply.get("ready"):  # a fresh zygote has warmed up
                    self._ready.set()
                    continue
                request_id = reply["id"]
                with self._lock:
                    if "pid" in reply:
                        self._pids[request_id] = reply["pid"]
                        self._spawned[request_id].set()
                    elif request_id in self._exited:  # not reported yet (a call reports
                        self._exits[request_id] = ExitReport(  # its own end, then its reap)
                            reply["returncode"], reply["cpu_s"], reply["maxrss_kb"])
                        self._exited[request_id].set()
        with self._lock:  # zygote gone: nobody will answer the waiters
            for event in (*self._spawned.values(), *self._exited.values()):
                event.set()
        self._gone.set()

    def stop(self) -> None:
        """Close the request pipe (the zygote exits) and reap the zygote."""
        if self._pid <= 0:
            return
        os.close(self._req_w)
        if self._popen is not None:  # it may still be warming up: don't wait for that
            try:
                self._popen.wait(timeout=1)
            except subprocess.TimeoutExpired:  # its workers see it go and kill themselves
                self._popen.kill()
                self._popen.wait()
        else:
            if not self._ready.is_set():  # still warming up, no worker yet: don't wait
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self._pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._pid, 0)
        if self._reader is not None:  # it ends with the zygote: no thread left (a process
            self._reader.join(timeout=1)  # may fork again: a Dask suite's own zygote)
        self._pid = 0


def start_early() -> ForkServer:
    """A fork server started before the suite is read (call first thing, with no thread
    running): its zygote imports what every worker needs (scikit-learn, SciPy, pandas: a
    second or more) on one core while this process reads the suite and opens the store on
    the other; the suite's datasets can be prepared in a process forked from it
    (:meth:`ForkServer.start_call`: forked as soon as what planning imports is imported,
    while the zygote goes on warming up), and it is ready once :meth:`ForkServer.warm` has
    named the suite's models."""
    import numpy  # noqa: F401 - both processes import it: once, before the fork

    server = ForkServer()
    server.start(warm_up=[_planning_imports, _worker_imports], warm_for=_suite_imports)
    return server


def _planning_imports() -> None:
    import sklearn.datasets  # noqa: F401 - the shipped datasets
    import sklearn.model_selection  # noqa: F401 - the split

    import harness.datasets  # noqa: F401


def _worker_imports() -> None:
    from harness.execution.worker import warm_up

    warm_up()


def _suite_imports(suite: dict[str, list[str]]) -> None:
    """The estimators of the suite's models and its strategies' modules (as the harness
    imported them, planning, when it forked its zygote after planning)."""
    from harness.execution.worker import warm_estimators
    from harness.strategies import resolve_strategy

    warm_estimators(suite.get("models", []))
    for name in suite.get("strategies", []):
        with contextlib.suppress(KeyError, ImportError):  # planning says what is wrong
            resolve_strategy(name).cls  # noqa: B018 - imports its module (not its libraries)
