"""Harness overhead: a ``grid`` run through the harness vs GridSearchCV called directly.

Both do the same work in the same process run: load the dataset, take the fixed split,
grid-search with the same splitter and seed, refit the best configuration, score it on
the test part. The harness adds planning, a worker process (start-up and imports), the
event stream, the store; its learning curve and the hyperparameter importance surrogate
(extra fits after the run, which GridSearchCV does not do) are turned off. Target: ratio
<= 1.05 on a search that takes 10 s or more.

    python benchmarks/overhead.py [--repeats 3] [--json out.json]

``--trivial``: the fixed cost of a run instead (``_trivial.py``): 20 against 10 trivial runs
through the ``harness`` command against the same fits called directly, a one-run suite's
wall time from the command to its exit, and a measured breakdown of where the time goes.
Targets: <= 0.2 s per run, <= 1.5 s for the one-run suite.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

DATASET, MODEL, SEED, CV = "breast-cancer", "random_forest", 0, 5
SPACE = {"n_estimators": [50, 100, 150], "max_depth": [4, 8, None],
         "min_samples_leaf": [1, 4]}


def cpu_seconds() -> float:
    """CPU seconds of this process and of its reaped children (the harness's zygote, which
    reaps its workers, is reaped when a run ends)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def direct() -> tuple[float, dict, float]:
    """GridSearchCV by hand: (seconds, best params, best CV score)."""
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from threadpoolctl import threadpool_limits

    from harness.datasets import load_dataset, split_dataset
    from harness.models import MODELS, from_pipeline_params, to_pipeline_params

    started = time.perf_counter()
    limits = threadpool_limits(1)  # as the harness pins its run (n_jobs 1)
    ds = load_dataset(DATASET)
    split = split_dataset(ds, test_size=0.2)
    search = GridSearchCV(MODELS[MODEL].build(ds.task, seed=SEED), to_pipeline_params(SPACE),
                          scoring="accuracy",
                          cv=StratifiedKFold(n_splits=CV, shuffle=True, random_state=SEED),
                          n_jobs=1)
    search.fit(split.X_train, split.y_train)
    search.score(split.X_test, split.y_test)
    limits.restore_original_limits()
    return (time.perf_counter() - started, from_pipeline_params(search.best_params_),
            search.best_score_)


def through_harness(workdir: Path) -> tuple[float, dict, float]:
    """The same search as a suite run: (seconds, best params, best CV score)."""
    from harness.api import run_suite

    suite = {"name": "overhead", "cv": CV, "seeds": [SEED], "n_jobs": 1,
             "budget": {"time_s": 3600}, "datasets": [DATASET],
             "models": [{"name": MODEL, "space": SPACE}], "strategies": ["grid"]}
    path = workdir / "overhead.yaml"
    path.write_text(yaml.safe_dump(suite))
    db = workdir / f"overhead-{time.time_ns()}.db"
    started = time.perf_counter()
    # neither the learning curve nor the importance surrogate: not GridSearchCV's work
    outcome = run_suite(path, db=db, jobs=1, learning_curves=False, importance=False)
    took = time.perf_counter() - started
    (run,) = outcome.runs
    if run["status"] != "ok":
        sys.exit(f"harness run {run['status']}: {run['error']}")
    return took, run["best_params"], run["best_cv_score"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--trivial", action="store_true",
                        help="the fixed cost of trivial runs and its breakdown instead")
    args = parser.parse_args()
    if args.trivial:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script
        from benchmarks._trivial import print_breakdown, run_trivial

        figures = run_trivial(args.repeats)
        print_breakdown(figures)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))
        return
    direct()  # warm imports and caches once, so the baseline is not charged for them
    times: dict[str, list[float]] = {"direct": [], "harness": []}
    cpu: dict[str, list[float]] = {"direct": [], "harness": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):  # interleaved, so drift hits both sides alike
            before = cpu_seconds()
            d_time, d_params, d_score = direct()
            between = cpu_seconds()
            h_time, h_params, h_score = through_harness(Path(tmp))
            cpu["direct"].append(between - before)
            cpu["harness"].append(cpu_seconds() - between)
            if (d_params, d_score) != (h_params, h_score):
                sys.exit(f"results differ: direct {d_params} {d_score}, "
                         f"harness {h_params} {h_score}")
            times["direct"].append(d_time)
            times["harness"].append(h_time)
            print(f"repeat {i + 1}: direct {d_time:.2f} s, harness {h_time:.2f} s, "
                  f"ratio {h_time / d_time:.3f}; CPU ratio "
                  f"{cpu['harness'][-1] / cpu['direct'][-1]:.3f}, load "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    ratios = [h / d for h, d in zip(times["harness"], times["direct"], strict=True)]
    figures = {"direct_s": med["direct"], "harness_s": med["harness"],
               "ratio": statistics.median(ratios),  # median of the paired (interleaved) ratios
               "ratio_of_medians": med["harness"] / med["direct"],
               "overhead_s": med["harness"] - med["direct"], "repeats": args.repeats,
               "cpu_ratio": statistics.median(h / d for h, d in zip(
                   cpu["harness"], cpu["direct"], strict=True)),
               "target_ratio": 1.05}
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
