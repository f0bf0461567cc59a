"""The Python API for notebooks; the CLI is a thin layer over these functions."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pandas as pd

from harness.runner import SuiteRun, run_suite
from harness.store import DEFAULT_DB, ResultStore


class Results(NamedTuple):
    """Runs and trials of a results database as DataFrames."""

    runs: pd.DataFrame
    trials: pd.DataFrame


def load_results(db: str | Path = DEFAULT_DB, suite: str | None = None) -> Results:
    """Every stored run and trial (of one suite, if named) as pandas DataFrames."""
    with ResultStore(db, create=False) as store:
        return Results(store.runs_frame(suite=suite), store.trials_frame(suite=suite))


__all__ = ["Results", "SuiteRun", "load_results", "run_suite"]
