"""The records every stage passes along: run spec, trial, run result and run status.

A leaf module: it imports nothing of the harness, so every layer (config, strategies,
execution, store, analysis, report) can share these definitions. Each set of statuses is
defined here once.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


class RunStatus(enum.StrEnum):
    """How a run ended (a StrEnum: it compares equal to, and stores as, its value)."""

    OK = "ok"
    FAILED = "failed"  # the strategy raised, or the worker died without a result
    TIMEOUT = "timeout"  # killed at the hard limit (budget + grace)
    MEMOUT = "memout"  # killed over the memory limit
    SKIPPED = "skipped"  # could not start here (a missing dataset file or environment)
    INTERRUPTED = "interrupted"  # cancelled by the harness (Ctrl-C); never stored as a run


class SuiteStatus(enum.StrEnum):
    """The state of a suite record (one harness process running a suite)."""

    RUNNING = "running"
    FINISHED = "finished"
    INTERRUPTED = "interrupted"  # Ctrl-C, SIGTERM, or its process was found gone


#: Runs that ran and did not succeed.
FAILED_STATUSES: frozenset[RunStatus] = frozenset(
    {RunStatus.FAILED, RunStatus.TIMEOUT, RunStatus.MEMOUT})
#: Runs that did not give a result: failures and skips (the report's failures table).
UNSUCCESSFUL_STATUSES: frozenset[RunStatus] = FAILED_STATUSES | {RunStatus.SKIPPED}
#: The outcomes a stored run can have.
FINISHED_STATUSES: frozenset[RunStatus] = frozenset(
    {RunStatus.OK, *FAILED_STATUSES, RunStatus.SKIPPED})
#: Scored trials of a problem below which its hyperparameter importance is not fitted.
MIN_IMPORTANCE_TRIALS = 10


class LevelNote(enum.StrEnum):
    """Why a run has no (or a qualified) test score at a budget level (``details["level_notes"]``
    of an ``ok`` run, keyed like ``details["test_score_at"]``: ``"0.25"``, ``"0.5"``)."""

    #: No score: the incumbent cannot be refit here (a strategy that chooses its own model or
    #: ensemble, a keras model, a model scored out of process), or its refit failed or did not
    #: fit the allowance after the run.
    NOT_MEASURED = "not measured"
    #: The score is the run's final test score: its search had ended before this level (its
    #: trial cap, ``max_trials`` or the strategy's own, or an exhausted grid), so what it would
    #: have returned at this level is its final choice.
    TRIAL_CAP = "ended at its trial cap before this level"
    #: No score: fewer than two full-fidelity trials had finished by this level.
    FEW_TRIALS = "not enough trials"


#: The budget levels (shares of ``time_s``) whose incumbents the worker scores on the test part.
BUDGET_LEVELS: tuple[float, ...] = (0.25, 0.5)


def level_key(level: float) -> str:
    """How a budget level is keyed in ``details["test_score_at"]``: ``"0.25"``, ``"0.5"``."""
    return f"{level:g}"


def full_fidelity(fidelity: Mapping[str, Any] | None, info: Mapping[str, Any] | None
                  ) -> bool | None:
    """Whether a trial was evaluated at full fidelity (all the train part, every epoch):
    its ``info["full_fidelity"]`` where the strategy says; True for a trial without a
    fidelity; None (unknown) for a reduced-fidelity-capable trial stored without the flag."""
    flag = (info or {}).get("full_fidelity")
    if flag is not None:
        return bool(flag)
    return True if not fidelity else None


_NOT_KEYED = ("data_dir", "skip_reason", "learning_curves", "contender", "plan_index")


@dataclass(frozen=True)
class RunSpec:
    """One (problem, strategy, seed, budget): everything a worker needs, as plain data."""

    suite: str
    dataset: str
    dataset_options: dict[str, Any]
    fingerprint: str
    task: str
    model: str
    space: dict[str, Any]
    strategy: str
    strategy_options: dict[str, Any]
    seed: int
    metric: str
    cv: int
    test_size: float
    n_jobs: int
    time_s: float
    max_trials: int | None
    hard_limit_s: float
    memory_mb: float | None
    data_dir: str = field(default="", compare=False)
    skip_reason: str = field(default="", compare=False)  # e.g. the dataset file is missing
    round: str = ""  # a label (a night's date) that makes the suite's runs new again
    # whether the worker computes the best configuration's learning curve after the run
    learning_curves: bool = field(default=True, compare=False)
    # what a user could pick, as the report names it: ``random · svc``, ``flaml``,
    # ``regularization · linear`` (set by the planner, which knows the strategy's class)
    contender: str = field(default="", compare=False)
    # the run's place in its suite's plan (the report lists runs in this order, whatever
    # order they ran in); -1 when not planned by a suite
    plan_index: int = field(default=-1, compare=False)

    @property
    def key(self) -> str:
        """Hash of what defines the run (everything but where its data is cached, why it is
        skipped, whether a learning curve is computed after it, the contender's label,
        which follows from the strategy and the model, and its place in the plan).

        The round is part of the key only when set, so keys of round-less runs stay as they
        were in stores written before rounds existed.
        """
        defining = {k: v for k, v in asdict(self).items()
                    if k not in _NOT_KEYED and (k != "round" or v)}
        return hashlib.sha256(json.dumps(defining, sort_keys=True, default=str).encode()
                              ).hexdigest()[:20]

    @property
    def label(self) -> str:
        return f"{self.dataset}/{self.model}/{self.strategy}/seed={self.seed}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        return cls(**data)


@dataclass
class Trial:
    """One evaluated configuration. Scores are higher-is-better; None marks a failed fold."""

    number: int
    params: dict[str, Any]
    cv_scores: list[float | None]
    fit_time_s: float
    score_time_s: float
    elapsed_s: float
    fidelity: dict[str, Any] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def mean_cv_score(self) -> float | None:
        valid = [s for s in self.cv_scores if s is not None]
        return float(np.mean(valid)) if valid and len(valid) == len(self.cv_scores) else None

    @property
    def std_cv_score(self) -> float | None:
        valid = [s for s in self.cv_scores if s is not None]
        return float(np.std(valid)) if valid and len(valid) == len(self.cv_scores) else None

    def to_dict(self) -> dict[str, Any]:
        """The trial's fields plus its mean and std CV score (as streamed and stored)."""
        return {**asdict(self), "mean_cv_score": self.mean_cv_score,
                "std_cv_score": self.std_cv_score}


