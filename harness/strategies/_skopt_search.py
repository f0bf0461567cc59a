"""scikit-optimize's BayesSearchCV with the budget mixin; imported when a search runs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from skopt import BayesSearchCV
from skopt.utils import point_asdict

from harness.strategies._budgeted import BudgetedSearchMixin


class BudgetedBayesSearchCV(BudgetedSearchMixin, BayesSearchCV):
    """BayesSearchCV that survives candidates whose every fit fails.

    skopt reads the last rows of ``cv_results_`` as the scores of the points it asked
    for; a failed chunk adds no rows, so such points are told a penalty score instead.
    NaN scores (some folds failed) get the same penalty, since a GP cannot take NaN.
    ``model_proposed`` counts the evaluated points the surrogate proposed (those asked after
    the optimizer's random initial points).
    """

    model_proposed: int = 0

    def _step(
        self,
        search_space: Any,
        optimizer: Any,
        score_name: Any,
        evaluate_candidates: Any,
        n_points: int = 1,
    ) -> Any:
        params = optimizer.ask(n_points=n_points)
        # a batch asks one point at a time from a copy told each one: the first
        # ``_n_initial_points`` of them are random, the rest come from the surrogate
        random = min(len(params), max(0, int(optimizer._n_initial_points)))
        params = [[np.array(v).item() for v in p] for p in params]
        params_dict = [point_asdict(search_space, p) for p in params]
        rows_before, recorded_before = self._trial_log.n_rows, self._trial_log.next_number
        try:
            all_results = evaluate_candidates(params_dict)
        finally:  # the cap may stop the search right after the last point is recorded
            evaluated = self._trial_log.next_number - recorded_before
            self.model_proposed += max(0, evaluated - random)
        score_name = score_name or "mean_test_score"
        new_rows = self._trial_log.n_rows - rows_before
        scores = (
            list(all_results[score_name][-new_rows:])
            if new_rows == len(params)
            else [math.nan] * len(params)
        )
        seen = [float(s) for s in all_results.get(score_name, []) if np.isfinite(s)]
        penalty = (min(seen) - abs(min(seen)) - 1.0) if seen else -1e6
        objective = [-(float(s) if np.isfinite(s) else penalty) for s in scores]
        return optimizer.tell(params, objective), score_name
