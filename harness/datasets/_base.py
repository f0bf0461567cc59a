"""The dataset record, its fingerprint, its checks and its one fixed train/test split."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness.errors import DatasetError
from harness.plain import to_plain
from harness.records import ColumnLayout

TASKS = ("classification", "regression")
#: The split seed never changes with the run seed: every strategy sees the same train part.
SPLIT_SEED = 42


@dataclass(frozen=True)
class Dataset:
    """Fixed data: features, target, task and a fingerprint of the arrays."""

    name: str
    task: str
    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    classes: tuple[Any, ...] = ()
    description: str = ""
    fingerprint: str = field(default="")
    kind: str = "tabular"  # tabular (2-D floats), image (N, H, W, C) or sequence (N, length)
    test_part: tuple[np.ndarray, np.ndarray] | None = None  # the dataset's own test part
    prep: dict[str, Any] = field(default_factory=dict)  # what the loader did to the raw table
    layout: ColumnLayout | None = None  # each feature column's kind (tabular data only)

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.X.shape[0]), int(self.X.shape[1]) if self.X.ndim > 1 else 1)


@dataclass(frozen=True)
class Split:
    """The dataset's fixed split: the train part every strategy sees, the test part scored once."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray


def fingerprint_arrays(X: np.ndarray, y: np.ndarray) -> str:
    """A short sha256 of the arrays' bytes, shapes and dtypes."""
    digest = hashlib.sha256()
    for array in (X, y):
        array = np.ascontiguousarray(array)
        digest.update(str(array.dtype).encode())
        digest.update(str(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]


def make_dataset(
    name: str,
    X: Any,
    y: Any,
    *,
    task: str,
    feature_names: list[str] | tuple[str, ...] | None = None,
    description: str = "",
    layout: ColumnLayout | None = None,
    prep: dict[str, Any] | None = None,
) -> Dataset:
    """Check the arrays, encode class labels as integers and fingerprint the result.

    Features may be missing (NaN: the models' pipelines impute them); ``layout`` says what
    each column is (all numbers when None). Raises DatasetError for non-numeric features,
    infinite values, a NaN target, a single class or too few rows, naming the dataset and
    the problem.
    """
    if task not in TASKS:
        raise DatasetError(name, f"unknown task {task!r}; valid: {', '.join(TASKS)}")
    try:
        X_arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DatasetError(name, f"features must be numeric: {exc}") from None
    if X_arr.ndim == 1:
        X_arr = X_arr.reshape(-1, 1)
    y_arr = np.asarray(y)
    if y_arr.ndim != 1:
        y_arr = y_arr.reshape(-1)
    if X_arr.shape[0] != y_arr.shape[0]:
        raise DatasetError(name, f"{X_arr.shape[0]} feature rows but {y_arr.shape[0]} targets")
    if X_arr.shape[0] < 10:
        raise DatasetError(name, f"only {X_arr.shape[0]} rows; at least 10 are needed")
    names = (
        tuple(feature_names)
        if feature_names is not None
        else tuple(f"x{i}" for i in range(X_arr.shape[1]))
    )
    layout = _checked_layout(name, X_arr, names, layout)
    y_arr, classes = _encode_target(name, y_arr, task)
    fingerprint = fingerprint_arrays(X_arr, y_arr)
    if not all(n == 0 for n in layout.levels):  # categories: their coding is part of the data
        fingerprint = hashlib.sha256(
            (fingerprint + json.dumps(layout.to_dict())).encode()).hexdigest()[:16]
    return Dataset(
        name=name,
        task=task,
        X=X_arr,
        y=y_arr,
        feature_names=names,
        classes=classes,
        description=description,
        fingerprint=fingerprint,
        prep=dict(prep or {}),
        layout=layout,
    )


def _checked_layout(name: str, X: np.ndarray, names: tuple[str, ...],
                    layout: ColumnLayout | None) -> ColumnLayout:
    """The features' layout (all numbers when None), with ``missing`` measured; DatasetError
    for infinite values."""
    bad_cols = [names[i] for i in np.flatnonzero(np.isinf(X).any(axis=0))]
    if bad_cols:
        raise DatasetError(
            name,
            f"features contain infinite values in column(s) {', '.join(bad_cols[:10])}; "
            "replace them by a number or leave the cell empty (missing)",
        )
    missing = bool(np.isnan(X).any())
    layout = (ColumnLayout.numbers(X.shape[1], missing=missing) if layout is None
              else ColumnLayout(layout.kinds, layout.levels, missing))
    if len(layout.kinds) != X.shape[1]:
        raise ValueError(f"{len(layout.kinds)} column kinds for {X.shape[1]} columns")
    return layout


def _encode_target(name: str, y: np.ndarray, task: str) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Class labels as integer codes (and the labels), or a regression target as floats."""
    missing = _missing_mask(y)
    if missing.any():
        raise DatasetError(
            name, f"the target has {int(missing.sum())} missing (NaN) value(s); drop those rows"
        )
    if task == "classification":
        labels, y_codes = np.unique(y, return_inverse=True)
        if len(labels) < 2:
            raise DatasetError(
                name,
                f"the target has a single class ({labels[0]!r}); classification needs two or more",
            )
        return y_codes.astype(np.int64), tuple(to_plain(v) for v in labels)
    try:
        return y.astype(np.float64), ()
    except (TypeError, ValueError):
        raise DatasetError(
            name, "the target is not numeric; use task: classification for labels"
        ) from None


def _missing_mask(y: np.ndarray) -> np.ndarray:
    if y.dtype.kind in "fc":
        return np.isnan(y)
    if y.dtype.kind == "O":
        return np.array([v is None or (isinstance(v, float) and np.isnan(v)) for v in y])
    return np.zeros(y.shape, dtype=bool)


def make_array_dataset(name: str, X: np.ndarray, y: np.ndarray, *, kind: str,
                       test_part: tuple[np.ndarray, np.ndarray] | None = None,
                       description: str = "") -> Dataset:
    """An image or sequence classification dataset, arrays kept in their own dtype.

    ``test_part`` is the dataset's own held-out part (CIFAR-10's and IMDb's test sets).
    """
    y = np.asarray(y).reshape(-1)
    labels = np.unique(y if test_part is None else np.concatenate([y, np.ravel(test_part[1])]))
    if len(labels) < 2:
        raise DatasetError(name, "the target has a single class; classification needs two")
    codes = np.searchsorted(labels, y).astype(np.int64)
    arrays = [np.asarray(X), codes]
    test = None
    if test_part is not None:
        test = (np.asarray(test_part[0]),
                np.searchsorted(labels, np.ravel(test_part[1])).astype(np.int64))
        arrays += list(test)
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(fingerprint_arrays(array, np.zeros(0)).encode())
    return Dataset(name=name, task="classification", X=arrays[0], y=codes,
                   feature_names=(), classes=tuple(to_plain(v) for v in labels),
                   description=description, fingerprint=digest.hexdigest()[:16], kind=kind,
                   test_part=test)


def split_dataset(dataset: Dataset, *, test_size: float, seed: int = SPLIT_SEED,
                  subsample: int | None = None) -> Split:
    """The one fixed train/test split (stratified for classification); the dataset's own test
    part when it has one. ``subsample`` keeps a fixed, stratified subset of the train part."""
    from sklearn.model_selection import train_test_split

    if dataset.test_part is not None:
        split = Split(dataset.X, dataset.test_part[0], dataset.y, dataset.test_part[1])
    else:
        split = _split(dataset, test_size=test_size, seed=seed)
    if subsample is not None and subsample < len(split.y_train):
        X_keep, _, y_keep, _ = train_test_split(
            split.X_train, split.y_train, train_size=subsample, random_state=seed,
            stratify=split.y_train if dataset.task == "classification" else None)
        split = Split(X_keep, split.X_test, y_keep, split.y_test)
    return split


def _split(dataset: Dataset, *, test_size: float, seed: int) -> Split:
    from sklearn.model_selection import train_test_split

    stratify = dataset.y if dataset.task == "classification" else None
    try:
        X_train, X_test, y_train, y_test = train_test_split(
            dataset.X, dataset.y, test_size=test_size, random_state=seed, stratify=stratify
        )
    except ValueError as exc:
        raise DatasetError(
            dataset.name, f"cannot split with test_size={test_size}: {exc}"
        ) from None
    return Split(X_train, X_test, y_train, y_test)


def check_cv_fits(dataset: Dataset, split: Split, cv: int) -> None:
    """Fail clearly when a class has fewer training rows than CV folds."""
    if dataset.task != "classification":
        if len(split.y_train) < cv:
            raise DatasetError(dataset.name, f"{len(split.y_train)} training rows < cv={cv} folds")
        return
    counts = np.bincount(split.y_train, minlength=len(dataset.classes))
    smallest = int(counts.argmin())
    if counts[smallest] < cv:
        raise DatasetError(
            dataset.name,
            f"class {dataset.classes[smallest]!r} has {int(counts[smallest])} training rows, "
            f"fewer than cv={cv} folds; lower cv or add data",
        )


_SPLIT_FILES = ("X_train", "X_test", "y_train", "y_test")


def save_split(dataset: Dataset, split: Split, directory: Path,
               extra: dict[str, Any] | None = None) -> Path:
    """Write the split as .npy files (plus meta.json, with ``extra`` keys) for worker
    processes; returns the folder."""
    directory.mkdir(parents=True, exist_ok=True)
    meta_path = directory / "meta.json"
    if meta_path.exists():
        return directory
    for key in _SPLIT_FILES:
        tmp = directory / f"{key}.tmp.npy"
        np.save(tmp, getattr(split, key))
        tmp.replace(directory / f"{key}.npy")
    meta = {
        "name": dataset.name,
        "kind": dataset.kind,
        "task": dataset.task,
        "fingerprint": dataset.fingerprint,
        "feature_names": list(dataset.feature_names),
        "classes": list(dataset.classes),
        "layout": dataset.layout.to_dict() if dataset.layout is not None else None,
        **(extra or {}),
    }
    tmp_meta = directory / "meta.tmp.json"
    tmp_meta.write_text(json.dumps(meta))
    tmp_meta.replace(meta_path)
    return directory


def load_split(directory: Path) -> tuple[dict[str, Any], Split]:
    """Read what ``save_split`` wrote: (meta, split)."""
    meta = json.loads((directory / "meta.json").read_text())
    arrays = {key: np.load(directory / f"{key}.npy", allow_pickle=False) for key in _SPLIT_FILES}
    return meta, Split(**arrays)
