"""Hyperparameter importance from the recorded trials: a random-forest surrogate of the CV
score, its permutation importance, and partial dependence on the top hyperparameters."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_TRIALS = 10
MAX_TRIALS = 600  # a random subset above this keeps the report fast
_FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class Dependence:
    """Partial dependence of the predicted CV score on one hyperparameter."""

    name: str
    values: list[float | str]
    score: list[float]
    categorical: bool


@dataclass(frozen=True)
class Importance:
    problem: str
    n_trials: int
    importances: list[tuple[str, float, float]]  # (name, mean, std), most important first
    dependence: list[Dependence]
    surrogate_r2: float | None
    note: str | None


def _encode(params: pd.Series) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    frame = pd.DataFrame(list(params))
    categories: dict[str, list[str]] = {}
    for column in frame.columns:
        numeric = pd.to_numeric(frame[column], errors="coerce")
        if numeric.notna().sum() == frame[column].notna().sum() and \
                not frame[column].map(lambda v: isinstance(v, bool)).any():
            # the surrogate's trees split in float32: a value beyond it is a missing one
            frame[column] = numeric.astype(float).where(numeric.abs() <= _FLOAT32_MAX)
        else:
            labels = sorted({str(v) for v in frame[column]})
            categories[column] = labels
            frame[column] = frame[column].map(lambda v, lab=labels: float(lab.index(str(v))))
    return frame, categories


def hyperparameter_importance(trials: pd.DataFrame, problem: str, *, space: set[str],
                              top: int = 2, seed: int = 0) -> Importance:
    """Importance of each hyperparameter of ``space`` on ``problem`` from all the scored
    trials over that space (trials of strategies with their own pipelines are left out)."""
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.inspection import partial_dependence, permutation_importance

    subset = trials[(trials["problem"] == problem) & trials["mean_cv_score"].notna()]
    subset = subset[subset["params"].map(lambda p: isinstance(p, dict) and len(p) > 0
                                         and set(p) <= space)]
    if len(subset) > MAX_TRIALS:
        subset = subset.sample(MAX_TRIALS, random_state=seed)
    if len(subset) < MIN_TRIALS:
        return Importance(problem, len(subset), [], [], None,
                          f"{len(subset)} scored trial(s) with hyperparameters; at least "
                          f"{MIN_TRIALS} are needed")
    X, categories = _encode(subset["params"])
    varying = [c for c in X.columns if X[c].nunique(dropna=True) > 1]
    if not varying:
        return Importance(problem, len(subset), [], [], None,
                          "no hyperparameter varied across the trials")
    X = X[varying]
    y = subset["mean_cv_score"].to_numpy(float)
    model = RandomForestRegressor(n_estimators=30, min_samples_leaf=2, random_state=seed,
                                  n_jobs=1).fit(X, y)
    result = permutation_importance(model, X, y, n_repeats=3, random_state=seed, n_jobs=1)
    order = np.argsort(-result.importances_mean)
    importances = [(varying[i], float(result.importances_mean[i]),
                    float(result.importances_std[i])) for i in order]
    dependence = []
    for name, _, _ in importances[:top]:
        column = varying.index(name)
        is_cat = name in categories
        pd_result = partial_dependence(model, X, [column], grid_resolution=20,
                                       kind="average", categorical_features=[column]
                                       if is_cat else None)
        grid = pd_result["grid_values"][0]
        values: list[float | str] = ([categories[name][int(v)] for v in grid] if is_cat
                                     else [float(v) for v in grid])
        dependence.append(Dependence(name, values,
                                     [float(v) for v in pd_result["average"][0]], is_cat))
    return Importance(problem, len(subset), importances, dependence,
                      float(model.score(X, y)), None)
