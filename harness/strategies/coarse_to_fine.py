"""Coarse-to-fine: a broad random search, then a refined one around its best point."""

from __future__ import annotations

import math
from typing import ClassVar

from harness.spaces import refine, space_to_dict
from harness.strategies._options import Option
from harness.strategies._protocol import Deadline, Problem, SearchOutcome, TrialRecorder
from harness.strategies.sklearn_search import random_search


class CoarseToFineStrategy:
    """Random search, then a refined random search around the best point.

    ``coarse_fraction`` of the budget goes to the whole space, the rest to a narrower one.
    The fine space keeps ``shrink`` of each numeric range around the coarse best (on the log
    scale for log dimensions), clipped to the original bounds; categoricals are fixed to the
    coarse best's choice.
    """

    name: ClassVar[str] = "coarse-to-fine"
    requires: ClassVar[str] = "scikit-learn"
    options: ClassVar[dict[str, Option]] = {
        "coarse_fraction": Option((float, int), 0.5, "budget share of the coarse stage",
                                  minimum=0.05, maximum=0.95),
        "shrink": Option((float, int), 0.25, "fraction of each range kept for the fine stage",
                         minimum=0.01, maximum=1.0),
    }

    def __init__(self, *, coarse_fraction: float = 0.5, shrink: float = 0.25):
        self.coarse_fraction = coarse_fraction
        self.shrink = shrink

    def search(
        self, problem: Problem, *, deadline: Deadline, seed: int, recorder: TrialRecorder
    ) -> SearchOutcome:
        limit = deadline.max_trials
        coarse_deadline = Deadline(
            started_at=deadline.started_at,
            time_s=deadline.elapsed() + deadline.remaining() * self.coarse_fraction,
            max_trials=max(1, math.ceil(limit * self.coarse_fraction)) if limit else None,
            min_reserve_s=0.0,
        )
        coarse, coarse_log = random_search(
            problem,
            problem.space,
            deadline=coarse_deadline,
            seed=seed,
            recorder=recorder,
            stage="coarse",
        )
        coarse_best = best_of(coarse)
        fine_space = refine(problem.space, coarse_best[0], shrink=self.shrink)
        remaining_trials = limit - coarse_log.n_rows - coarse_log.failed if limit else None
        details = {
            "coarse_trials": coarse_log.n_rows + coarse_log.failed,
            "fine_space": space_to_dict(fine_space),
            "fine_trials": 0,
        }
        best_params, best_score = coarse_best
        if (
            remaining_trials is None or remaining_trials > 0
        ) and deadline.remaining() > 2 * deadline.min_reserve_s:
            fine_deadline = Deadline(
                started_at=deadline.started_at,
                time_s=deadline.time_s,
                max_trials=remaining_trials,
                min_reserve_s=deadline.min_reserve_s,
            )
            fine, fine_log = random_search(
                problem,
                fine_space,
                deadline=fine_deadline,
                seed=seed + 1,
                recorder=recorder,
                stage="fine",
                start_number=coarse_log.next_number,
            )
            details["fine_trials"] = fine_log.n_rows + fine_log.failed
            fine_params, fine_score = best_of(fine)
            if fine_score is not None and (best_score is None or fine_score > best_score):
                best_params, best_score = fine_params, fine_score
        return SearchOutcome(best_params=best_params, best_cv_score=best_score, details=details)


def best_of(search: object) -> tuple[dict, float | None]:
    """(best params in space names, best CV score) of a fitted search."""
    from harness.models import from_pipeline_params
    from harness.strategies._protocol import clean_score

    return (
        from_pipeline_params(search.best_params_),  # type: ignore[attr-defined]
        clean_score(search.best_score_),
    )  # type: ignore[attr-defined]
