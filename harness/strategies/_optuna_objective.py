"""An Optuna study over a problem's CV folds, under the run's deadline and trial cap.

:class:`FoldObjective` is the objective every Optuna strategy shares: it asks the trial
for a configuration, scores it on the run's seeded CV folds and records it as a harness
trial the moment it ends. With ``prune`` it scores the folds in batches of ``n_jobs``,
reports the running mean after each fold as the intermediate value (step = folds scored)
and stops when the pruner says so: the pruned trial is recorded with the fold scores it
has and its fidelity ``{"folds": k}``; complete trials have ``{"folds": cv}``.

:func:`run_study` applies the budget the way the other strategies do: ``n_trials`` is the
trial cap; before the next trial, a callback stops the study unless a trial as long as the
last one (the last complete one, when trials are pruned) still fits before the deadline
minus a reserve of twice the longest single fit, kept for the worker's refit; and
``timeout`` ends it at the deadline minus the minimum reserve in any case.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.strategies._optuna_space import suggest, to_optuna
from harness.strategies._protocol import (
    Deadline,
    Problem,
    SearchOutcome,
    Trial,
    TrialRecorder,
    clean_score,
)

#: Says, from the study, whether the trial starting now is proposed by the sampler's model
#: (True) or by its initial design (False).
ModelRule = Callable[[Any], bool]


@dataclass
class _Folds:
    """The scores and times of some CV folds of one configuration."""

    scores: list[float | None]
    fit_s: float = 0.0
    score_s: float = 0.0
    max_fit_s: float = 0.0
    error: str | None = None

    @property
    def failed(self) -> bool:
        return any(s is None for s in self.scores)


def score_folds(estimator: Any, problem: Problem, splits: list[Any], n_jobs: int) -> _Folds:
    """The configuration's score on each of ``splits`` (None where its fit failed)."""
    from sklearn.exceptions import FitFailedWarning
    from sklearn.model_selection import cross_validate

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FitFailedWarning)
        try:
            cv = cross_validate(estimator, problem.X, problem.y, scoring=problem.scoring,
                                cv=splits, n_jobs=min(n_jobs, len(splits)),
                                error_score=np.nan)
        except ValueError as exc:  # every fit failed
            if "fits failed" not in str(exc):
                raise
            return _Folds([None] * len(splits), error=str(exc).strip()[-2000:])
    failures = [str(w.message) for w in caught if issubclass(w.category, FitFailedWarning)]
    fits = [float(t) for t in cv["fit_time"]]
    return _Folds([clean_score(s) for s in cv["test_score"]], fit_s=sum(fits),
                  score_s=float(np.sum(cv["score_time"])), max_fit_s=max(fits),
                  error=failures[0].strip()[-2000:] if failures else None)


