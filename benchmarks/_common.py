"""Shared by the asv benchmarks: small fixed suites, run through the harness or by hand.

Nothing here runs at import time; asv imports every module of this package.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import yaml

SEED, CV, TEST_SIZE = 0, 3, 0.2
# Track set: every strategy on three small classification datasets, one seed. The trial cap
# binds long before the time budget, so scores do not depend on the machine's load.
TRACK_DATASETS = ["iris", "wine", "breast-cancer"]
TRACK_STRATEGIES = ["default", "grid", "random", "halving", "bayes", "coarse-to-fine"]
TRACK_STRATEGIES += ["hyperopt-tpe", "hyperopt-anneal", "smac-bo", "smac-hyperband"]
# Optuna's (optuna-gp is left out: it needs the optional PyTorch extra)
TRACK_STRATEGIES += ["optuna-tpe", "optuna-cmaes", "optuna-qmc", "optuna-tpe-hyperband",
                     "optuna-tpe-halving"]
TRACK_MODEL = "random_forest"
TRACK_BUDGET = {"time_s": 30, "max_trials": 6}
# Overhead: a grid search of 4 candidates x 3 folds, through the harness or GridSearchCV.
GRID_DATASET, GRID_MODEL = "breast-cancer", "random_forest"
GRID_SPACE = {"n_estimators": [25, 50], "max_depth": [4, None]}


def scores_suite() -> dict[str, Any]:
    """The suite behind the score tracks."""
    return {"name": "asv-scores", "metric": "accuracy", "cv": CV, "test_size": TEST_SIZE,
            "seeds": [SEED], "n_jobs": 1, "budget": dict(TRACK_BUDGET),
            "datasets": list(TRACK_DATASETS), "models": [TRACK_MODEL],
            "strategies": list(TRACK_STRATEGIES)}


def grid_suite() -> dict[str, Any]:
    """The one-run suite of the overhead and memory benchmarks."""
    return {"name": "asv-grid", "metric": "accuracy", "cv": CV, "test_size": TEST_SIZE,
            "seeds": [SEED], "n_jobs": 1, "budget": {"time_s": 600},
            "datasets": [GRID_DATASET], "models": [{"name": GRID_MODEL, "space": GRID_SPACE}],
            "strategies": ["grid"]}


def write_suite(raw: dict[str, Any], directory: Path) -> Path:
    """Write a suite as YAML into ``directory``; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{raw['name']}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def prepare(suite_path: Path, workdir: Path) -> None:
    """Load, split and cache the suite's datasets under ``workdir/cache`` (as a run would)."""
    from harness.config import load_suite
    from harness.plan import plan_suite

    plan_suite(load_suite(suite_path), cache_dir=workdir / "cache")


def run_through_harness(suite_path: Path, workdir: Path, *, jobs: int = 1,
                        learning_curves: bool = True) -> list[dict[str, Any]]:
    """Run a suite into a fresh store in ``workdir`` (so nothing is skipped as already
    stored); returns the stored runs. Raises if a run did not end ``ok``."""
    from harness.api import run_suite

    outcome = run_suite(suite_path, db=workdir / f"run-{uuid.uuid4().hex}.db", jobs=jobs,
                        learning_curves=learning_curves)
    bad = [f"{r['dataset']}/{r['strategy']}: {r['status']} {r['error'] or ''}".strip()
           for r in outcome.runs if r["status"] != "ok"]
    if bad or len(outcome.runs) != len(outcome.planned):
        raise RuntimeError("harness runs did not succeed: " + "; ".join(bad or ["missing"]))
    return outcome.runs


def run_directly() -> float:
    """The grid suite's search by hand (load, split, GridSearchCV, refit, test score)."""
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    from harness.datasets import load_dataset, split_dataset
    from harness.models import MODELS, to_pipeline_params

    ds = load_dataset(GRID_DATASET)
    split = split_dataset(ds, test_size=TEST_SIZE)
    search = GridSearchCV(MODELS[GRID_MODEL].build(ds.task, seed=SEED),
                          to_pipeline_params(GRID_SPACE), scoring="accuracy",
                          cv=StratifiedKFold(n_splits=CV, shuffle=True, random_state=SEED),
                          n_jobs=1)
    search.fit(split.X_train, split.y_train)
    return float(search.score(split.X_test, split.y_test))


def seconds(func: Any, *args: Any) -> float:
    """Wall-clock seconds of one call."""
    started = time.perf_counter()
    func(*args)
    return time.perf_counter() - started
