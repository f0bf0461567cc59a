"""The small protocol every strategy implements, and the data it exchanges.

A strategy receives a :class:`Problem` (the train part, the space, the scorer, the
splitter), a :class:`Deadline` and a :class:`TrialRecorder`; it records each evaluated
configuration as a :class:`Trial` the moment it finishes and returns a
:class:`SearchOutcome`. The worker refits the best configuration and scores it on the
held-out test part, the same way for every strategy.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np

from harness.records import ColumnLayout, Trial
from harness.spaces import Space


@dataclass(frozen=True)
class Problem:
    """One (dataset, model) pair as a strategy sees it: the train part only."""

    dataset: str
    model: str
    task: str
    X: np.ndarray
    y: np.ndarray
    space: Space
    scoring: str
    cv: int
    n_jobs: int
    make_estimator: Callable[[Mapping[str, Any] | None], Any]
    data_dir: str | None = None  # the cached split, for strategies scoring out of process
    python: str | None = None  # the interpreter of the strategy's own environment, if any
    layout: ColumnLayout | None = None  # each feature column's kind; None: all numbers

    def splitter(self, seed: int) -> Any:
        """The CV splitter for this problem and seed (stratified for classification)."""
        return cv_splitter(self.task, self.cv, seed)


def cv_splitter(task: str, n_splits: int, seed: int) -> Any:
    """Shuffled K-fold (stratified for classification) seeded with the run's seed."""
    from sklearn.model_selection import KFold, StratifiedKFold

    cls = StratifiedKFold if task == "classification" else KFold
    return cls(n_splits=n_splits, shuffle=True, random_state=seed)


@dataclass
class Deadline:
    """The run's wall-clock budget, measured from when the run began (epoch seconds)."""

    started_at: float
    time_s: float
    max_trials: int | None = None
    min_reserve_s: float = 0.5

    def elapsed(self) -> float:
        return time.time() - self.started_at

    def remaining(self) -> float:
        return self.time_s - self.elapsed()

    def allows(self, next_step_s: float, reserve_s: float = 0.0) -> bool:
        """True when a step of ``next_step_s`` still fits before the deadline minus the reserve."""
        reserve = max(self.min_reserve_s, reserve_s)
        return self.elapsed() + next_step_s + reserve <= self.time_s


def initial_design(n_initial: int | None, max_trials: int | None,
                   default: int | None = 10, *, within_cap: bool = False) -> int | None:
    """Random points before a model-based strategy's model proposes any: ``n_initial`` when
    the user set it, else sized from the trial cap, ``min(default, max(3, max_trials // 4))``
    (10 for a ``default`` of None), so that a capped run leaves most of its trials to the
    model; ``default`` with no cap. ``within_cap`` also keeps it at most ``max_trials``."""
    if n_initial is not None:
        return n_initial
    if max_trials is None:
        return default
    size = min(10 if default is None else default, max(3, max_trials // 4))
    return max(1, min(size, max_trials)) if within_cap else size


def clean_score(value: Any) -> float | None:
    """A float, or None for NaN/inf/missing (JSON has no NaN)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


class TrialRecorder(Protocol):
    """Receives each trial as soon as it is finished."""

    def record(self, trial: Trial) -> None: ...


@dataclass
class SearchOutcome:
    """What a search found. ``best_estimator`` may be given when the strategy refit already;
    ``test_score`` only by a strategy whose model lives out of process (it scored the test
    part there, with the suite's scorer, once)."""

    best_params: dict[str, Any]
    best_cv_score: float | None
    details: dict[str, Any] = field(default_factory=dict)
    best_estimator: Any = None
    test_score: float | None = None


class Strategy(Protocol):
    """A way to search a space. Options come in through the constructor (keywords only)."""

    name: ClassVar[str]

    def search(
        self, problem: Problem, *, deadline: Deadline, seed: int, recorder: TrialRecorder
    ) -> SearchOutcome: ...
