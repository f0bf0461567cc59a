"""Fill a results store with synthetic runs and trials, for report tests and benchmarks.

The runs look like real ones (statuses, scores improving over time, fidelities, errors) but
no model is fitted; dataset names are made up unless given. Each ``ok`` run stores a made-up
learning curve, as a worker would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from harness.importances import store_importances
from harness.records import RunResult, RunSpec, RunStatus, SuiteStatus
from harness.store import ResultStore


def fill_store(db: Path, *, suite: str = "synthetic", datasets: Sequence[str] = ("alpha",),
               model: str = "random_forest", strategies: Sequence[str] = ("random", "grid"),
               seeds: Sequence[int] = (0, 1), trials_per_run: int = 20,
               budget_s: float = 60.0, statuses: Sequence[str] = ("ok",), seed: int = 0,
               params: dict[str, Sequence[object]] | None = None, round: str = "",
               score_shift: Mapping[str, float] | None = None,
               git_commit: str | None = None,
               dataset_meta: Mapping[str, Mapping[str, Any]] | None = None,
               tasks: Mapping[str, str] | None = None, shuffle: int | None = None,
               importances: bool = True) -> int:
    """Write one suite run; returns the number of runs. ``statuses`` cycles over the runs.

    ``round`` stores it as a round of the suite (a night); ``score_shift`` adds a constant
    to the CV and test scores of the named strategies (a regression when negative), or to
    a dataset's (keyed ``"dataset/strategy"``); ``dataset_meta``: meta-features stored with
    each named dataset's runs (``details["dataset_meta"]``), as a worker stores them;
    ``tasks``: a dataset's task (default classification); ``shuffle`` (a seed) stores the
    same runs in a random order, as runs that ended in another order than planned;
    ``importances``: fit and store each problem's hyperparameter importance, as the runner
    does when a suite's runs end.
    """
    shift = dict(score_shift or {})
    rng = np.random.default_rng(seed)
    params = params or {"n_estimators": [10, 50, 100, 200], "max_depth": [2, 4, 8, 16],
                        "criterion": ["gini", "entropy"]}
    config = _suite_config(suite, datasets, model, strategies, seeds, budget_s)
    space = {k: {"type": "categorical", "choices": list(v)} for k, v in params.items()}
    results: list[RunResult] = []
    with ResultStore(db) as store:
        suite_id = store.start_suite(name=suite, source=None, config=config,
                                     config_hash="synthetic", n_planned=0, git_commit=git_commit,
                                     package_versions={"python": "3"}, machine={"cores": 2},
                                     round=round)
        for d_index, dataset in enumerate(datasets):
            for s_index, strategy in enumerate(strategies):
                for seed_value in seeds:
                    skill = (0.7 + 0.03 * s_index + 0.02 * d_index + shift.get(strategy, 0.0)
                             + shift.get(f"{dataset}/{strategy}", 0.0))
                    n = len(results)
                    spec = _spec(suite, dataset, d_index, model, space, strategy, seed_value,
                                 budget_s, round, (tasks or {}).get(dataset, "classification"),
                                 plan_index=n)
                    results.append(_result(
                        spec, statuses[n % len(statuses)], rng, n, skill=skill,
                        trials_per_run=trials_per_run, params=params,
                        run_rng=np.random.default_rng([d_index, s_index, seed_value]),
                        meta=(dataset_meta or {}).get(dataset)))
        if shuffle is not None:
            order = np.random.default_rng(shuffle).permutation(len(results))
            results = [results[i] for i in order]
        for result in results:
            store.save_run(result, suite_id=suite_id, git_commit=git_commit,
                           package_versions={"python": "3"})
        store.finish_suite(suite_id, SuiteStatus.FINISHED)
        if importances:
            store_importances(store, suite, round=round)
    return len(results)


def _result(spec: RunSpec, status: str, rng: np.random.Generator, n: int, *, skill: float,
            trials_per_run: int, params: Mapping[str, Sequence[object]],
            run_rng: np.random.Generator, meta: Mapping[str, Any] | None) -> RunResult:
    """One synthetic run's result around ``skill``."""
    budget_s = spec.time_s
    trials = _trials(rng, 0 if status == RunStatus.SKIPPED else trials_per_run,
                     skill=skill, params=params, budget_s=budget_s)
    best = max(trials, key=lambda t: t["mean_cv_score"], default=None)
    ok = status == RunStatus.OK and best is not None
    test_score = float(np.clip(skill + rng.normal(0, 0.03), 0, 1)) if ok else None
    # a run's cost depends mostly on what it runs: the same in every round
    wall_time_s = float(budget_s * run_rng.uniform(0.5, 1.0) * rng.normal(1.0, 0.03))
    cpu_time_s = float(budget_s * run_rng.uniform(0.4, 1.0))
    peak_mem_mb = float(run_rng.uniform(100, 400) * rng.normal(1.0, 0.02))
    details: dict[str, Any] = {"learning_curve": _learning_curve(skill, run_rng)} if ok else {}
    if meta is not None and status != RunStatus.SKIPPED:
        details["dataset_meta"] = dict(meta)
    return RunResult(
        spec=spec, status=status, trials=trials,
        best_params=best["params"] if best else None,
        best_cv_score=best["mean_cv_score"] if best else None, test_score=test_score,
        wall_time_s=wall_time_s, cpu_time_s=cpu_time_s, peak_mem_mb=peak_mem_mb,
        details=details, error=None if status == RunStatus.OK else f"{status}: synthetic error",
        host="synthetic", started_at=1.7e9 + n, finished_at=1.7e9 + n + 1)


