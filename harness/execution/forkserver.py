"""A fork server: workers forked from a warm copy of the harness, skipping interpreter start-up.

A fresh ``python -m harness.execution.worker`` spends more than a second importing NumPy,
SciPy and scikit-learn before a run starts. The harness forks one *zygote* right after it
has planned the suite (while it is still single-threaded, with those modules imported);
for each run the zygote forks a worker that starts a session of its own, so the harness
can still kill the worker's whole process group. The zygote reaps each worker
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
import gc
import json
import os
import select
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

WARM_UP_S = 120.0  # how long a run waits for a warming zygote; then it starts an interpreter
REAP_POLL_S = 0.01  # how soon the zygote notices that a worker has exited (a run's end)


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

    def start(self, warm_up: Callable[[], None] | None = None) -> None:
        """Fork the zygote. Call while the process has no threads of its own running.

        ``warm_up`` runs in the zygote before it serves (imports its workers need, done once
        instead of in every worker, while this process goes on); until it is done the
        server is not :attr:`available` (see :meth:`wait_ready`)."""
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        harness = os.getpid()
        pid = os.fork()
        if pid == 0:  # zygote
            try:
                die_with_parent(harness)
                os.close(req_w)
                os.close(rep_r)
                if warm_up is not None:
                    with contextlib.suppress(Exception):  # a worker will say what failed
                        warm_up()
                    _reply(rep_w, {"ready": True})
                _zygote_loop(req_r, rep_w)
            finally:
                os._exit(0)
        if warm_up is None:
            self._ready.set()
        self._started(pid, req_r, req_w, rep_r, rep_w)

    def start_fresh(self, env: dict[str, str], models: Sequence[str] = ()) -> None:
        """Start the zygote as a new interpreter (safe from a process with threads); it
        warms up with the estimators of ``models`` (model family names)."""
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        code = ("from harness.execution.forkserver import serve_fresh; "
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
                    else:
                        self._exits[request_id] = ExitReport(
                            reply["returncode"], reply["cpu_s"], reply["maxrss_kb"])
                        if request_id in self._exited:
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
        self._pid = 0


def _zygote_loop(req_fd: int, rep_fd: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the harness's to handle
    # Everything imported so far moves to the collector's permanent generation: a worker's
    # collections then never walk (and so copy, page by page) the heap it shares with us.
    gc.freeze()
    children: dict[int, int] = {}  # pid -> request id
    buffer = b""
    while True:
        readable, _, _ = select.select([req_fd], [], [], REAP_POLL_S)
        if readable:
            chunk = os.read(req_fd, 65536)
            if not chunk:  # the harness closed the pipe: it has finished, or it died
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                request = json.loads(line)
                pid = _fork_worker(request, req_fd, rep_fd)
                children[pid] = request["id"]
                _reply(rep_fd, {"id": request["id"], "pid": pid})
        _reap(children, rep_fd, block=False)
    for pid in children:  # nobody is left to watch these runs
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    _reap(children, rep_fd, block=True)


def _reap(children: dict[int, int], rep_fd: int, *, block: bool) -> None:
    while children:
        try:
            pid, status, usage = os.wait4(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            children.clear()
            return
        if pid == 0:
            return
        request_id = children.pop(pid, None)
        if request_id is not None:
            _reply(rep_fd, {"id": request_id, "returncode": os.waitstatus_to_exitcode(status),
                            "cpu_s": usage.ru_utime + usage.ru_stime,
                            "maxrss_kb": usage.ru_maxrss})


def _reply(fd: int, data: dict[str, Any]) -> None:
    with contextlib.suppress(BrokenPipeError):
        os.write(fd, (json.dumps(data) + "\n").encode())


def _fork_worker(request: dict[str, Any], req_fd: int, rep_fd: int) -> int:
    zygote = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        die_with_parent(zygote)
        os.close(req_fd)
        os.close(rep_fd)
        os.setsid()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        import sys

        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
        from harness.execution.worker import main

        code = main([request["spec"], request["events"]])
    except BaseException:  # noqa: BLE001 - report and leave; never return into the zygote
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def serve_fresh(req_fd: int, rep_fd: int, models: str = "[]") -> None:
    """The zygote as a fresh interpreter: warm up (with the estimators of ``models``, a JSON
    list of model family names), then serve until the pipe closes."""
    from harness.execution.worker import warm_up

    with contextlib.suppress(Exception):  # a worker will say what failed
        warm_up(json.loads(models))
    _reply(rep_fd, {"ready": True})
    _zygote_loop(req_fd, rep_fd)
