"""Datasets: the registry of shipped data, users' files and OpenML, each with a fingerprint."""

from harness.datasets._base import (
    SPLIT_SEED,
    TASKS,
    Dataset,
    Split,
    check_cv_fits,
    fingerprint_arrays,
    load_split,
    make_array_dataset,
    make_dataset,
    save_split,
    split_dataset,
)
from harness.datasets._cache import (
    FingerprintMismatch,
    PreparedData,
    prepare_data,
    prepare_for_plan,
    split_dir_name,
    user_cache_dir,
)
from harness.datasets._keras import (
    IMAGE_DATASETS,
    KERAS_FILES,
    SEQUENCE_DATASETS,
    DatasetUnavailable,
    keras_cache_dir,
    vocabulary_size,
)
from harness.datasets._registry import check_options, data_kind, dataset_kind, load_dataset
from harness.datasets._tabular import BUILTINS

__all__ = [
    "FingerprintMismatch",
    "PreparedData",
    "prepare_data",
    "prepare_for_plan",
    "split_dir_name",
    "user_cache_dir",
    "BUILTINS",
    "IMAGE_DATASETS",
    "KERAS_FILES",
    "SEQUENCE_DATASETS",
    "DatasetUnavailable",
    "data_kind",
    "keras_cache_dir",
    "make_array_dataset",
    "vocabulary_size",
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
