"""One configuration cross-validated and recorded as a trial, for strategies that drive their
own ask/evaluate/tell loop (Hyperopt, SMAC3).

:class:`TrialRunner` evaluates a configuration with the suite's scorer on the run's seeded
CV splits, optionally at a reduced fidelity (each fold's model fit on a stratified share of
its training rows, scored on the whole held-out fold), records the trial the moment it
finishes and answers the budget questions between evaluations with the reserve rule of the
scikit-learn searches (``_budgeted.py``): a step starts only when it fits before the deadline
minus twice the longest single fit seen.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from harness.strategies._protocol import (
    Deadline,
    Problem,
    SearchOutcome,
    Trial,
    TrialRecorder,
    clean_score,
)

#: How a trial's configuration was proposed (``Trial.info["proposed_by"]``).
INITIAL, MODEL, RANDOM = "initial design", "model", "random"


def _stratified_order(indices: np.ndarray, y: np.ndarray, classification: bool,
                      rng: np.random.Generator) -> np.ndarray:
    """``indices`` shuffled so that every prefix holds the classes in their proportions."""
    order = rng.permutation(indices)
    if not classification:
        return order
    _, labels = np.unique(y[order], return_inverse=True)
    rank = np.empty(len(order))
    for label in np.unique(labels):
        where = np.flatnonzero(labels == label)
        rank[where] = (np.arange(len(where)) + 0.5) / len(where)
    return order[np.argsort(rank, kind="stable")]


class TrialRunner:
    """Cross-validates configurations on ``problem``, records them, tracks the budget."""

    def __init__(self, problem: Problem, *, deadline: Deadline, seed: int,
                 recorder: TrialRecorder):
        self.problem = problem
        self.deadline = deadline
        self.recorder = recorder
        self.splits = list(problem.splitter(seed).split(problem.X, problem.y))
        rng = np.random.default_rng(seed)
        classification = problem.task == "classification"
        self._orders = [_stratified_order(train, problem.y, classification, rng)
                        for train, _ in self.splits]
        self.trials: list[Trial] = []
        self.max_fit_s = 0.0  # the longest single fit, scaled to the whole train part
        self.last_step_s = 0.0  # from the end of the previous trial to the end of the last
        self.last_eval_s = 0.0  # the last trial's cross-validation alone
        self._last_end = time.time()

    @property
    def n_samples(self) -> int:
        """Rows of the train part: the full fidelity."""
        return len(self.problem.y)

    def folds(self, n_samples: int | None) -> list[tuple[np.ndarray, np.ndarray]]:
        """The CV splits, each fold's training rows cut to the share ``n_samples`` is of the
        train part (the same rows at every call; all of them at full fidelity)."""
        if n_samples is None or n_samples >= self.n_samples:
            return self.splits
        share = n_samples / self.n_samples
        return [(np.sort(order[:max(2, round(share * len(order)))]), test)
                for order, (_, test) in zip(self._orders, self.splits, strict=True)]

    def evaluate(self, params: Mapping[str, Any], *, n_samples: int | None = None,
                 info: Mapping[str, Any] | None = None) -> Trial:
        """Cross-validate ``params`` (at ``n_samples`` rows, if given), record the trial and
        return it; a configuration that fails to fit gives a trial with its error."""
        from sklearn.model_selection import cross_validate

        started = time.time()
        folds = self.folds(n_samples)
        error = None
        try:
            cv = cross_validate(self.problem.make_estimator(dict(params)), self.problem.X,
                                self.problem.y, scoring=self.problem.scoring, cv=folds,
                                n_jobs=self.problem.n_jobs, error_score="raise")
            scores = [clean_score(s) for s in cv["test_score"]]
            fit_s, score_s = cv["fit_time"], cv["score_time"]
        except Exception as exc:  # the configuration failed, not the search
            error = f"{type(exc).__name__}: {exc}"[-2000:]
            scores, fit_s, score_s = [None] * len(folds), [0.0], [0.0]
        scale = self.n_samples / n_samples if n_samples else 1.0
        self.max_fit_s = max(self.max_fit_s, float(np.max(fit_s)) * scale)
        trial = Trial(number=len(self.trials), params=dict(params), cv_scores=scores,
                      fit_time_s=float(np.sum(fit_s)), score_time_s=float(np.sum(score_s)),
                      elapsed_s=self.deadline.elapsed(),
                      fidelity=None if n_samples is None else {"n_samples": int(n_samples)},
                      info=dict(info or {}), error=error)
        self.recorder.record(trial)
        self.trials.append(trial)
        now = time.time()
        self.last_step_s, self._last_end = now - self._last_end, now
        self.last_eval_s = now - started
        return trial

    def slots_left(self) -> int | None:
        """Trials left before the run's trial cap (None: no cap)."""
        cap = self.deadline.max_trials
        return None if cap is None else cap - len(self.trials)

    def at_cap(self) -> bool:
        """Whether the run's trial cap is reached."""
        left = self.slots_left()
        return left is not None and left <= 0

    def allows(self, next_step_s: float | None = None, *, extra_reserve_s: float = 0.0) -> bool:
        """Whether another step (by default as long as the last) fits before the deadline,
        keeping twice the longest fit (plus ``extra_reserve_s``) for the refit. The first
        step always runs."""
        if not self.trials:
            return True
        step = self.last_step_s if next_step_s is None else next_step_s
        return self.deadline.allows(step, reserve_s=2.0 * self.max_fit_s + extra_reserve_s)

    def best(self, *, n_samples: int | None = None) -> Trial | None:
        """The highest-scoring trial (at ``n_samples`` rows only, when given), or None."""
        scored = [t for t in self.trials if t.mean_cv_score is not None
                  and (n_samples is None or (t.fidelity or {}).get("n_samples") == n_samples)]
        return max(scored, key=lambda t: t.mean_cv_score or 0.0, default=None)

    def outcome(self, best: Trial | None = None, **details: Any) -> SearchOutcome:
        """The search's result from ``best`` (default: the best trial), with ``details``
        plus the count of trials and of failed ones; raises when every trial failed."""
        best = best or self.best()
        if best is None:
            first = next((t.error for t in self.trials if t.error), "no score")
            raise RuntimeError(f"all {len(self.trials)} trial(s) failed; first error:\n{first}")
        proposed = [t.info.get("proposed_by") for t in self.trials]
        return SearchOutcome(best_params=dict(best.params), best_cv_score=best.mean_cv_score,
                             details={"n_candidates": len(self.trials),
                                      "failed_candidates": sum(t.error is not None
                                                               for t in self.trials),
                                      "model_proposed_trials": proposed.count(MODEL),
                                      **details})
