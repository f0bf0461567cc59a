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


def stored_suite_name(ref: str | Path | None) -> str | None:
    """The name a suite is stored under: ``ref`` itself, or the ``name`` inside the suite file
    that ``ref`` is a path to (a Path, or text that ends in .yaml/.yml or has a folder in it),
    as ``run_suite`` takes either."""
    text = None if ref is None else str(ref)
    if text is None or not (isinstance(ref, Path) or text.endswith((".yaml", ".yml"))
                            or "/" in text or "\\" in text):
        return text
    import yaml

    from harness.config import load_suite, resolve_suite_path

    path = resolve_suite_path(text)  # ConfigError naming the file when there is none
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        raw = None
    name = raw.get("name") if isinstance(raw, dict) else None
    # the name alone is enough; a file without one gets load_suite's error naming the field
    return name if isinstance(name, str) and name else load_suite(path).name


def load_results(db: str | Path = DEFAULT_DB, suite: str | Path | None = None) -> Results:
    """Every stored run and trial (of one suite, if named) as pandas DataFrames.

    ``suite`` is a stored suite's name or the path of its file. Raises UserError when ``db``
    does not exist or no suite of that name is stored (the message names the stored suites).
    """
    name = stored_suite_name(suite)
    with ResultStore(db, create=False) as store:
        if name is not None:
            name = store.suite_name(name)
        return Results(store.runs_frame(suite=name), store.trials_frame(suite=name))


__all__ = ["Results", "SuiteRun", "load_results", "run_suite", "stored_suite_name"]
