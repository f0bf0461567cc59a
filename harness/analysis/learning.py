"""Learning curve of each problem's best configuration, as its run stored it.

The worker computes the curve after the run's budget (``harness.execution.learning_curve``)
and the run stores it in ``details["learning_curve"]``; this module only picks the run and
reads it, so writing a report never fits a model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

PREDATES = ("the best run was stored by a harness version that did not compute learning "
            "curves with each run")


@dataclass(frozen=True)
class LearningCurve:
    """Train and CV score (mean and std over folds, NaN where every fold failed) against
    training-set size; ``note`` says why there is no curve."""

    problem: str
    strategy: str
    params: dict[str, Any]
    sizes: list[int]
    train_mean: list[float]
    train_std: list[float]
    cv_mean: list[float]
    cv_std: list[float]
    metric: str
    note: str | None = None


def learning_curve_of_best(runs: pd.DataFrame, problem: str) -> LearningCurve:
    """The stored learning curve of the problem's best ``ok`` run (by best CV score) of the
    problem's own model (runs whose best model was a pipeline or ensemble of the strategy's
    own choosing are left out), or a note saying why there is none."""
    scored = runs[(runs["problem"] == problem) & (runs["status"] == "ok")
                  & runs["best_cv_score"].notna()]
    own = [set(run["best_params"] or {}) <= set((run["spec"] or {}).get("space") or {})
           and _stored(run).get("skipped") != "other-model" for _, run in scored.iterrows()]
    scored = scored[own] if len(scored) else scored
    if scored.empty:
        return LearningCurve(problem, "", {}, [], [], [], [], [], "",
                             "no successful run of the problem's own model")
    has_curve = [bool(_stored(run).get("sizes")) for _, run in scored.iterrows()]
    best = scored.assign(_curve=has_curve).sort_values(  # of tied runs, one with a curve
        ["best_cv_score", "_curve"], ascending=False, kind="stable").iloc[0]
    params = dict(best["best_params"] or {})
    stored = _stored(best)
    metric = str(best["metric"])
    if not stored:
        return LearningCurve(problem, str(best["strategy"]), params, [], [], [], [], [],
                             metric, PREDATES)
    if not stored.get("sizes"):
        return LearningCurve(problem, str(best["strategy"]), params, [], [], [], [], [],
                             metric, str(stored.get("note") or PREDATES))
    columns = [[math.nan if v is None else float(v) for v in stored[name]]
               for name in ("train_mean", "train_std", "cv_mean", "cv_std")]
    return LearningCurve(problem, str(best["strategy"]), params,
                         [int(s) for s in stored["sizes"]], *columns,
                         str(stored.get("metric") or metric))


def _stored(run: pd.Series) -> dict[str, Any]:
    return (run["details"] or {}).get("learning_curve") or {}
