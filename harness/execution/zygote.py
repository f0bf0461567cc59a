"""The zygote's side of the fork server: it warms up, then forks what the harness asks for.

Requests arrive as JSON lines on a pipe: fork a worker for a run, fork a process that runs
a function (``call``: the suite's datasets prepared for planning), or warm up for the
suite's models (``warm``). Replies go back as JSON lines: a child's pid when forked, its
exit status and resource usage when reaped (``wait4``), ``ready`` once warm.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import os
import select
import signal
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness.execution.tree import die_with_parent

REAP_POLL_S = 0.01  # how soon the zygote notices that a worker has exited (a run's end)


def serve(req_fd: int, rep_fd: int, warm_up: Sequence[Callable[[], None]] = (), *,
          warm_for: Callable[[Any], None] | None = None,
          ready_when_warm: bool = True) -> None:
    """Run the warm-up stages (calls that have arrived are forked between them: a call
    needs only what the stage before imported), say ``ready`` (unless a ``warm`` request
    is to do that), then serve until the request pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the harness's to handle
    zygote = _Zygote(req_fd, rep_fd, warm_for)
    for stage in warm_up:
        _warm(stage)
        _reap(zygote.children, rep_fd, block=False)  # a call forked before may have ended
        zygote.serve(wait=0.0, calls_only=True)
    if warm_up and ready_when_warm:
        _reply(rep_fd, {"ready": True})
    zygote.loop()


def _warm(warm_up: Callable[[], None]) -> None:
    """Run ``warm_up`` with the garbage collector off (importing scikit-learn, SciPy and
    pandas allocates millions of objects: collecting them as they come costs a tenth of the
    import time and frees nothing measurable); then freeze what it imported."""
    gc.disable()
    try:
        with contextlib.suppress(Exception):  # a worker will say what failed
            warm_up()
    finally:
        gc.enable()
    # Everything imported so far moves to the collector's permanent generation: a worker's
    # collections then never walk (and so copy, page by page) the heap it shares with us.
    gc.freeze()


class _Zygote:
    def __init__(self, req_fd: int, rep_fd: int, warm_for: Callable[[Any], None] | None):
        self.req_fd, self.rep_fd, self.warm_for = req_fd, rep_fd, warm_for
        self.children: dict[int, int] = {}  # pid -> request id
        self.buffer = b""
        self.closed = False

    def loop(self) -> None:
        while not self.closed:
            self.serve(wait=REAP_POLL_S)
            _reap(self.children, self.rep_fd, block=False)
        for pid in self.children:  # nobody is left to watch these runs
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        _reap(self.children, self.rep_fd, block=True)

    def serve(self, *, wait: float, calls_only: bool = False) -> None:
        """Read what has arrived (waiting up to ``wait`` s) and serve the requests in order
        (with ``calls_only``, only the calls at the front of the queue)."""
        readable, _, _ = select.select([self.req_fd], [], [], wait)
        if readable:
            chunk = os.read(self.req_fd, 65536)
            self.closed = not chunk  # the harness has finished, or it died
            self.buffer += chunk
        while b"\n" in self.buffer:
            line, rest = self.buffer.split(b"\n", 1)
            request = json.loads(line)
            if calls_only and "call" not in request:
                return
            self.buffer = rest
            self._serve_one(request)

    def _serve_one(self, request: dict[str, Any]) -> None:
        if "warm" in request:
            _reap(self.children, self.rep_fd, block=False)  # report a call before warming
            if self.warm_for is not None:
                _warm(functools.partial(self.warm_for, request["warm"]))
            _reply(self.rep_fd, {"ready": True})
            return
        fork = _fork_call if "call" in request else _fork_worker
        pid = fork(request, self.req_fd, self.rep_fd)
        self.children[pid] = request["id"]
        _reply(self.rep_fd, {"id": request["id"], "pid": pid})


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


def _fork_child(*inherited: int) -> int:
    """``os.fork()``; the child (0 returned there) dies with the zygote, closes the
    ``inherited`` pipe ends and leads a session of its own, so the zygote can kill it."""
    zygote = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            die_with_parent(zygote)
            for fd in inherited:
                os.close(fd)
            os.setsid()
        except BaseException:  # noqa: BLE001 - never return into the zygote
            os._exit(1)
    return pid


def _fork_worker(request: dict[str, Any], req_fd: int, rep_fd: int) -> int:
    pid = _fork_child(req_fd, rep_fd)
    if pid:
        return pid
    code = 1
    try:
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


def _fork_call(request: dict[str, Any], req_fd: int, rep_fd: int) -> int:
    """Fork a process that runs ``request["call"]`` (``module:function``), writes its
    JSON result and reports its own end (the zygote, warming up, may reap it only later);
    in a session of its own, so the zygote can kill it; its output goes where the
    harness's goes."""
    import importlib

    pid = _fork_child(req_fd)  # it keeps the reply pipe: it reports its own end
    if pid:
        return pid
    code = 1
    try:
        gc.enable()  # forked between warm-up stages, with the collector off
        module, _, name = request["call"].partition(":")
        result = getattr(importlib.import_module(module), name)(**request["kwargs"])
        out = Path(request["out"])
        scratch = out.with_name(f".{out.name}.{os.getpid()}")
        scratch.write_text(json.dumps(result))
        scratch.replace(out)
        code = 0
    except BaseException:  # noqa: BLE001 - the caller does the work itself, and says why
        pass
    finally:
        _reply(rep_fd, {"id": request["id"], "returncode": code, "cpu_s": 0.0, "maxrss_kb": 0})
        os._exit(code)


def serve_fresh(req_fd: int, rep_fd: int, models: str = "[]") -> None:
    """The zygote as a fresh interpreter: warm up (with the estimators of ``models``, a JSON
    list of model family names), then serve until the pipe closes."""
    from harness.execution.worker import warm_up

    serve(req_fd, rep_fd, [functools.partial(warm_up, json.loads(models))])
