"""Run the ``harness`` command with timers on the phases of a run's fixed cost.

    python benchmarks/_trace.py TRACE.jsonl run --suite ... (the harness command's arguments)

Used by ``overhead.py --trivial``. As their modules are imported, the functions each phase
runs in are wrapped with wall-clock timers (``time.perf_counter`` spans, written as JSON lines
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
            _wrap_loaded()
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


#: module -> (class or "" for the module, function, phase): the functions each phase runs
#: in, wrapped as soon as their module has been imported (in whichever process imports it:
#: the harness, the zygote, a worker), so that tracing imports nothing early and the fork
#: server still starts before the harness's imports, as it does untraced.
TARGETS: dict[str, list[tuple[str, str, str]]] = {
    "harness.runner": [("", name, phase) for name, phase in [
        ("load_suite", "suite file"), ("plan_suite", "planning"),
        ("_prepare_in", "planning: wait for the zygote's"),
        ("package_versions", "provenance"), ("git_commit", "provenance"),
        ("machine_info", "provenance"), ("prepare_environments", "environments")]],
    "harness.store": [("ResultStore", name, phase) for name, phase in [
        ("__init__", "store open"), ("finished_keys", "store: stored runs"),
        ("start_suite", "store: suite row"), ("save_run", "store commit"),
        ("runs", "summary: read runs"), ("finish_suite", "store: suite row"),
        ("close", "store close")]],
    "harness.claims": [("ClaimBook", name, "claims") for name in (
        "claim", "release", "mark_abandoned_suites", "release_all")],
    "harness.console": [("", "format_table", "summary: table"),
                        ("", "summary_rows", "summary: table")],
    "harness.execution.forkserver": [("ForkServer", "start", "fork server start"),
                                     ("ForkServer", "spawn", "spawn request")],
    "harness.execution.zygote": [("", "_warm", "zygote warm-up")],
    "harness.execution.local": [("", "run_in_process", "run (harness side)")],
    # worker side: run in the worker forked from the zygote, which inherits the wrappers
    "harness.execution.events": [("EventWriter", "write", "event stream")],
    "harness.execution.worker": [("", "level_scores_event", "budget levels"),
                                 ("", "learning_curve_event", "learning curve"),
                                 ("", "_own_usage", "worker: own usage"),
                                 ("", "main", "worker")],
    "harness.strategies.default": [("DefaultStrategy", "search", "search")],
    "harness.datasets": [("", "load_split", "data loading"),
                         ("", "prepare_for_plan", "datasets prepared (forked from zygote)")],
}
_WRAPPED: set[str] = set()


def _wrap_loaded() -> None:
    """Wrap the targets of every module imported since the last call."""
    for module_name, targets in TARGETS.items():
        module = sys.modules.get(module_name)
        if module_name in _WRAPPED or module is None:
            continue
        _WRAPPED.add(module_name)
        for owner_name, name, phase in targets:
            owner = getattr(module, owner_name) if owner_name else module
            wrapped = _worker_main if phase == "worker" else functools.partial(_span, phase)
            setattr(owner, name, wrapped(getattr(owner, name)))


def install() -> None:
    """Count imports, and wrap the phases' functions with timers as their modules load."""
    builtins.__import__ = _timed_import(_real_import)
    importlib.import_module = _timed_import(_real_import_module)
    import harness.cli  # noqa: F401 - the command's own imports, timed by the caller


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
