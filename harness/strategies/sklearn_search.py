"""scikit-learn's searches under a budget: grid, random and successive halving."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any, ClassVar

from harness.models import to_pipeline_params
from harness.spaces import Space, to_distributions, to_grid
from harness.strategies._budgeted import TrialLog
from harness.strategies._options import Option
from harness.strategies._protocol import Deadline, Problem, SearchOutcome, TrialRecorder

#: Upper bound on sampled candidates when only the clock limits a random search.
UNBOUNDED_ITER = 100_000


def search_kwargs(problem: Problem, seed: int) -> dict[str, Any]:
    """What every budgeted search shares: scorer, seeded splitter, cores, no refit (the worker
    refits once), NaN for a failed fit."""
    return {"scoring": problem.scoring, "cv": problem.splitter(seed), "n_jobs": problem.n_jobs,
            "refit": False, "error_score": float("nan")}


def run_budgeted_search(
    search: Any,
    problem: Problem,
    *,
    deadline: Deadline,
    recorder: TrialRecorder,
    stage: str | None = None,
    start_number: int = 0,
) -> tuple[Any, TrialLog]:
    """Fit a budgeted ``BaseSearchCV`` on the problem's train part, recording trials."""
    log = TrialLog(recorder, deadline, stage=stage, start_number=start_number)
    search.set_budget(log, chunk_size=problem.n_jobs, max_trials=deadline.max_trials)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The total space of parameters")
        search.fit(problem.X, problem.y)
    return search, log


def outcome_from_search(search: Any, log: TrialLog, **details: Any) -> SearchOutcome:
    """The best configuration of a fitted search, in space names."""
    from harness.models import from_pipeline_params
    from harness.strategies._protocol import clean_score

    return SearchOutcome(
        best_params=from_pipeline_params(search.best_params_),
        best_cv_score=clean_score(search.best_score_),
        details={
            "n_candidates": len(search.cv_results_["params"]),
            "failed_candidates": log.failed,
            **details,
        },
    )


class GridStrategy:
    """GridSearchCV over a grid made from the space (``points`` values per numeric dimension)."""

    name: ClassVar[str] = "grid"
    requires: ClassVar[str] = "scikit-learn"
    options: ClassVar[dict[str, Option]] = {
        "points": Option((int,), 3, "values per numeric dimension", minimum=1),
    }

    def __init__(self, *, points: int = 3):
        self.points = points

    def search(
        self, problem: Problem, *, deadline: Deadline, seed: int, recorder: TrialRecorder
    ) -> SearchOutcome:
        from harness.strategies._searchcv import BudgetedGridSearchCV

        grid = to_pipeline_params(to_grid(problem.space, points=self.points))
        search = BudgetedGridSearchCV(
            problem.make_estimator(None),
            grid,
            **search_kwargs(problem, seed),
        )
        search, log = run_budgeted_search(search, problem, deadline=deadline, recorder=recorder)
        total = 1
        for values in grid.values():
            total *= len(values)
        return outcome_from_search(
            search, log, grid_size=total, completed=log.n_rows + log.failed >= total
        )


class RandomStrategy:
    """RandomizedSearchCV drawing from scipy.stats distributions until the budget ends."""

    name: ClassVar[str] = "random"
    requires: ClassVar[str] = "scikit-learn"
    options: ClassVar[dict[str, Option]] = {
        "n_iter": Option((int,), None, "candidates to draw (unset: until the budget or "
                         "max_trials ends)", minimum=1),
    }

    def __init__(self, *, n_iter: int | None = None):
        self.n_iter = n_iter

    def search(
        self, problem: Problem, *, deadline: Deadline, seed: int, recorder: TrialRecorder
    ) -> SearchOutcome:
        search, log = random_search(
            problem,
            problem.space,
            deadline=deadline,
            seed=seed,
            recorder=recorder,
            n_iter=self.n_iter,
        )
        return outcome_from_search(search, log)


def random_search(
    problem: Problem,
    space: Space,
    *,
    deadline: Deadline,
    seed: int,
    recorder: TrialRecorder,
    n_iter: int | None = None,
    stage: str | None = None,
    start_number: int = 0,
) -> tuple[Any, TrialLog]:
    """A budgeted random search over ``space``; returns the fitted search and its trial log."""
    from harness.strategies._searchcv import BudgetedRandomizedSearchCV

    limit = n_iter or deadline.max_trials or UNBOUNDED_ITER
    search = BudgetedRandomizedSearchCV(
        problem.make_estimator(None),
        to_pipeline_params(to_distributions(space)),
        n_iter=limit,
        random_state=seed,
        **search_kwargs(problem, seed),
    )
    return run_budgeted_search(
        search,
        problem,
        deadline=deadline,
        recorder=recorder,
        stage=stage,
        start_number=start_number,
    )


