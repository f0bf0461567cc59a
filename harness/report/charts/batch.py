"""Charts drawn in worker processes while the report's numbers are still being worked out.

A chart function marked :func:`deferrable` draws at once, as any function, unless a
:class:`ChartBatch` is active: then it hands its drawing to the batch's worker processes
and returns a placeholder; :meth:`ChartBatch.fill` puts each chart's SVG in place of its
placeholder in the rendered page. The workers are forked when the batch starts, before the
store is read, with matplotlib's drawing code imported once by the report's process (each
worker importing it cost more CPU in all, and on two cores the report is bound by its CPU);
they are sent only each chart's arguments. There is one worker per core besides the
report's own: when the report's process has worked everything else out, it draws the charts
no worker has started yet itself (the latest first), rather than wait while a worker
competes with it for a core (on two cores: 2.14 s against 2.28 s with two workers, medians
of 4, alternating; ``benchmarks/report_render.py``).

Matplotlib draws in one thread only, and a report draws dozens of charts, so on two or
more cores this is the report's largest saving; on one core, without ``fork`` or in a
process that runs other threads (forking those is unsafe) the batch draws each chart at
once instead.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from contextvars import ContextVar, Token
from typing import Any, NamedTuple, TypeVar

from harness.report.charts._svg import import_drawing

#: At most this many worker processes: past it, starting them costs more than it saves.
MAX_WORKERS = 4
#: Allocations between a chart worker's garbage collections (~6,000 a chart)
WORKER_GC_THRESHOLD = 1_000_000
_ACTIVE: ContextVar[ChartBatch | None] = ContextVar("harness_chart_batch", default=None)
_PLACEHOLDER = "<!--harness-chart-{}-->"  # page text can never hold it: text is escaped
_PLACEHOLDERS = re.compile(r"<!--harness-chart-(\d+)-->")
F = TypeVar("F", bound=Callable[..., str])


def default_workers() -> int:
    """Worker processes for a report's charts: one per core this process may use besides
    its own (at most :data:`MAX_WORKERS`); 0 on one core or where processes cannot be
    forked."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if (cores or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return min((cores or 1) - 1, MAX_WORKERS)


def deferrable(func: F) -> F:
    """Mark a function that returns a chart's SVG text: inside an active
    :class:`ChartBatch` its call returns a placeholder and the batch draws it."""

    @functools.wraps(func)
    def chart(*args: Any, **kwargs: Any) -> str:
        batch = _ACTIVE.get()
        return func(*args, **kwargs) if batch is None else batch.submit(chart, args, kwargs)

    return chart  # type: ignore[return-value]


def _in_worker() -> None:
    _ACTIVE.set(None)  # a forked worker inherits the active batch: draw, do not submit
    import_drawing()  # imported before the fork already
    # what is imported now lives as long as the worker: out of the collector's way, so that
    # the frequent collections while charts are drawn do not walk it (~8% of drawing)
    gc.freeze()
    # the worker draws charts until the report is written, then exits: their garbage (cycles
    # of matplotlib objects, ~1 MB a chart) is collected once per ~150 charts, not as it
    # arises; most reports' workers exit before, without freeing it (~8% of drawing)
    gc.set_threshold(WORKER_GC_THRESHOLD)


class _Queued(NamedTuple):
    """A chart handed to the workers: its future, and the call that draws it here instead
    (:meth:`ChartBatch.fill`) if no worker has begun it."""

    future: Future[str]
    chart: Callable[..., str]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


class ChartBatch:
    """Draws the charts that :func:`deferrable` functions are asked for while it is active
    (``with ChartBatch() as charts: ...``), in ``workers`` forked processes (None: see
    :func:`default_workers`; 0: each at once, in this process)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else workers
        self._executor: ProcessPoolExecutor | None = None
        self._queued: list[_Queued] = []  # in the order of their placeholders
        self.drawn_here = 0  # charts :meth:`fill` drew in this process (no worker had begun)
        self._token: Token[ChartBatch | None] | None = None

    def __enter__(self) -> ChartBatch:
        if self.workers > 0 and threading.active_count() == 1:
            import_drawing()  # once, here, rather than in each worker: less CPU in all
            context = multiprocessing.get_context("fork")
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context,
                                                 initializer=_in_worker)
            self._executor.submit(int)  # forks the workers now
            self._token = _ACTIVE.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _ACTIVE.reset(self._token)
            self._token = None
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    @property
    def parallel(self) -> bool:
        """Whether charts are drawn by worker processes (placeholders to :meth:`fill`)."""
        return self._token is not None

    def submit(self, chart: Callable[..., str], args: tuple[Any, ...],
               kwargs: dict[str, Any]) -> str:
        """Queue one chart; returns its placeholder."""
        assert self._executor is not None, "submit() outside the batch's with-block"
        future = self._executor.submit(chart, *args, **kwargs)
        self._queued.append(_Queued(future, chart, args, kwargs))
        return _PLACEHOLDER.format(len(self._queued) - 1)

    def fill(self, html: str) -> str:
        """``html`` with every placeholder replaced by its chart's SVG: the charts no worker
        has started are drawn here, the latest first, while the workers draw the others (a
        chart that failed raises its error here)."""
        here: dict[int, str] = {}
        for index, queued in reversed(list(enumerate(self._queued))):
            if queued.future.cancel():  # still queued: no worker will draw it
                here[index] = queued.chart.__wrapped__(*queued.args, **queued.kwargs)
        self.drawn_here += len(here)
        svgs = [here[i] if i in here else queued.future.result()
                for i, queued in enumerate(self._queued)]
        return _PLACEHOLDERS.sub(lambda m: svgs[int(m.group(1))], html)
