"""Run the ``harness`` command with timers on the phases of a run's fixed cost.

    python benchmarks/_trace.py TRACE.jsonl run --suite ... (the harness command's arguments)

Used by ``overhead.py --trivial``. Before the command starts, the functions each phase runs
in are wrapped with wall-clock timers (``time.perf_counter`` spans, written as JSON lines
to TRACE.jsonl by whichever process ran them: the harness, or a worker forked from it, which
inherits the wrappers). Every import statement's time is counted too and charged to the
phase it happened in. Nothing in the harness is changed; the timers cost microseconds.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

LAUNCHED = time.time()  # the first line this interpreter runs (its start-up came before)
_TRACE_FD = -1
_IMPORT = {"depth": 0, "seconds": 0.0}
_real_import = builtins.__import__
_real_import_module = importlib.import_module


def emit(phase: str, start: float, end: float, imports: float = 0.0, **extra: Any) -> None:
    """One span as a JSON line (``os.write`` on an O_APPEND file: whole lines, any process)."""
    line = json.dumps({"pid": os.getpid(), "phase": phase, "start": start, "end": end,
                       "imports_s": imports, **extra})
    os.write(_TRACE_FD, (line + "\n").encode())


def _timed_import(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _IMPORT["depth"]:
            return func(*args, **kwargs)
        _IMPORT["depth"] = 1
        started = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            _IMPORT["seconds"] += time.perf_counter() - started
            _IMPORT["depth"] = 0
    return wrapper


def _span(phase: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with a timer: each call is a span of ``phase`` (wall time, and the time its
    imports took)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        imports_before, started = _IMPORT["seconds"], time.time()
        try:
            return func(*args, **kwargs)
        finally:
            emit(phase, started, time.time(), _IMPORT["seconds"] - imports_before)
    return wrapper


def _wrap(owner: Any, name: str, phase: str) -> None:
    setattr(owner, name, _span(phase, getattr(owner, name)))


def install() -> None:
    """Wrap the phases' functions (harness side and worker side) with timers."""
    builtins.__import__ = _timed_import(_real_import)
    importlib.import_module = _timed_import(_real_import_module)
    import harness.cli  # noqa: F401 - the command's own imports, timed by the caller
    from harness import claims, console, runner, store
    from harness.execution import events, forkserver, local, worker

    for name, phase in [("load_suite", "suite file"), ("plan_suite", "planning"),
                        ("package_versions", "provenance"), ("git_commit", "provenance"),
                        ("machine_info", "provenance"),
                        ("prepare_environments", "environments")]:
        _wrap(runner, name, phase)
    for name, phase in [("__init__", "store open"), ("finished_keys", "store: stored runs"),
                        ("start_suite", "store: suite row"), ("save_run", "store commit"),
                        ("runs", "summary: read runs"), ("finish_suite", "store: suite row"),
                        ("close", "store close")]:
        _wrap(store.ResultStore, name, phase)
    for name in ("claim", "release", "mark_abandoned_suites", "release_all"):
        _wrap(claims.ClaimBook, name, "claims")
    for name in ("format_table", "summary_rows"):
        _wrap(console, name, "summary: table")
    _wrap(forkserver.ForkServer, "start", "fork server start")
    _wrap(forkserver.ForkServer, "spawn", "spawn request")
    _wrap(local, "run_in_process", "run (harness side)")
    # worker side: these run in the worker forked from the zygote, which inherits them
    _wrap(events.EventWriter, "write", "event stream")
    _wrap(worker, "level_scores_event", "budget levels")
    _wrap(worker, "learning_curve_event", "learning curve")
    _wrap(worker, "_own_usage", "worker: own usage")
    import harness.datasets as datasets
    from harness.strategies.default import DefaultStrategy

    _wrap(DefaultStrategy, "search", "search")

    _wrap(datasets, "load_split", "data loading")
    worker.main = _worker_main(worker.main)


def _worker_main(main: Callable[..., int]) -> Callable[..., int]:
    """The worker's entry, timed whole; its imports are those of the worker alone (the
    counter starts again in each forked worker)."""

    @functools.wraps(main)
    def wrapper(argv: list[str] | None = None) -> int:
        _IMPORT["seconds"] = 0.0
        started = time.time()
        try:
            return main(argv)
        finally:
            emit("worker", started, time.time(), _IMPORT["seconds"])
    return wrapper


def run(trace_path: str, argv: list[str]) -> int:
    """Install the timers, then run the harness command with ``argv``; spans go to
    ``trace_path``."""
    global _TRACE_FD
    _TRACE_FD = os.open(trace_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    emit("interpreter start-up", LAUNCHED, LAUNCHED)  # its start: the caller's launch time
    started = time.time()
    install()
    emit("cli imports", started, time.time(), _IMPORT["seconds"])
    from harness.cli import main

    started, imports_before = time.time(), _IMPORT["seconds"]
    sys.argv = ["harness", *argv]
    code = main()  # as the console script calls it (it readies the process's exit)
    emit("command", started, time.time(), _IMPORT["seconds"] - imports_before)
    return code


if __name__ == "__main__":
    sys.exit(run(sys.argv[1], sys.argv[2:]))