class HalvingStrategy:
    """HalvingRandomSearchCV (successive halving over n_samples).

    Many candidates on few samples, the best ``1/factor`` of them on ``factor`` times more.
    When its last rung did not use the whole train part (the budget or the trial cap ended
    it early, or the schedule stops short of it), the chosen configuration is
    cross-validated once more on the whole train part, so its best CV score compares with
    other strategies'; one trial of ``max_trials`` is kept for that.
    """

    name: ClassVar[str] = "halving"
    requires: ClassVar[str] = "scikit-learn"
    options: ClassVar[dict[str, Option]] = {
        "factor": Option((int,), 3, "elimination factor", minimum=2),
        "n_candidates": Option((int, str), "exhaust", "first-round candidates (exhaust: as "
                               "many as the samples allow)", minimum=1, choices=("exhaust",)),
        "min_resources": Option((int, str), "auto", "first-round samples (auto: 20 per CV "
                                "test fold, at most a third of the train part)", minimum=1,
                                choices=("auto", "smallest", "exhaust")),
    }

    def __init__(
        self,
        *,
        factor: int = 3,
        n_candidates: int | str = "exhaust",
        min_resources: int | str = "auto",
    ):
        self.factor = factor
        self.n_candidates = n_candidates
        self.min_resources = min_resources

    def _min_resources(self, problem: Problem) -> int | str:
        """``auto``: at least 20 samples and two per class in each CV test fold, capped at a
        third of the train part."""
        if self.min_resources != "auto":
            return self.min_resources
        n_classes = len(set(problem.y.tolist())) if problem.task == "classification" else 1
        wanted = max(20 * problem.cv, 2 * problem.cv * n_classes)
        return max(2 * problem.cv * n_classes, min(wanted, len(problem.y) // 3))

    def search(
        self, problem: Problem, *, deadline: Deadline, seed: int, recorder: TrialRecorder
    ) -> SearchOutcome:
        from harness.strategies._searchcv import BudgetedHalvingRandomSearchCV

        search = BudgetedHalvingRandomSearchCV(
            problem.make_estimator(None),
            to_pipeline_params(to_distributions(problem.space)),
            n_candidates=self.n_candidates,
            factor=self.factor,
            min_resources=self._min_resources(problem),
            resource="n_samples",
            random_state=seed,
            **search_kwargs(problem, seed),
        )
        capped = deadline
        if deadline.max_trials is not None and deadline.max_trials >= 2:
            # one trial of the cap is kept for the full-fidelity evaluation
            capped = dataclasses.replace(deadline, max_trials=deadline.max_trials - 1)
        search, log = run_budgeted_search(search, problem, deadline=capped, recorder=recorder)
        rungs = [int(n) for n in getattr(search, "n_resources_", [])]
        outcome = outcome_from_search(search, log, n_iterations=len(rungs), n_resources=rungs)
        if not rungs or rungs[-1] < len(problem.y):  # chosen on a subsample: score it on all
            outcome.best_cv_score = full_fidelity_score(
                problem, outcome.best_params, seed=seed, log=log, iteration=len(rungs))
            outcome.details["full_fidelity_evaluation"] = True
        return outcome


def full_fidelity_score(problem: Problem, params: dict[str, Any], *, seed: int, log: TrialLog,
                        iteration: int) -> float | None:
    """Cross-validate ``params`` on the whole train part (the run's splitter and scorer),
    record it as a full-fidelity trial and return its mean score (None if a fold failed)."""
    import numpy as np
    from sklearn.model_selection import cross_validate

    from harness.records import Trial
    from harness.strategies._protocol import clean_score

    cv = cross_validate(problem.make_estimator(params), problem.X, problem.y,
                        scoring=problem.scoring, cv=problem.splitter(seed),
                        n_jobs=problem.n_jobs, error_score=np.nan)
    trial = Trial(number=0, params=dict(params),
                  cv_scores=[clean_score(s) for s in cv["test_score"]],
                  fit_time_s=float(np.sum(cv["fit_time"])),
                  score_time_s=float(np.sum(cv["score_time"])),
                  elapsed_s=log.deadline.elapsed(),
                  fidelity={"n_samples": len(problem.y), "iteration": iteration},
                  info={"full_fidelity": True, "stage": "full-fidelity"})
    log.add(trial)
    return trial.mean_cv_score