@dataclass
class RunResult:
    """The outcome of one run as the harness stores it."""

    spec: RunSpec
    status: RunStatus
    trials: list[dict[str, Any]] = field(default_factory=list)
    best_params: dict[str, Any] | None = None
    best_cv_score: float | None = None
    test_score: float | None = None
    wall_time_s: float = 0.0
    cpu_time_s: float = 0.0
    peak_mem_mb: float = 0.0
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    host: str = ""
    started_at: float = 0.0
    finished_at: float = 0.0
    attempts: int = 1

    def __post_init__(self) -> None:
        self.status = RunStatus(self.status)

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data (the spec as a dict), to cross a process boundary."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], spec: RunSpec) -> RunResult:
        """The inverse of :meth:`to_dict`, with the receiver's own ``spec``; fields this
        version does not know (from a process of another version) are dropped."""
        known = {f.name for f in dataclasses.fields(cls)} - {"spec"}
        return cls(**{k: v for k, v in data.items() if k in known}, spec=spec)


class ColumnKind(enum.StrEnum):
    """What a prepared feature column holds, and so how a model's pipeline encodes it."""

    NUMBER = "number"  # numbers and booleans (0/1): median-imputed, missing indicator
    CATEGORY = "category"  # text or pandas category with few levels (integer codes): one-hot
    MANY_LEVELS = "many-levels"  # text with many levels (integer codes): ordinal/target encoded


@dataclass(frozen=True)
class ColumnLayout:
    """The feature columns of a prepared table: each column's kind, its number of levels (0
    for numbers) and whether any feature value is missing (NaN)."""

    kinds: tuple[ColumnKind, ...]
    levels: tuple[int, ...]
    missing: bool = False

    @property
    def plain(self) -> bool:
        """Numbers only and nothing missing: a model needs no preparation step."""
        return not self.missing and all(k is ColumnKind.NUMBER for k in self.kinds)

    def columns(self, kind: ColumnKind) -> list[int]:
        """The indices of the columns of ``kind``."""
        return [i for i, k in enumerate(self.kinds) if k is kind]

    def counts(self) -> dict[str, int]:
        """How many columns of each kind (kinds with none left out)."""
        return {kind.value: n for kind in ColumnKind if (n := len(self.columns(kind)))}

    def to_dict(self) -> dict[str, Any]:
        return {"kinds": [k.value for k in self.kinds], "levels": list(self.levels),
                "missing": self.missing}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ColumnLayout | None:
        """The layout stored by ``to_dict``; None for None (a split saved without one)."""
        if not data:
            return None
        return cls(tuple(ColumnKind(k) for k in data["kinds"]),
                   tuple(int(n) for n in data["levels"]), bool(data["missing"]))

    @classmethod
    def numbers(cls, n_columns: int, *, missing: bool = False) -> ColumnLayout:
        """``n_columns`` number columns."""
        return cls((ColumnKind.NUMBER,) * n_columns, (0,) * n_columns, missing)
