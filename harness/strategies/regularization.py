"""Regularization comparison: the penalty kind (none, L2, L1, elastic net) crossed with a
log-spaced range of strengths, on linear models, chosen by CV score only.

Classification uses LogisticRegression (``C``; "none" is ``C=1e6``, as the tutorial's
comparison of C=1e6 against C=1.0); regression uses LinearRegression (none), Ridge (L2),
Lasso (L1) and ElasticNet (``alpha``). Each configuration is a trial with its CV fold
scores, the train score of the fit on the whole train part, the number of non-zero
coefficients, the convergence warnings it raised (counted, not printed), and — for the
report's diagnostic curves only — its held-out test score. The choice never looks at it.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from harness.records import ColumnLayout
from harness.spaces import CategoricalDim, Space
from harness.strategies._options import Option
from harness.strategies._protocol import (
    Deadline,
    Problem,
    SearchOutcome,
    Trial,
    TrialRecorder,
    clean_score,
)

PENALTIES = ("none", "l2", "l1", "elasticnet")
UNREGULARIZED_C = 1e6


def _configs(task: str, penalties: list[str], strengths: list[float],
             l1_ratios: list[float]) -> Iterator[dict[str, Any]]:
    key = "C" if task == "classification" else "alpha"
    if "none" in penalties:
        yield {"penalty": "none"}
    for strength in strengths:
        for penalty in penalties:
            if penalty in ("l2", "l1"):
                yield {"penalty": penalty, key: strength}
            elif penalty == "elasticnet":
                for ratio in l1_ratios:
                    yield {"penalty": penalty, key: strength, "l1_ratio": ratio}


def build_linear(task: str, params: dict[str, Any], *, seed: int, max_iter: int,
                 scale: bool, layout: ColumnLayout | None = None) -> Any:
    """The linear model of a configuration (in a Pipeline with a StandardScaler if ``scale``,
    or the models' preparation step for text categories or missing values in ``layout``)."""
    from sklearn.linear_model import (
        ElasticNet,
        Lasso,
        LinearRegression,
        LogisticRegression,
        Ridge,
    )
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    penalty = params["penalty"]
    if task == "classification":
        ratio = {"none": 0.0, "l2": 0.0, "l1": 1.0}.get(penalty, params.get("l1_ratio", 0.5))
        model = LogisticRegression(
            C=UNREGULARIZED_C if penalty == "none" else params["C"], l1_ratio=ratio,
            solver="lbfgs" if ratio == 0.0 else "saga", max_iter=max_iter, random_state=seed)
    elif penalty == "none":
        model = LinearRegression()
    elif penalty == "l2":
        model = Ridge(alpha=params["alpha"], max_iter=max_iter, random_state=seed)
    elif penalty == "l1":
        model = Lasso(alpha=params["alpha"], max_iter=max_iter, random_state=seed)
    else:
        model = ElasticNet(alpha=params["alpha"], l1_ratio=params["l1_ratio"],
                           max_iter=max_iter, random_state=seed)
    if layout is not None and not layout.plain:
        from harness.models import preparation_step

        return make_pipeline(preparation_step(layout, scale=scale, seed=seed), model)
    return make_pipeline(StandardScaler(), model) if scale else model


def _nonzero(estimator: Any) -> tuple[int, int]:
    model = estimator[-1] if hasattr(estimator, "steps") else estimator
    coef = np.atleast_1d(np.asarray(model.coef_))
    return int(np.count_nonzero(np.abs(coef) > 1e-10)), int(coef.size)


class RegularizationStrategy:
    """Penalty kind (none, L2, L1, elastic net) x strength on linear models.

    It chooses its own (linear) model; the best configuration is chosen by CV score only.
    """

    name: ClassVar[str] = "regularization"
    #: what its runs record as their model (it runs once per dataset, not per model)
    searched_model: ClassVar[str] = "linear"
    requires: ClassVar[str] = "scikit-learn"
    options: ClassVar[dict[str, Option]] = {
        "penalties": Option((list,), None, "penalty kinds to compare (unset: all four)",
                            item_choices=PENALTIES),
        "strengths": Option((int, list), 9, "a count (log-spaced over strength_range) or a "
                            "list of C / alpha values", minimum=1),
        "strength_range": Option((list,), None, "[low, high] of C or alpha (unset: 1e-4 to "
                                 "1e4 for C, 1e-4 to 1e2 for alpha)"),
        "l1_ratios": Option((list,), None, "elastic-net mixes (unset: 0.2, 0.5, 0.8)"),
        "max_iter": Option((int,), 1000, "solver iterations", minimum=1),
        "scale": Option((bool,), True, "standardize features first"),
    }

    def __init__(self, *, penalties: list[str] | None = None, strengths: int | list[float] = 9,
                 strength_range: list[float] | None = None, l1_ratios: list[float] | None = None,
                 max_iter: int = 1000, scale: bool = True):
        self.penalties = list(penalties or PENALTIES)
        self.strengths = strengths
        self.strength_range = strength_range
        self.l1_ratios = list(l1_ratios or [0.2, 0.5, 0.8])
        self.max_iter = max_iter
        self.scale = scale

    def _strengths(self, task: str) -> list[float]:
        if isinstance(self.strengths, list):
            return [float(s) for s in self.strengths]
        low, high = self.strength_range or ([1e-4, 1e4] if task == "classification"
                                            else [1e-4, 1e2])
        return [float(v) for v in np.geomspace(low, high, self.strengths)]

    def outcome_space(self, problem: Problem) -> Space:
        """The configurations it compares: ``penalty``, ``C`` or ``alpha``, ``l1_ratio``."""
        key = "C" if problem.task == "classification" else "alpha"
        return {"penalty": CategoricalDim(tuple(self.penalties)),
                key: CategoricalDim(tuple(self._strengths(problem.task))),
                "l1_ratio": CategoricalDim(tuple(self.l1_ratios))}

    def search(self, problem: Problem, *, deadline: Deadline, seed: int,
               recorder: TrialRecorder) -> SearchOutcome:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.metrics import get_scorer
        from sklearn.model_selection import cross_validate

        scorer = get_scorer(problem.scoring)
        test = None
        if problem.data_dir:  # for the diagnostic curves only, never for the choice
            folder = Path(problem.data_dir)
            test = (np.load(folder / "X_test.npy"), np.load(folder / "y_test.npy"))
        best: tuple[float, dict[str, Any], Any] | None = None
        configs = list(_configs(problem.task, self.penalties, self._strengths(problem.task),
                                self.l1_ratios))
        step_s = 0.0
        for number, params in enumerate(configs):
            if deadline.max_trials is not None and number >= deadline.max_trials:
                break
            if number and not deadline.allows(step_s):
                break
            started = time.time()
            estimator = build_linear(problem.task, params, seed=seed, max_iter=self.max_iter,
                                     scale=self.scale, layout=problem.layout)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                cv = cross_validate(estimator, problem.X, problem.y, scoring=problem.scoring,
                                    cv=problem.splitter(seed), n_jobs=problem.n_jobs,
                                    error_score=np.nan)
                estimator.fit(problem.X, problem.y)
            nonzero, total = _nonzero(estimator)
            info = {"train_score": clean_score(scorer(estimator, problem.X, problem.y)),
                    "n_nonzero": nonzero, "n_coef": total,
                    "convergence_warnings": sum(issubclass(w.category, ConvergenceWarning)
                                                for w in caught)}
            if test is not None:
                info["test_score"] = clean_score(scorer(estimator, *test))
            trial = Trial(number=number, params=params,
                          cv_scores=[clean_score(s) for s in cv["test_score"]],
                          fit_time_s=float(np.sum(cv["fit_time"])),
                          score_time_s=float(np.sum(cv["score_time"])),
                          elapsed_s=deadline.elapsed(), info=info)
            recorder.record(trial)
            step_s = time.time() - started
            score = trial.mean_cv_score
            if score is not None and (best is None or score > best[0]):
                best = (score, params, estimator)
        if best is None:
            raise RuntimeError("no regularization configuration could be scored")
        return SearchOutcome(best_params=best[1], best_cv_score=best[0],
                             details={"configurations": len(configs), "scaled": self.scale},
                             best_estimator=best[2])
