"""Strategies that misbehave on purpose, for the fault-injection suite (tests/test_faults.py).

Loaded by the workers as ``fault_strategies:ClassName`` (tests/ is on PYTHONPATH). Each
records one or two trials first, so a test can check that what was recorded survives.
"""

from __future__ import annotations

import ctypes
import math
import os
import signal
import subprocess
import sys
import time

from harness.strategies import SearchOutcome, Trial

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def _trial(number: int, elapsed: float, **changes) -> Trial:
    fields = dict(number=number, params={"n_neighbors": 3 + number},
                  cv_scores=[0.5, 0.6, 0.7], fit_time_s=0.01, score_time_s=0.0,
                  elapsed_s=elapsed)
    fields.update(changes)
    return Trial(**fields)


class _Fault:
    name = "fault"

    def __init__(self, *, pid_file: str = ""):
        self.pid_file = pid_file

    def _note(self, *pids: int) -> None:
        if self.pid_file:
            with open(self.pid_file, "a") as fh:
                fh.write(" ".join(map(str, pids)) + "\n")

    def search(self, problem, *, deadline, seed, recorder):
        recorder.record(_trial(0, deadline.elapsed()))
        self._note(os.getpid())
        self.misbehave()
        raise AssertionError("unreachable")

    def misbehave(self) -> None:
        raise NotImplementedError


class Raise(_Fault):
    def misbehave(self):
        raise ValueError("planted failure")


class Abort(_Fault):
    def misbehave(self):
        sys.stderr.write("about to abort\n")
        sys.stderr.flush()
        os.abort()


class Segfault(_Fault):
    def misbehave(self):
        sys.stderr.write("about to read address 0\n")
        sys.stderr.flush()
        ctypes.string_at(0)


class PythonHang(_Fault):
    def misbehave(self):
        while True:
            pass


class BlockingHang(_Fault):
    def misbehave(self):
        os.read(os.pipe()[0], 1)  # blocks forever, in a system call


class GilLoop(_Fault):
    """Spins in C while holding the GIL (no Python signal handler can run)."""

    def __init__(self, *, library: str = "", pid_file: str = ""):
        super().__init__(pid_file=pid_file)
        self.library = library

    def misbehave(self):
        ctypes.PyDLL(self.library).spin()


class Children(_Fault):
    """Starts a child in its own process group (the worker's) and hangs."""

    def misbehave(self):
        child = subprocess.Popen(SLEEPER)
        self._note(child.pid)
        while True:
            time.sleep(1)


class SetsidGrandchild(_Fault):
    """Starts a child in a new session (out of the worker's process group) that starts a
    grandchild, then hangs."""

    def misbehave(self):
        code = ("import subprocess, sys, time; "
                "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
                f"open({self.pid_file!r}, 'a').write(f'{{p.pid}}\\n'); time.sleep(600)")
        child = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
        self._note(child.pid)
        while True:
            time.sleep(1)


class MemoryHog(_Fault):
    def misbehave(self):
        hoard = []
        while True:
            hoard.append(bytearray(20 * 2**20))
            time.sleep(0.05)


class NanTrials:
    """Reports NaN and infinity in fold scores, params, info and its best CV score."""

    name = "nan-trials"

    def search(self, problem, *, deadline, seed, recorder):
        recorder.record(_trial(0, deadline.elapsed(), cv_scores=[math.nan, 0.5, 0.6]))
        recorder.record(_trial(1, deadline.elapsed(), params={"n_neighbors": 5,
                                                               "weight": math.nan},
                               info={"loss": math.inf}))
        recorder.record(_trial(2, deadline.elapsed()))
        return SearchOutcome(best_params={"n_neighbors": 5}, best_cv_score=math.nan,
                             details={"spread": -math.inf})


class HostileText:
    """Parameter values and details that matplotlib, HTML and JSON might misread."""

    name = "hostile-text"

    def search(self, problem, *, deadline, seed, recorder):
        texts = ["$\\badcmd{y}$", "<script>alert(1)</script>", "a\nb \"q\" 'q'", "ü€😀"]
        for number, text in enumerate(texts):
            recorder.record(_trial(number, deadline.elapsed(),
                                   params={"n_neighbors": 3, "label": text}))
        return SearchOutcome(best_params={"n_neighbors": 3}, best_cv_score=0.6,
                             details={"note": texts[1]})


class IgnoreSigterm(_Fault):
    """Hangs with SIGTERM ignored (only SIGKILL ends it)."""

    def misbehave(self):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            time.sleep(1)
