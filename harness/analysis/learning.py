"""Learning curve of the configuration the verdict names on each problem, as its run stored it.

The worker computes the curve after the run's budget (``harness.execution.learning_curve``)
and the run stores it in ``details["learning_curve"]``; this module only picks the run and
reads it, so writing a report never fits a model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from harness.analysis.contenders import contender_labels
from harness.records import RunStatus

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


def _own_model_runs(runs: pd.DataFrame, problem: str) -> pd.DataFrame:
    """The problem's ``ok`` runs of its own model (runs whose best model was a pipeline or
    ensemble of the strategy's own choosing are left out)."""
    scored = runs[(runs["problem"] == problem) & (runs["status"] == RunStatus.OK)]
    own = [set(run["best_params"] or {}) <= set((run["spec"] or {}).get("space") or {})
           and _stored(run).get("skipped") != "other-model" for _, run in scored.iterrows()]
    return scored[own] if len(scored) else scored


def _curve(best: pd.Series, problem: str, strategy: str | None = None) -> LearningCurve:
    params = dict(best["best_params"] or {})
    stored = _stored(best)
    metric = str(best["metric"])
    name = strategy or str(best["strategy"])
    if not stored or not stored.get("sizes"):
        return LearningCurve(problem, name, params, [], [], [], [], [], metric,
                             str(stored.get("note") or PREDATES))
    columns = [[math.nan if v is None else float(v) for v in stored[key]]
               for key in ("train_mean", "train_std", "cv_mean", "cv_std")]
    return LearningCurve(problem, name, params, [int(s) for s in stored["sizes"]], *columns,
                         str(stored.get("metric") or metric))


def _best_with_curve(runs: pd.DataFrame, score: str) -> pd.Series:
    """Of the runs, the best by ``score``; of tied runs, one with a curve."""
    has_curve = [bool(_stored(run).get("sizes")) for _, run in runs.iterrows()]
    return runs.assign(_curve=has_curve).sort_values(
        [score, "_curve"], ascending=False, kind="stable").iloc[0]


def learning_curve_of_best(runs: pd.DataFrame, problem: str) -> LearningCurve:
    """The stored learning curve of the problem's best ``ok`` run (by best CV score) of the
    problem's own model, or a note saying why there is none."""
    scored = _own_model_runs(runs, problem)
    scored = scored[scored["best_cv_score"].notna()]
    if scored.empty:
        return LearningCurve(problem, "", {}, [], [], [], [], [], "",
                             "no successful run of the problem's own model")
    return _curve(_best_with_curve(scored, "best_cv_score"), problem)


def learning_curve_of(runs: pd.DataFrame, problem: str, named: list[str]) -> LearningCurve:
    """The stored learning curve of the contender the verdict names (``named``: its pick,
    or its tie group best first; the first of them with a curve on ``problem``), from its
    run of the problem's own model with the best test score; ``strategy`` is the contender.
    ``note`` says why the contenders before it (or all of them) have none."""
    if not named:
        return LearningCurve(problem, "", {}, [], [], [], [], [], "",
                             "the verdict names no contender for this problem")
    labelled = runs.assign(_contender=contender_labels(runs))
    ran = set(labelled.loc[labelled["problem"] == problem, "_contender"])
    own = _own_model_runs(labelled, problem)
    own = own[own["test_score"].notna()]
    why: dict[str, list[str]] = {}
    for contender in named:
        mine = own[own["_contender"] == contender]
        if mine.empty:
            reason = ("did not run on this problem" if contender not in ran else
                      "no successful run of this problem's own model (a strategy that "
                      "chooses its own model gets no curve)")
            why.setdefault(reason, []).append(contender)
            continue
        curve = _curve(_best_with_curve(mine, "test_score"), problem, contender)
        if curve.sizes:
            return replace(curve, note=_notes(why))
        why.setdefault(str(curve.note), []).append(contender)
    return LearningCurve(problem, named[0], {}, [], [], [], [], [], "", _notes(why))


def _notes(why: dict[str, list[str]]) -> str | None:
    return "; ".join(f"{', '.join(names)}: {reason}" for reason, names in why.items()) or None


def _stored(run: pd.Series) -> dict[str, Any]:
    return (run["details"] or {}).get("learning_curve") or {}
