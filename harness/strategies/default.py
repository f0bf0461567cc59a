"""The baseline: the model's default hyperparameters, cross-validated once, no tuning."""

from __future__ import annotations

from typing import ClassVar

from harness.strategies._options import Option
from harness.strategies._protocol import (
    Deadline,
    Problem,
    SearchOutcome,
    Trial,
    TrialRecorder,
    clean_score,
)


class DefaultStrategy:
    """The model's defaults, no tuning (the baseline).

    Evaluates the defaults once with the suite's CV; the row every report compares to.
    """

    name: ClassVar[str] = "default"
    requires: ClassVar[str] = "scikit-learn"
    options: ClassVar[dict[str, Option]] = {}

    def search(
        self, problem: Problem, *, deadline: Deadline, seed: int, recorder: TrialRecorder
    ) -> SearchOutcome:
        from sklearn.model_selection import cross_validate

        cv = cross_validate(
            problem.make_estimator(None),
            problem.X,
            problem.y,
            scoring=problem.scoring,
            cv=problem.splitter(seed),
            n_jobs=problem.n_jobs,
            error_score="raise",
        )
        trial = Trial(
            number=0,
            params={},
            cv_scores=[clean_score(s) for s in cv["test_score"]],
            fit_time_s=float(sum(cv["fit_time"])),
            score_time_s=float(sum(cv["score_time"])),
            elapsed_s=deadline.elapsed(),
        )
        recorder.record(trial)
        return SearchOutcome(best_params={}, best_cv_score=trial.mean_cv_score)
