"""Scale-out: a suite of 8 equal runs with ``--jobs 1`` against ``--scheduler local:2``.

Each run is ``random`` search on one problem under the same fixed time budget (8 seeds),
so every run takes about the budget; the Dask side includes starting its LocalCluster.
Both go through the ``harness`` command, one after the other, in this invocation.
Target: a speed-up of at least 1.7 on 2 cores.

    python benchmarks/dask_speedup.py [--time-s 10] [--workers 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml


def suite(time_s: float, runs: int) -> dict:
    """One problem, one strategy, ``runs`` seeds: equal runs of ``time_s`` seconds each."""
    return {"name": "dask-speedup", "cv": 3, "seeds": runs, "n_jobs": 1,
            "budget": {"time_s": time_s}, "datasets": ["breast-cancer"],
            "models": ["random_forest"], "strategies": ["random"]}


def timed_run(suite_path: Path, db: Path, *extra: str) -> float:
    """Wall seconds of ``harness run`` (which must succeed)."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "harness", "run", "--suite", str(suite_path),
                           "--db", str(db), "--quiet", "--no-report", *extra],
                          capture_output=True, text=True)
    took = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"harness run {' '.join(extra)} failed ({proc.returncode}):\n{proc.stderr}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-s", type=float, default=10.0, help="budget per run")
    parser.add_argument("--runs", type=int, default=8, help="equal runs (seeds)")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster workers")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "suite.yaml"
        path.write_text(yaml.safe_dump(suite(args.time_s, args.runs)))
        serial = timed_run(path, Path(tmp) / "serial.db", "--jobs", "1")
        dask = timed_run(path, Path(tmp) / "dask.db", "--scheduler", f"local:{args.workers}")
    numbers = {"runs": args.runs, "time_s": args.time_s, "workers": args.workers,
               "serial_s": round(serial, 2), "dask_s": round(dask, 2),
               "speedup": round(serial / dask, 3)}
    print(f"{args.runs} runs of {args.time_s:g} s: --jobs 1 {serial:.1f} s, "
          f"--scheduler local:{args.workers} {dask:.1f} s, speed-up {serial / dask:.2f}x "
          "(target >= 1.7 on 2 cores)")
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=2))


if __name__ == "__main__":
    main()
