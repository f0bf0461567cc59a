"""Learning curve of each problem's best configuration (scikit-learn ``learning_curve``)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class LearningCurve:
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


def _train_part(spec: dict[str, Any], base_dir: Path | None) -> tuple[np.ndarray, np.ndarray]:
    from harness.datasets import load_dataset, load_split, split_dataset
    from harness.errors import DatasetError

    data_dir = Path(spec.get("data_dir") or "")
    if (data_dir / "meta.json").exists():
        meta, split = load_split(data_dir)
        if meta["fingerprint"] == spec["fingerprint"]:
            return split.X_train, split.y_train
    dataset = load_dataset(spec["dataset"], spec.get("dataset_options"), base_dir=base_dir)
    if dataset.fingerprint != spec["fingerprint"]:
        raise DatasetError(spec["dataset"], "its data here differ from the data of the runs "
                                            f"(fingerprint {dataset.fingerprint}, runs "
                                            f"{spec['fingerprint']})")
    split = split_dataset(dataset, test_size=spec["test_size"])
    return split.X_train, split.y_train


def learning_curve_of_best(runs: pd.DataFrame, problem: str, *, base_dir: Path | None = None,
                           points: int = 5) -> LearningCurve:
    """Train and CV score against training-set size for the best run's configuration."""
    from sklearn.model_selection import learning_curve

    from harness.errors import UserError
    from harness.models import MODELS
    from harness.strategies._protocol import cv_splitter

    scored = runs[(runs["problem"] == problem) & (runs["status"] == "ok")
                  & runs["best_cv_score"].notna()]
    # only configurations of the problem's own model (AutoML picks its own pipelines)
    own = [set(run["best_params"] or {}) <= set(run["spec"].get("space") or {})
           for _, run in scored.iterrows()]
    scored = scored[own] if len(scored) else scored
    if scored.empty:
        return LearningCurve(problem, "", {}, [], [], [], [], [], "",
                             "no successful run of the problem's own model")
    best = scored.loc[scored["best_cv_score"].idxmax()]
    spec = best["spec"]
    params = dict(best["best_params"] or {})

    def note(text: str) -> LearningCurve:
        return LearningCurve(problem, best["strategy"], params, [], [], [], [], [],
                             spec["metric"], text)

    if spec["model"] not in MODELS or MODELS[spec["model"]].kind != "estimator":
        return note(f"model {spec['model']!r} has no scikit-learn estimator to refit; learning "
                    "curves are drawn for scikit-learn models")
    try:
        X, y = _train_part(spec, base_dir)
    except (UserError, OSError) as exc:
        return note(f"the dataset is not available here: {exc}")
    estimator = MODELS[spec["model"]].build(spec["task"], seed=int(spec["seed"]), params=params)
    with warnings.catch_warnings():  # sizes too small for a configuration score NaN
        warnings.simplefilter("ignore")
        sizes, train, test = learning_curve(
            estimator, X, y, cv=cv_splitter(spec["task"], int(spec["cv"]), int(spec["seed"])),
            scoring=spec["metric"], train_sizes=np.linspace(0.1, 1.0, points), n_jobs=1,
            error_score=np.nan)
        stats = [[float(v) for v in f(a, axis=1)] for a in (train, test)
                 for f in (np.nanmean, np.nanstd)]  # NaN where every fold failed
    return LearningCurve(problem, str(best["strategy"]), params, [int(s) for s in sizes],
                         *stats, spec["metric"])
