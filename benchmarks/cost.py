"""asv: the harness's own cost: wall time against the same search called directly, and memory.

The search is a grid of 4 random-forest candidates x 3 folds on breast-cancer, then a refit
and a test score. ``direct`` does it with GridSearchCV in this process; ``harness`` runs it
as a one-run suite (planning, forked worker, event stream, store). ``setup_cache`` writes
the suite and caches the dataset split in asv's cache folder.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from benchmarks._common import (
    grid_suite,
    prepare,
    run_directly,
    run_through_harness,
    seconds,
    write_suite,
)


class _GridSearch:
    """Shared set-up: the suite file and cached split, in asv's cache folder (the cwd)."""

    timeout = 300
    rounds = 1
    warmup_time = 0

    def setup_cache(self) -> str:
        workdir = Path.cwd() / "asv-grid"
        path = write_suite(grid_suite(), workdir)
        prepare(path, workdir)
        return str(path)

    def setup(self, suite_path: str, *params: str) -> None:
        # imports are not charged to either side
        import sklearn.ensemble  # noqa: F401
        import sklearn.model_selection  # noqa: F401

        import harness.api  # noqa: F401


class Overhead(_GridSearch):
    """Wall time of the same search by hand and through the harness."""

    params = ["direct", "harness"]
    param_names = ["mode"]
    number = 1
    repeat = 3
    min_run_count = 1

    def time_grid_search(self, suite_path: str, mode: str) -> None:
        if mode == "direct":
            run_directly()
        else:
            run_through_harness(Path(suite_path), Path(suite_path).parent,
                                learning_curves=False)  # extra fits: not the same work


class OverheadRatio(_GridSearch):
    """Harness time over direct time for the same search (1.0 = no overhead; the search
    is short, so this is mostly the fixed cost of planning, the worker and the store)."""

    def track_overhead_ratio(self, suite_path: str) -> float:
        """Median of 3 interleaved pairs (drift hits both sides alike)."""
        path = Path(suite_path)
        ratios = [seconds(lambda: run_through_harness(path, path.parent,
                                                      learning_curves=False))
                  / seconds(run_directly) for _ in range(3)]
        return statistics.median(ratios)

    track_overhead_ratio.unit = "ratio"


class Memory(_GridSearch):
    """Peak memory of the process that runs the suite (the search itself runs in a forked
    worker: see scores.StrategyScores.track_run_peak_mem_mb for the worker's)."""

    def peakmem_harness_run(self, suite_path: str) -> None:
        run_through_harness(Path(suite_path), Path(suite_path).parent)

    def peakmem_direct_search(self, suite_path: str) -> None:
        run_directly()
