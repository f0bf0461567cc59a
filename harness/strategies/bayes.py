"""Bayesian optimization with scikit-optimize's BayesSearchCV (Gaussian-process surrogate)."""

from __future__ import annotations

from typing import ClassVar

from harness.models import to_pipeline_params
from harness.spaces import to_skopt
from harness.strategies._options import Option
from harness.strategies._protocol import (
    Deadline,
    Problem,
    SearchOutcome,
    TrialRecorder,
    initial_design,
)
from harness.strategies.sklearn_search import (
    UNBOUNDED_ITER,
    outcome_from_search,
    run_budgeted_search,
    search_kwargs,
)


class BayesStrategy:
    """scikit-optimize BayesSearchCV, Gaussian-process surrogate.

    Asks ``n_jobs`` points at a time until the budget ends. Each run records how many of its
    trials the model proposed (``model_proposed_trials``) after its random initial design
    (``initial_design``).
    """

    name: ClassVar[str] = "bayes"
    requires: ClassVar[str] = "scikit-optimize"
    options: ClassVar[dict[str, Option]] = {
        "n_initial_points": Option((int,), None, "random points before the GP (unset: "
                                   "min(10, max(3, max_trials // 4)), or 10 with no trial "
                                   "cap)", minimum=1),
        "acq_func": Option((str,), "gp_hedge", "acquisition function",
                           choices=("gp_hedge", "EI", "PI", "LCB")),
    }

    def __init__(self, *, n_initial_points: int | None = None, acq_func: str = "gp_hedge"):
        self.n_initial_points = n_initial_points
        self.acq_func = acq_func

    def search(
        self, problem: Problem, *, deadline: Deadline, seed: int, recorder: TrialRecorder
    ) -> SearchOutcome:
        from harness.strategies._skopt_search import BudgetedBayesSearchCV

        n_initial = initial_design(self.n_initial_points, deadline.max_trials)
        search = BudgetedBayesSearchCV(
            problem.make_estimator(None),
            search_spaces=to_pipeline_params(to_skopt(problem.space)),
            n_iter=deadline.max_trials or UNBOUNDED_ITER,
            optimizer_kwargs={
                "base_estimator": "GP",
                "n_initial_points": n_initial,
                "acq_func": self.acq_func,
            },
            n_points=problem.n_jobs,
            random_state=seed,
            **search_kwargs(problem, seed),
        )
        search, log = run_budgeted_search(search, problem, deadline=deadline, recorder=recorder)
        return outcome_from_search(search, log, surrogate="GP", initial_design=n_initial,
                                   model_proposed_trials=search.model_proposed)
