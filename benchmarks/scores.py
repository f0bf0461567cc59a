"""asv: the held-out test score each strategy reaches on a fixed small problem set.

``setup_cache`` writes the suite, caches its dataset splits and runs it once through the
harness (one run per strategy of ``TRACK_STRATEGIES`` x iris, wine, breast-cancer; random
forest, 3-fold CV, seed 0, at most 6 trials); each track reads one run. A run that is not
``ok`` fails its track, so asv records no value rather than a wrong one.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from benchmarks._common import (
    TRACK_DATASETS,
    TRACK_STRATEGIES,
    prepare,
    scores_suite,
    write_suite,
)

Runs = dict[str, dict[str, Any]]


class StrategyScores:
    """One harness run per (strategy, dataset), shared by the tracks below."""

    params = (TRACK_STRATEGIES, TRACK_DATASETS)
    param_names = ["strategy", "dataset"]
    timeout = 900  # setup_cache runs the whole suite
    rounds = 1

    def setup_cache(self) -> Runs:
        with tempfile.TemporaryDirectory(prefix="asv-scores-") as tmp:
            workdir = Path(tmp)
            path = write_suite(scores_suite(), workdir)
            prepare(path, workdir)
            runs = run_all(path, workdir)
        return {f"{r['strategy']}/{r['dataset']}": r for r in runs}

    def _run(self, runs: Runs, strategy: str, dataset: str) -> dict[str, Any]:
        run = runs.get(f"{strategy}/{dataset}")
        if run is None:
            raise RuntimeError(f"no run of {strategy} on {dataset}")
        if run["status"] != "ok":
            raise RuntimeError(f"{strategy} on {dataset}: {run['status']} {run['error']}")
        return run

    def track_test_score(self, runs: Runs, strategy: str, dataset: str) -> float:
        """Held-out accuracy of the refit best configuration."""
        return float(self._run(runs, strategy, dataset)["test_score"])

    track_test_score.unit = "accuracy"

    def track_run_peak_mem_mb(self, runs: Runs, strategy: str, dataset: str) -> float:
        """The worker's peak resident memory as the harness measured it."""
        return float(self._run(runs, strategy, dataset)["peak_mem_mb"])

    track_run_peak_mem_mb.unit = "MB"


def run_all(path: Path, workdir: Path) -> list[dict[str, Any]]:
    """Every stored run, failed ones included (each track fails on its own run only)."""
    from harness.api import run_suite

    return run_suite(path, db=workdir / "harness.db", jobs=2).runs