def _spec(suite: str, dataset: str, d_index: int, model: str, space: dict[str, Any],
          strategy: str, seed: int, budget_s: float, round: str, task: str, *,
          plan_index: int) -> RunSpec:
    return RunSpec(suite=suite, dataset=dataset, dataset_options={},
                   fingerprint=f"{d_index:016x}", task=task, model=model,
                   space=space, strategy=strategy, strategy_options={}, seed=seed,
                   metric="accuracy", cv=3, test_size=0.2, n_jobs=1, time_s=budget_s,
                   max_trials=None, hard_limit_s=budget_s + 5, memory_mb=None, round=round,
                   plan_index=plan_index)


def _suite_config(suite: str, datasets: Sequence[str], model: str, strategies: Sequence[str],
                  seeds: Sequence[int], budget_s: float) -> dict[str, Any]:
    return {"name": suite, "metric": "accuracy", "cv": 3, "test_size": 0.2,
            "seeds": list(seeds), "budget": {"time_s": budget_s}, "n_jobs": 1,
            "datasets": [{"name": d} for d in datasets], "models": [{"name": model}],
            "strategies": [{"name": s} for s in strategies]}


def _trials(rng: np.random.Generator, count: int, *, skill: float,
            params: Mapping[str, Sequence[object]], budget_s: float) -> list[dict[str, Any]]:
    """``count`` synthetic trials around ``skill``, finishing in time order."""
    times = np.sort(rng.uniform(0.02, 0.95, count)) * budget_s
    trials = []
    for number in range(count):
        folds = np.clip(skill + rng.normal(0, 0.05, 3), 0, 1)
        trials.append({
            "number": number,
            "params": {k: v[rng.integers(len(v))] for k, v in params.items()},
            "cv_scores": [float(f) for f in folds],
            "mean_cv_score": float(folds.mean()),
            "std_cv_score": float(folds.std()),
            "fit_time_s": float(rng.uniform(0.01, 1.0)),
            "score_time_s": 0.01, "elapsed_s": float(times[number]),
            "fidelity": None, "info": {}, "error": None})
    return trials


def _learning_curve(skill: float, rng: np.random.Generator) -> dict[str, object]:
    """A plausible stored learning curve: train scores fall and CV scores rise with size."""
    sizes = [12, 39, 66, 93, 120]
    cv = [float(np.clip(skill - 0.2 * (1 - i / 4) + rng.normal(0, 0.01), 0, 1))
          for i in range(5)]
    return {"sizes": sizes, "train_mean": [min(1.0, c + 0.15 - 0.02 * i)
                                           for i, c in enumerate(cv)],
            "train_std": [0.01] * 5, "cv_mean": cv, "cv_std": [0.04] * 5,
            "metric": "accuracy"}
