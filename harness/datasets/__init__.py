"""Datasets: the registry of shipped data, users' files and OpenML, each with a fingerprint."""

from harness.datasets._base import (
    SPLIT_SEED,
    TASKS,
    Dataset,
    Split,
    check_cv_fits,
    fingerprint_arrays,
    load_split,
    make_dataset,
    save_split,
    split_dataset,
)
from harness.datasets._registry import check_options, dataset_kind, load_dataset
from harness.datasets._tabular import BUILTINS

__all__ = [
    "BUILTINS",
    "SPLIT_SEED",
    "TASKS",
    "Dataset",
    "Split",
    "check_cv_fits",
    "check_options",
    "dataset_kind",
    "fingerprint_arrays",
    "load_dataset",
    "load_split",
    "make_dataset",
    "save_split",
    "split_dataset",
]
