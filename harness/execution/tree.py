"""A worker's process tree: what it uses, and killing every process of it.

A strategy may start processes that leave the worker's process group (a new session, as
``setsid`` or ``start_new_session=True`` do), so killing the group is not enough: the
monitor remembers every descendant it has seen while the run went on (sampled every
``POLL_S``) and kills each one still alive at the end. psutil identifies a process by pid
and start time, so a reused pid is never killed by mistake.

And a worker must not outlive the harness: :func:`die_with_parent` asks the Linux kernel
to kill the calling process when its parent ends (``PR_SET_PDEATHSIG``), which works even
while the worker holds the GIL in a C loop.
"""

from __future__ import annotations

import contextlib
import os
import signal

import psutil

_PR_SET_PDEATHSIG = 1


def kill_group(pgid: int) -> None:
    """SIGKILL a whole process group (gone already: nothing to do)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


class TreeMonitor:
    """Samples the worker's process tree: peak total RSS and CPU seconds of every member,
    and every process that was ever part of it."""

    def __init__(self, pid: int):
        try:
            self.root: psutil.Process | None = psutil.Process(pid)
        except psutil.Error:  # already gone
            self.root = None
        self.peak_rss = 0
        self.cpu: dict[int, float] = {}
        self.seen: dict[int, psutil.Process] = {}

    def members(self) -> list[psutil.Process]:
        """The tree now (the worker and its descendants), remembered as seen."""
        if self.root is None:
            return []
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            procs = []
        for proc in procs:
            self.seen.setdefault(proc.pid, proc)
        for proc in list(self.seen.values()):  # descendants of escaped processes too
            if proc is self.root:
                continue
            with contextlib.suppress(psutil.Error):
                for child in proc.children(recursive=True):
                    self.seen.setdefault(child.pid, child)
        return procs

    def sample(self) -> int:
        """The tree's total resident memory now (bytes); updates peak and CPU seconds."""
        rss = 0
        for proc in self.members():
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

    def kill_all(self, *, group: int) -> None:
        """SIGKILL the worker's process group and every process ever seen in its tree."""
        self.members()  # a last look while the tree is still whole
        kill_group(group)
        for proc in self.seen.values():
            with contextlib.suppress(psutil.Error):
                if proc.is_running():  # same pid and start time: not a reused pid
                    proc.kill()


def die_with_parent(parent_pid: int) -> None:
    """Have the kernel SIGKILL this process when its parent ends; exit now when the parent
    (``parent_pid``) is already gone. A no-op where ``prctl`` does not exist (not Linux)."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # it died before the request took effect
        os._exit(1)
