"""Scale-out: a suite of 8 equal runs with ``--jobs 1`` against ``--scheduler local:2``.

Each run is ``random`` search on one problem (8 seeds): under the same fixed time budget
(every run takes about the budget), or with ``--trials N`` the same fixed work (N trials
each, under a budget that never binds). The Dask side includes starting its LocalCluster.
All go through the ``harness`` command, one after the other, in this invocation
(``--repeats``: that many rounds, the median speed-up reported; ``--local-jobs 2`` adds
``--jobs 2`` for comparison). Target: a speed-up of at least 1.8 on 2 cores.

    python benchmarks/dask_speedup.py [--time-s 10 | --trials 30] [--workers 2]
                                      [--no-learning-curves] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml


def suite(time_s: float, runs: int, trials: int | None = None) -> dict:
    """One problem, one strategy, ``runs`` seeds: equal runs of ``time_s`` seconds each, or
    of ``trials`` trials each (under a budget of an hour)."""
    budget = {"time_s": 3600, "max_trials": trials} if trials else {"time_s": time_s}
    return {"name": "dask-speedup", "cv": 3, "seeds": runs, "n_jobs": 1,
            "budget": budget, "datasets": ["breast-cancer"],
            "models": ["random_forest"], "strategies": ["random"]}


def timed_run(suite_path: Path, db: Path, *extra: str) -> tuple[float, float]:
    """Wall seconds of ``harness run`` (which must succeed), and when its first run started,
    in seconds after the command was launched."""
    launched, started = time.time(), time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "harness", "run", "--suite", str(suite_path),
                           "--db", str(db), "--quiet", "--no-report", *extra],
                          capture_output=True, text=True)
    took = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"harness run {' '.join(extra)} failed ({proc.returncode}):\n{proc.stderr}")
    with contextlib.closing(sqlite3.connect(db)) as conn:
        (first,) = conn.execute("SELECT MIN(started_at) FROM runs").fetchone()
    return took, first - launched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-s", type=float, default=10.0, help="budget per run")
    parser.add_argument("--trials", type=int, default=None,
                        help="fixed work instead: this many trials per run")
    parser.add_argument("--runs", type=int, default=8, help="equal runs (seeds)")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster workers")
    parser.add_argument("--repeats", type=int, default=1, help="rounds (median reported)")
    parser.add_argument("--local-jobs", type=int, default=0,
                        help="also time the local pool with this many jobs")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    parser.add_argument("--no-learning-curves", action="store_true",
                        help="both sides without learning curves (a run computes one when it "
                             "is its problem's best so far as it ends, so how many are "
                             "computed depends on the order runs end in: with this, both "
                             "sides do the same work)")
    args = parser.parse_args()
    sides = {"serial": ["--jobs", "1"], "dask": ["--scheduler", f"local:{args.workers}"]}
    if args.local_jobs:
        sides[f"jobs{args.local_jobs}"] = ["--jobs", str(args.local_jobs)]
    if args.no_learning_curves:
        sides = {name: [*extra, "--no-learning-curves"] for name, extra in sides.items()}
    times: dict[str, list[float]] = {name: [] for name in sides}
    first: dict[str, list[float]] = {name: [] for name in sides}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "suite.yaml"
        path.write_text(yaml.safe_dump(suite(args.time_s, args.runs, args.trials)))
        for i in range(args.repeats):
            for name, extra in sides.items():
                took, first_run = timed_run(path, Path(tmp) / f"{name}-{i}.db", *extra)
                times[name].append(took)
                first[name].append(first_run)
            print(f"round {i + 1}: " + ", ".join(
                f"{n} {t[-1]:.1f} s (first run at {first[n][-1]:.1f} s)"
                for n, t in times.items()) + f", load {os.getloadavg()[0]:.1f}", flush=True)
    ratios = {name: statistics.median(s / t for s, t in zip(times["serial"], times[name],
                                                           strict=True))
              for name in sides if name != "serial"}
    work = f"{args.trials} trials" if args.trials else f"{args.time_s:g} s"
    numbers = {"runs": args.runs, "time_s": args.time_s, "trials": args.trials,
               "learning_curves": not args.no_learning_curves,
               "workers": args.workers, "repeats": args.repeats,
               **{f"{name}_s": round(statistics.median(t), 2) for name, t in times.items()},
               **{f"{name}_first_run_s": round(statistics.median(t), 2)
                  for name, t in first.items()},
               **{f"speedup_{name}": round(r, 3) for name, r in ratios.items()},
               "speedup": round(ratios["dask"], 3)}
    print(f"{args.runs} runs of {work}: --jobs 1 {numbers['serial_s']:.1f} s, "
          f"--scheduler local:{args.workers} {numbers['dask_s']:.1f} s, speed-up "
          f"{ratios['dask']:.2f}x (target >= 1.8 on 2 cores); the first run started "
          f"{numbers['dask_first_run_s'] - numbers['serial_first_run_s']:.1f} s later on Dask"
          + "".join(f"; {n} {r:.2f}x" for n, r in ratios.items() if n != "dask"))
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=2))


if __name__ == "__main__":
    main()
