"""Fitting hyperparameter importance once a suite's runs end, and storing it.

Per problem of a suite's round: a random-forest surrogate of the CV score fitted on every
scored trial over the problem's search spaces, its permutation importance and partial
dependence on the top hyperparameters (``analysis.importance`` reads what is stored; a report
never fits a model). The runner fits it when a suite's runs end; ``harness report`` fits
whatever is missing or stale first (runs added or replaced since, a store written before).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.analysis import load_suite_data, suite_runs
from harness.analysis.importance import (
    MIN_TRIALS,
    Dependence,
    Importance,
    importance_inputs,
    problem_spaces,
    stale_importances,
)
from harness.store import ResultStore

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def store_importances(store: ResultStore, suite: str, *, round: str | None = None) -> float:
    """Fit and store the importance of every problem of the suite's round (default: the
    latest) that has none stored for its current runs; returns the seconds it took (0.0
    when all were stored: that check reads the runs only)."""
    started = time.perf_counter()
    round, fits = _stale_fits(store, suite, round)
    store.save_importances(suite=suite, round=round, fits=fits)
    return time.perf_counter() - started if fits else 0.0


def fill_in(db: str | Path, suite: str | None) -> str | None:
    """:func:`store_importances` for the suite in ``db`` (default: the one run last) before
    its report is written; what kept it from storing them (a read-only database: the report
    shows what is stored), else None."""
    try:
        with ResultStore(db, create=False) as store:
            store_importances(store, store.suite_name(suite))
    except sqlite3.OperationalError as exc:
        return (f"hyperparameter importance not stored in {db} ({exc}); the report shows it "
                "where the store holds it")
    return None


def stale_fits(*, db: str, suite: str, round: str) -> list[dict[str, Any]]:
    """What :func:`store_importances` would store, without writing it (a process forked
    from the zygote, where scikit-learn is imported, fits; the harness stores): per problem
    whose importance is missing or stale, ``{"problem", "fingerprint", "result"}``."""
    with ResultStore(db, create=False) as store:
        return _stale_fits(store, suite, round)[1]


def _stale_fits(store: ResultStore, suite: str, round: str | None
                ) -> tuple[str, list[dict[str, Any]]]:
    """(the round, the fits of its problems whose importance is missing or stale)."""
    round, _, runs = suite_runs(store, suite, round=round)
    stale = stale_importances(store, suite, round, runs) if len(runs) else {}
    if not stale:
        return round, []
    data = load_suite_data(store, suite, round=round)
    spaces = problem_spaces(data.runs)
    fits = []
    for problem, fingerprint in stale.items():
        subset = importance_inputs(data.trials, problem, space=spaces[problem])
        try:
            importance = fitted_importance(subset, problem)
        except (ValueError, ArithmeticError) as exc:  # kept as a note, as a failed run's row
            importance = Importance(problem, len(subset), [], [], None,
                                    f"the surrogate could not be fitted: {exc}")
        fits.append({"problem": problem, "fingerprint": fingerprint,
                     "result": importance.to_record()})
    return round, fits


def hyperparameter_importance(trials: pd.DataFrame, problem: str, *, space: set[str],
                              top: int = 2, seed: int = 0) -> Importance:
    """Importance of each hyperparameter of ``space`` on ``problem`` from all the scored
    trials over that space (trials of strategies with their own pipelines are left out)."""
    return fitted_importance(importance_inputs(trials, problem, space=space, seed=seed),
                             problem, top=top, seed=seed)


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


def permutation_importance(model: Any, X: np.ndarray, y: np.ndarray, *, repeats: int,
                           seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std over ``repeats`` of the drop in R^2 when one column of ``X`` is
    shuffled, per column: ``sklearn.inspection.permutation_importance``'s numbers (the same
    shuffles from the same seed), with every shuffled copy predicted in one call."""
    from sklearn.metrics import r2_score

    n, columns = X.shape
    shuffle_seed = np.random.RandomState(seed).randint(np.iinfo(np.int32).max + 1)
    copies = []
    for column in range(columns):
        rng, order = np.random.RandomState(shuffle_seed), np.arange(n)
        shuffled = X.copy()
        for _ in range(repeats):  # each shuffle moves the previous one's column again
            rng.shuffle(order)
            shuffled[:, column] = shuffled[order, column]
            copies.append(shuffled.copy())
    predicted = model.predict(np.vstack([X, *copies])).reshape(-1, n)
    baseline = r2_score(y, predicted[0])
    drops = np.array([baseline - r2_score(y, p) for p in predicted[1:]]).reshape(columns,
                                                                                 repeats)
    return drops.mean(axis=1), drops.std(axis=1)


def fitted_importance(subset: pd.DataFrame, problem: str, *, top: int = 2,
                      seed: int = 0) -> Importance:
    """The surrogate fitted on ``subset`` (``analysis.importance.importance_inputs``), its
    permutation importance and partial dependence on the ``top`` hyperparameters."""
    if len(subset) < MIN_TRIALS:
        return Importance(problem, len(subset), [], [], None,
                          f"{len(subset)} scored trial(s) with hyperparameters; at least "
                          f"{MIN_TRIALS} are needed")
    X, categories = _encode(subset["params"])
    varying = [c for c in X.columns if X[c].nunique(dropna=True) > 1]
    if not varying:
        return Importance(problem, len(subset), [], [], None,
                          "no hyperparameter varied across the trials")
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.inspection import partial_dependence

    X = X[varying].to_numpy(float)
    y = subset["mean_cv_score"].to_numpy(float)
    model = RandomForestRegressor(n_estimators=30, min_samples_leaf=2, random_state=seed,
                                  n_jobs=1).fit(X, y)
    means, stds = permutation_importance(model, X, y, repeats=3, seed=seed)
    order = np.argsort(-means)
    importances = [(varying[i], float(means[i]), float(stds[i])) for i in order]
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
