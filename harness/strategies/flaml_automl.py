"""FLAML's AutoML under the run's budget and metric, its trial log streamed as trials."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from harness.plain import JsonLinesFollower, to_plain
from harness.spaces import CategoricalDim, Space
from harness.strategies._options import Option
from harness.strategies._protocol import (
    Deadline,
    Problem,
    SearchOutcome,
    Trial,
    TrialRecorder,
)


class _LogTail(threading.Thread):
    """Follows FLAML's JSON-lines trial log while it is written; one trial per record."""

    def __init__(self, path: Path, on_record: Any):
        super().__init__(name="flaml-log", daemon=True)
        self.follower = JsonLinesFollower(path)
        self.on_record = on_record
        self.done = threading.Event()

    def run(self) -> None:
        while True:
            finished = self.done.is_set()  # read once more after fit has returned
            for record in self.follower.read_new():
                self.on_record(record)
            if finished:
                break
            time.sleep(0.05)


#: FLAML's learners that ``estimator_list`` may name (and ``auto`` chooses from).
LEARNERS = ("lgbm", "rf", "xgboost", "extra_tree", "xgb_limitdepth", "lrl1", "kneighbor", "sgd")


def _scorer_metric(scoring: str) -> Any:
    """A FLAML custom metric that is the scikit-learn scorer, as a loss (its negative)."""
    from sklearn.metrics import get_scorer

    from harness.strategies._fitted_view import fitted_view

    scorer = get_scorer(scoring)

    def metric(X_val: Any, y_val: Any, estimator: Any, labels: Any, X_train: Any, y_train: Any,
               *args: Any, **kwargs: Any) -> tuple[float, dict[str, float]]:
        view = fitted_view(estimator, "classification" if labels is not None else "regression",
                           labels)
        score = float(scorer(view, X_val, y_val))
        return -score, {"score": score}

    return metric


class FlamlStrategy:
    """FLAML AutoML (cost-frugal search over lgbm, xgboost, rf, ...).

    ``AutoML.fit`` with the suite's metric (as a custom metric), CV folds, seed and cores;
    its trial log (``log_type="all"``) is followed and recorded trial by trial. FLAML picks
    the learner itself, and its choices depend on measured fit times (not repeatable).
    """

    name: ClassVar[str] = "flaml"
    #: what its runs record as their model (it runs once per dataset, not per model)
    searched_model: ClassVar[str] = "automl"
    requires: ClassVar[str] = "flaml[automl]"
    deterministic: ClassVar[bool] = False
    options: ClassVar[dict[str, Option]] = {
        "estimator_list": Option((list, str), "auto", "FLAML learners to search",
                                 choices=("auto",), item_choices=LEARNERS),
        "reserve_fraction": Option((float, int), 0.15, "budget share kept for the final "
                                   "retrain", minimum=0.0, maximum=0.9),
    }

    def __init__(self, *, estimator_list: list[str] | str = "auto", reserve_fraction: float = 0.15):
        self.estimator_list = estimator_list
        self.reserve_fraction = reserve_fraction

    def outcome_space(self, problem: Problem) -> Space:
        """It chooses its own model: ``learner``, the rest are that learner's settings."""
        learners = LEARNERS if self.estimator_list == "auto" else self.estimator_list
        return {"learner": CategoricalDim(tuple(learners))}

    def search(self, problem: Problem, *, deadline: Deadline, seed: int,
               recorder: TrialRecorder) -> SearchOutcome:
        from flaml import AutoML

        from harness.strategies._fitted_view import fitted_view, typed_frame

        remaining = deadline.remaining()
        time_budget = max(1.0, remaining * (1 - self.reserve_fraction) - 1.0)
        log_path = Path.cwd() / "flaml-trials.jsonl"
        log_path.unlink(missing_ok=True)
        fit_started = deadline.elapsed()
        recorded: list[int] = []

        def on_record(record: dict[str, Any]) -> None:
            if "validation_loss" not in record or "config" not in record:
                return
            loss = record["validation_loss"]
            score = -float(loss) if loss is not None and np.isfinite(loss) else None
            recorded.append(1)
            sample = int(record["sample_size"]) if record.get("sample_size") else None
            info: dict[str, Any] = {"folds": "FLAML reports the mean over folds only"}
            if sample is not None:  # FLAML subsamples large data in its first trials
                info["full_fidelity"] = sample >= len(problem.y)
            recorder.record(Trial(
                number=len(recorded) - 1,
                params={"learner": record.get("learner"), **record["config"]},
                cv_scores=[score], fit_time_s=float(record.get("trial_time") or 0.0),
                score_time_s=0.0,
                elapsed_s=fit_started + float(record.get("wall_clock_time") or 0.0),
                fidelity=None if sample is None else {"n_samples": sample}, info=info))

        tail = _LogTail(log_path, on_record)
        tail.start()
        automl = AutoML()
        try:
            automl.fit(typed_frame(problem.X, problem.layout), problem.y, task=problem.task,
                       metric=_scorer_metric(problem.scoring), time_budget=time_budget,
                       eval_method="cv", n_splits=problem.cv, seed=seed, n_jobs=problem.n_jobs,
                       estimator_list=self.estimator_list, log_file_name=str(log_path),
                       log_type="all", verbose=0, retrain_full=True,
                       max_iter=deadline.max_trials)
        finally:
            tail.done.set()
            tail.join(timeout=10)
        if automl.best_estimator is None:
            raise RuntimeError(f"FLAML found no model within {time_budget:.1f} s")
        classes = getattr(automl, "classes_", None)
        return SearchOutcome(
            best_params={"learner": automl.best_estimator, **to_plain(automl.best_config)},
            best_cv_score=-float(automl.best_loss),
            details={"n_models_tried": len(recorded), "ensemble_size": 1,
                     "best_learner": automl.best_estimator, "time_budget_s": round(time_budget,
                                                                                  2)},
            best_estimator=fitted_view(automl, problem.task, classes, problem.layout))