class FoldObjective:
    """The objective: one configuration on the CV folds, recorded as one harness trial."""

    def __init__(self, problem: Problem, *, seed: int, deadline: Deadline,
                 recorder: TrialRecorder, by_model: ModelRule | None, prune: bool = False):
        self.problem = problem
        self.distributions = to_optuna(problem.space)
        self.splits = list(problem.splitter(seed).split(problem.X, problem.y))
        self.deadline = deadline
        self.recorder = recorder
        self.by_model = by_model
        self.prune = prune
        self.model_proposed = 0
        self.max_fit_s = 0.0  # the longest single fit so far (the refit's reserve)
        self.full_step_s = 0.0  # the wall time of the last trial that scored every fold
        self.last_state = ""
        self.first_error: str | None = None
        self._step_started = time.time()  # sampling time counts: a GP's can be seconds

    def _batches(self) -> Iterator[list[Any]]:
        size = max(1, self.problem.n_jobs) if self.prune else len(self.splits)
        for start in range(0, len(self.splits), size):
            yield self.splits[start:start + size]

    def __call__(self, trial: Any) -> float:
        import optuna

        proposed = None
        if self.by_model is not None:
            proposed = "model" if self.by_model(trial.study) else "initial design"
            self.model_proposed += int(proposed == "model")
        params = suggest(trial, self.distributions)
        estimator = self.problem.make_estimator(params)
        folds = _Folds([])
        pruned = False
        for batch in self._batches():
            part = score_folds(estimator, self.problem, batch, self.problem.n_jobs)
            folds = _Folds(folds.scores + part.scores, folds.fit_s + part.fit_s,
                           folds.score_s + part.score_s, max(folds.max_fit_s, part.max_fit_s),
                           folds.error or part.error)
            if folds.failed:
                break
            if self.prune:
                for step in range(len(folds.scores) - len(part.scores), len(folds.scores)):
                    trial.report(float(np.mean(folds.scores[:step + 1])), step + 1)
                if len(folds.scores) < len(self.splits) and trial.should_prune():
                    pruned = True
                    break
        state = "failed" if folds.failed else "pruned" if pruned else "complete"
        self._record(trial.number, params, folds, state, proposed)
        self._account(folds, state)
        if pruned:
            raise optuna.TrialPruned(f"pruned after {len(folds.scores)} fold(s)")
        return float("nan") if folds.failed else float(np.mean(folds.scores))

    def _record(self, number: int, params: dict[str, Any], folds: _Folds, state: str,
                proposed: str | None) -> None:
        info: dict[str, Any] = {"state": state}
        if proposed is not None:
            info["proposed_by"] = proposed
        if self.prune:  # a pruned trial's mean over its first folds is a partial score
            info["full_fidelity"] = len(folds.scores) == len(self.splits)
        self.recorder.record(Trial(
            number=number, params=params, cv_scores=folds.scores, fit_time_s=folds.fit_s,
            score_time_s=folds.score_s, elapsed_s=self.deadline.elapsed(),
            fidelity={"folds": len(folds.scores)} if self.prune else None,
            info=info,
            error=folds.error if folds.failed else None))

    def _account(self, folds: _Folds, state: str) -> None:
        self.last_state = state
        self.max_fit_s = max(self.max_fit_s, folds.max_fit_s)
        if folds.failed and self.first_error is None:
            self.first_error = folds.error

    def start(self) -> None:
        """Mark the start of the first trial (its sampling included)."""
        self._step_started = time.time()

    def stop_at_deadline(self, study: Any, _trial: Any) -> None:
        """The study callback after each trial: stop unless a trial as long as the last one
        (the last complete one, if longer) still fits before the deadline minus the reserve."""
        now = time.time()
        step_s, self._step_started = now - self._step_started, now
        if self.last_state == "complete":
            self.full_step_s = step_s
        if not self.deadline.allows(max(step_s, self.full_step_s),
                                    reserve_s=2.0 * self.max_fit_s):
            study.stop()


@contextlib.contextmanager
def quiet_optuna() -> Iterator[None]:
    """Optuna's logging at warnings only; its experimental-feature warnings silenced."""
    import optuna

    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield
    finally:
        optuna.logging.set_verbosity(verbosity)


def run_study(objective: FoldObjective, *, sampler: Any, pruner: Any = None) -> Any:
    """Optimize ``objective`` (maximize the mean CV score) under its deadline; the study."""
    import optuna

    deadline = objective.deadline
    with quiet_optuna():
        study = optuna.create_study(direction="maximize", sampler=sampler,
                                    pruner=pruner or optuna.pruners.NopPruner(),
                                    study_name="harness")  # Hyperband's brackets hash it
        objective.start()
        study.optimize(objective, n_trials=deadline.max_trials,
                       timeout=max(0.0, deadline.remaining() - deadline.min_reserve_s),
                       callbacks=[objective.stop_at_deadline])
    return study


def study_outcome(study: Any, objective: FoldObjective, **details: Any) -> SearchOutcome:
    """The best complete (every-fold) trial of the study, with its counts."""
    from optuna.trial import TrialState

    states = [t.state for t in study.trials]
    complete = states.count(TrialState.COMPLETE)
    if not complete:
        reason = f"; first error:\n{objective.first_error}" if objective.first_error else ""
        spent = objective.deadline.elapsed()
        raise RuntimeError(f"no trial scored on every fold ({len(states)} tried; {spent:.1f} s "
                           f"of the {objective.deadline.time_s:g} s budget spent){reason}")
    best = study.best_trial
    if objective.by_model is not None:
        details = {"model_proposed_trials": objective.model_proposed, **details}
    return SearchOutcome(
        best_params=dict(best.params), best_cv_score=float(best.value),
        details={"n_trials": len(states), "complete_trials": complete,
                 "pruned_trials": states.count(TrialState.PRUNED),
                 "failed_trials": states.count(TrialState.FAIL),
                 **details})
