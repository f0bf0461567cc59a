"""The time a suite has left: each run weighed by its expected duration, ``jobs`` at a time.

Pure and free of I/O and formatting: the runner gives it the stored history and tells it when
runs start and end; the progress bar shows the seconds it answers. A run is expected to take
its budget plus the fixed cost of a run (worker start, learning curve, store; measured on the
runs of this session as they end), or less where similar stored runs ended earlier (at their
trial cap, or with their space exhausted): the same strategy, model, dataset and budget;
failing those, the same strategy, model and budget on other datasets; failing those, other
strategies on the same model, dataset and budget.

On a fresh database nothing is known of any kind of run, and a suite's runs of one strategy
come together (the smoke suite's keras runs last, where the estimate learns of them too late
to help it): ``start_order`` starts the first run of each kind no stored run tells of before
the others, so that the rest are estimated from what it took.
"""

from __future__ import annotations

import heapq
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.records import RunSpec, RunStatus

#: A run's cost beyond its charged time (worker start, learning curve, storing it) until one
#: run of the session has been measured.
DEFAULT_OVERHEAD_S = 1.0
#: The fixed cost is the mean of this many runs ended last: the first runs of a problem get
#: learning curves (each may be its best so far), later ones seldom.
RECENT_RUNS = 6


@dataclass(frozen=True)
class Kind:
    """What makes runs similar: they take about as long."""

    strategy: str
    model: str
    dataset: str
    time_s: float
    max_trials: int | None = None

    @property
    def broad(self) -> tuple[str, str, float, int | None]:
        """The same without the dataset: the fallback when no run of this dataset is known."""
        return self.strategy, self.model, self.time_s, self.max_trials

    @property
    def problem(self) -> tuple[str, str, float, int | None]:
        """The same without the strategy: the last fallback (the same model trained on the
        same data under the same budget and trial cap)."""
        return self.model, self.dataset, self.time_s, self.max_trials


@dataclass(frozen=True)
class PastRun:
    """A stored run: its kind and the seconds charged to it (its budget when it timed out)."""

    kind: Kind
    charged_s: float


def past_run(kind: Kind, status: str, wall_s: float | None) -> PastRun | None:
    """What a stored run says about its kind: an ``ok`` run its wall time (at most its budget),
    a ``timeout`` its budget; None for others (a failure may end at any time)."""
    if status == RunStatus.TIMEOUT:
        return PastRun(kind, kind.time_s)
    if status == RunStatus.OK and wall_s is not None:
        return PastRun(kind, min(float(wall_s), kind.time_s))
    return None


class History:
    """Past runs' charged seconds by kind, by kind without the dataset, without the strategy."""

    def __init__(self, runs: Iterable[PastRun] = ()):
        self.same: dict[Kind, list[float]] = {}
        self.broad: dict[tuple[str, str, float, int | None], list[float]] = {}
        self.problem: dict[tuple[str, str, float, int | None], list[float]] = {}
        for run in runs:
            self.add(run)

    def add(self, run: PastRun) -> None:
        self.same.setdefault(run.kind, []).append(run.charged_s)
        self.broad.setdefault(run.kind.broad, []).append(run.charged_s)
        self.problem.setdefault(run.kind.problem, []).append(run.charged_s)

    def typical_s(self, kind: Kind) -> float | None:
        """The median charged seconds of past runs of ``kind``; failing those, of its
        strategy on any dataset; failing those, of any strategy on its problem; None when
        there are none."""
        seconds = (self.same.get(kind) or self.broad.get(kind.broad)
                   or self.problem.get(kind.problem))
        return statistics.median(seconds) if seconds else None


def expected_s(kind: Kind, history: History, overhead_s: float) -> float:
    """A run's expected seconds: what similar past runs were charged (at most its budget),
    or its budget when none is known, plus ``overhead_s``."""
    typical = history.typical_s(kind)
    return (kind.time_s if typical is None else min(kind.time_s, typical)) + overhead_s


def seconds_left(queued: Sequence[float], running: Sequence[float], jobs: int) -> float:
    """Seconds until the last run ends with ``jobs`` runs at a time: ``running`` holds the
    seconds left of the runs in progress, ``queued`` the expected seconds of the runs not
    started, in the order they start (each as soon as a run ends)."""
    if not queued and not running:
        return 0.0
    slots = [0.0] * max(1, jobs)
    for seconds in [*sorted(running), *queued]:
        heapq.heappush(slots, heapq.heappop(slots) + max(0.0, seconds))
    return max(slots)


