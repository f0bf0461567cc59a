"""The Python API for notebooks; the CLI is a thin layer over these functions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from harness.runner import SuiteRun, run_suite
from harness.store import DEFAULT_DB, ResultStore

if TYPE_CHECKING:  # pandas is imported where it is used (not by `import harness`)
    import pandas as pd

    from harness.analysis import Verdict


class Recommended(NamedTuple):
    """The verdict of a stored suite's latest round (see ``analysis.suite_verdict``)."""

    suite: str
    round: str
    verdict: Verdict


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


def recommend(db: str | Path = DEFAULT_DB, suite: str | Path | None = None, *,
              alpha: float = 0.05) -> Recommended:
    """Which contender to pick at 25%, 50% and 100% of the budget, from the runs of the
    suite's latest round (``suite``: its stored name or its file; default: the suite run
    last), as the report's Recommendation section shows it."""
    from harness.analysis import load_suite_data, suite_verdict

    name = stored_suite_name(suite)
    with ResultStore(db, create=False) as store:
        name = store.suite_name(name)
        data = load_suite_data(store, name)
    return Recommended(name, data.round, suite_verdict(data.runs, alpha=alpha))


__all__ = ["Recommended", "Results", "SuiteRun", "load_results", "recommend", "run_suite",
           "stored_suite_name"]
