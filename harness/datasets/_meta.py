"""Meta-features of a dataset: cheap numbers that say what kind of problem it is.

Computed once per dataset split (when the split is cached) and stored in its meta.json, so
every run on it carries them in ``details["dataset_meta"]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.datasets._base import Dataset, Split

#: The landmark: a default random forest's 3-fold CV score on (at most) this many train rows.
LANDMARK_ROWS = 2000
LANDMARK_TREES = 50
LANDMARK_METRIC = {"classification": "accuracy", "regression": "r2"}


def meta_features(dataset: Dataset, split: Split | None = None) -> dict[str, Any]:
    """Rows, features, categorical and missing fractions, classes and imbalance or target
    skew, and (given the split) the landmark score on its train part."""
    prep = dataset.prep
    features = int(prep.get("raw_features", dataset.shape[1]))
    rows = dataset.shape[0]
    if "missing_rate" in prep:
        missing = prep["missing_rate"]
    else:
        X = np.asarray(dataset.X, dtype=float) if dataset.kind == "tabular" else np.zeros(1)
        missing = float(np.isnan(X).mean())
    meta: dict[str, Any] = {
        "rows": rows,
        "features": features,
        "encoded_features": dataset.shape[1],
        "categorical_fraction": round(prep.get("categorical_features", 0) / max(features, 1), 4),
        "missing_fraction": round(float(missing), 4),
    }
    if dataset.task == "classification":
        counts = np.bincount(dataset.y, minlength=len(dataset.classes))
        meta["classes"] = len(dataset.classes)
        meta["imbalance"] = round(float(counts.min() / counts.max()), 4)
    else:
        meta["target_skew"] = round(float(_skew(dataset.y)), 4)
    if split is not None and dataset.kind == "tabular":
        try:
            meta["landmark"] = landmark(dataset.task, split.X_train, split.y_train)
        except ValueError as exc:  # a cheap description must not stop a suite
            meta["landmark"] = {"error": str(exc)}
    return meta


def _skew(y: np.ndarray) -> float:
    """Sample skewness (Fisher-Pearson, biased), 0 for a constant target."""
    y = np.asarray(y, dtype=float)
    std = y.std()
    return 0.0 if std == 0 else float(np.mean((y - y.mean()) ** 3) / std**3)


def landmark(task: str, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """A default random forest's 3-fold CV score (fixed seeds), on at most LANDMARK_ROWS rows."""
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.model_selection import cross_val_score

    if len(y) > LANDMARK_ROWS:
        keep = np.random.default_rng(0).choice(len(y), LANDMARK_ROWS, replace=False)
        X, y = X[np.sort(keep)], y[np.sort(keep)]
    forest = RandomForestClassifier if task == "classification" else RandomForestRegressor
    metric = LANDMARK_METRIC[task]
    scores = cross_val_score(forest(n_estimators=LANDMARK_TREES, random_state=0, n_jobs=1),
                             X, y, cv=3, scoring=metric)
    return {"model": f"random_forest(n_estimators={LANDMARK_TREES})", "cv": 3,
            "metric": metric, "rows": int(len(y)), "score": round(float(scores.mean()), 4)}
