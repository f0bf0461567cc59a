"""Hyperparameter importance as stored for a suite's round: what a random-forest surrogate
of the CV score, fitted on the problem's recorded trials once the suite's runs ended
(``harness.importances``), says of each hyperparameter. Read here; never fitted here."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from harness.records import MIN_IMPORTANCE_TRIALS
from harness.store import ResultStore

MIN_TRIALS = MIN_IMPORTANCE_TRIALS
MAX_TRIALS = 600  # a random subset above this keeps the fit fast
#: Changes when what is fitted changes, so that an importance stored before is fitted again.
METHOD = "random-forest surrogate, 30 trees; permutation importance, 3 repeats; v1"
NOT_STORED = ("not stored for these runs: it is fitted when a suite's runs end, and by "
              "`harness report` (this report was written without a store it could update)")


@dataclass(frozen=True)
class Dependence:
    """Partial dependence of the predicted CV score on one hyperparameter."""

    name: str
    values: list[float | str]
    score: list[float]
    categorical: bool


@dataclass(frozen=True)
class Importance:
    problem: str
    n_trials: int
    importances: list[tuple[str, float, float]]  # (name, mean, std), most important first
    dependence: list[Dependence]
    surrogate_r2: float | None
    note: str | None

    def to_record(self) -> dict[str, Any]:
        """As stored (plain JSON data)."""
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Importance:
        """From :meth:`to_record`'s data."""
        return cls(problem=record["problem"], n_trials=int(record["n_trials"]),
                   importances=[(str(n), float(m), float(s))
                                for n, m, s in record["importances"]],
                   dependence=[Dependence(**d) for d in record["dependence"]],
                   surrogate_r2=record["surrogate_r2"], note=record["note"])


def problem_spaces(runs: pd.DataFrame) -> dict[str, set[str]]:
    """Per problem, the union of the search spaces its runs declared (the hyperparameters
    its importance is about)."""
    spaces: dict[str, set[str]] = {}
    for problem, spec in zip(runs["problem"], runs["spec"], strict=True):
        spaces.setdefault(problem, set()).update(
            (spec.get("space") or {}) if isinstance(spec, dict) else {})
    return spaces


def importance_fingerprint(runs: pd.DataFrame, problem: str, space: set[str]) -> str:
    """What one problem's importance was fitted from: its runs (key, status, trials, end),
    the hyperparameters and :data:`METHOD`. Another fingerprint: fit it again."""
    mine = runs.loc[runs["problem"] == problem, ["key", "status", "n_trials", "finished_at"]]
    rows = sorted(json.dumps([str(k), str(s), int(n), f if f == f else None])
                  for k, s, n, f in mine.itertuples(index=False))
    text = json.dumps([METHOD, MAX_TRIALS, MIN_TRIALS, sorted(space), rows])
    return hashlib.sha1(text.encode()).hexdigest()


def _fingerprints(runs: pd.DataFrame) -> dict[str, str]:
    return {problem: importance_fingerprint(runs, problem, space)
            for problem, space in problem_spaces(runs).items()}


def stale_importances(store: ResultStore, suite: str, round: str, runs: pd.DataFrame
                      ) -> dict[str, str]:
    """Per problem of ``runs`` whose importance is not stored for exactly these runs: the
    fingerprint it should be stored under."""
    stored = store.importances(suite=suite, round=round)
    return {p: f for p, f in _fingerprints(runs).items() if stored.get(p, ("", None))[0] != f}


def stored_importances(store: ResultStore, suite: str, round: str, runs: pd.DataFrame
                       ) -> dict[str, Importance]:
    """The importances stored for exactly ``runs`` of the suite's round, per problem (a
    problem whose runs changed since its importance was fitted is left out)."""
    stored = store.importances(suite=suite, round=round)
    return {p: Importance.from_record(stored[p][1]) for p, f in _fingerprints(runs).items()
            if p in stored and stored[p][0] == f}


def importance_inputs(trials: pd.DataFrame, problem: str, *, space: set[str],
                      seed: int = 0) -> pd.DataFrame:
    """The trials whose hyperparameters the surrogate learns from: the scored trials of
    ``problem`` over ``space`` (trials of strategies with their own pipelines are left out),
    a random subset of :data:`MAX_TRIALS` above that many; columns params and
    mean_cv_score."""
    subset = trials.loc[(trials["problem"] == problem) & trials["mean_cv_score"].notna(),
                        ["params", "mean_cv_score"]]
    subset = subset[subset["params"].map(lambda p: isinstance(p, dict) and len(p) > 0
                                         and set(p) <= space)]
    if len(subset) > MAX_TRIALS:
        subset = subset.sample(MAX_TRIALS, random_state=seed)
    return subset