class EtaClock:
    """The runs of a suite as they start and end, and the seconds left at any moment.

    ``kinds`` maps each run still to run (its key) to its kind, in the order runs start;
    ``history`` holds the stored runs; the session's runs join it as they end.
    """

    def __init__(self, kinds: Mapping[str, Kind], history: Iterable[PastRun], *, jobs: int):
        self.kinds = dict(kinds)
        broad = {kind.broad for kind in self.kinds.values()}
        problems = {kind.problem for kind in self.kinds.values()}
        self.history = History(run for run in history
                               if run.kind.broad in broad or run.kind.problem in problems)
        self.jobs = max(1, jobs)
        self.started_at: dict[str, float] = {}
        self.overheads: list[float] = []

    @property
    def overhead_s(self) -> float:
        """The mean fixed cost of the runs ended last (a default before any)."""
        recent = self.overheads[-RECENT_RUNS:]
        return statistics.fmean(recent) if recent else DEFAULT_OVERHEAD_S

    def started(self, key: str, at: float) -> None:
        if key in self.kinds:
            self.started_at[key] = at

    def finished(self, key: str, at: float, *, status: str, wall_s: float | None) -> None:
        """Run ``key`` ended at ``at`` (its worker's work after the result included)."""
        kind = self.kinds.pop(key, None)
        began = self.started_at.pop(key, None)
        if kind is None or status == RunStatus.SKIPPED:
            return
        past = past_run(kind, status, wall_s)
        if past is not None:
            self.history.add(past)
            if began is not None and wall_s is not None:
                self.overheads.append(max(0.0, at - began - float(wall_s)))

    def keep_only(self, keys: Iterable[str]) -> None:
        """Forget the runs not in ``keys`` (another harness process ran them)."""
        wanted = set(keys)
        self.kinds = {k: v for k, v in self.kinds.items() if k in wanted}
        self.started_at = {k: v for k, v in self.started_at.items() if k in wanted}

    def seconds_left(self, now: float) -> float:
        """Seconds until the last run ends. A run in progress has what is left of its
        expected seconds; once past them, as long again (at most until its budget ends)."""
        overhead = self.overhead_s
        running, queued = [], []
        for key, kind in self.kinds.items():
            expected = expected_s(kind, self.history, overhead)
            if key not in self.started_at:
                queued.append(expected)
                continue
            elapsed = now - self.started_at[key]
            left = expected - elapsed
            if left <= 0:
                left = min(expected, kind.time_s + overhead - elapsed)
            running.append(max(0.0, left))
        return seconds_left(queued, running, self.jobs)


def kind_of(spec: RunSpec) -> Kind:
    """The kind of run ``spec`` is."""
    return Kind(spec.strategy, spec.model, spec.dataset, float(spec.time_s), spec.max_trials)


def past_runs(stored: Iterable[Mapping[str, Any]]) -> list[PastRun]:
    """What the ``stored`` runs (rows with strategy, model, dataset, budget_s, max_trials,
    status, wall_time_s) say of their kinds (failures say nothing)."""
    history = []
    for row in stored:
        kind = Kind(row["strategy"], row["model"], row["dataset"], float(row["budget_s"]),
                    row["max_trials"])
        past = past_run(kind, row["status"], row["wall_time_s"])
        if past is not None:
            history.append(past)
    return history


def start_positions(kinds: Sequence[Kind], history: Iterable[PastRun]) -> list[int]:
    """The order to start runs of ``kinds`` (in plan order) in, as positions in ``kinds``:
    first, in plan order, the first run of each kind (strategy, model, budget and trial cap,
    on any dataset) that no run of ``history`` is of; then the others in plan order."""
    known = {run.kind.broad for run in history}
    first, rest = [], []
    for position, kind in enumerate(kinds):
        (rest if kind.broad in known else first).append(position)
        known.add(kind.broad)
    return first + rest


def start_order(specs: Sequence[RunSpec], history: Iterable[PastRun]) -> list[RunSpec]:
    """``specs`` (in plan order) in the order to start them (see ``start_positions``). A
    run's trials do not depend on the runs before it (they follow from its spec and seed)."""
    return [specs[i] for i in start_positions([kind_of(s) for s in specs], history)]


def clock_for(specs: Sequence[RunSpec], history: Iterable[PastRun], *, jobs: int) -> EtaClock:
    """The clock of ``specs`` (in the order they start) with ``history`` (the stored runs,
    see ``past_runs``)."""
    return EtaClock({s.key: kind_of(s) for s in specs}, history, jobs=jobs)
