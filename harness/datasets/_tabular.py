"""Tabular datasets: scikit-learn's shipped ones, a user's CSV/Parquet file, OpenML."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.datasets._base import Dataset, make_dataset
from harness.datasets._prepare import dataset_from_frame
from harness.errors import DatasetError


@dataclass(frozen=True)
class BuiltinDataset:
    """A dataset shipped with the harness: offline, fixed, known task."""

    name: str
    task: str
    description: str
    load: Callable[[], tuple[Any, Any, list[str] | None]]


def _sklearn_loader(fn_name: str) -> Callable[[], tuple[Any, Any, list[str] | None]]:
    def load() -> tuple[Any, Any, list[str] | None]:
        from sklearn import datasets

        bunch = getattr(datasets, fn_name)()
        names = getattr(bunch, "feature_names", None)
        return bunch.data, bunch.target, list(names) if names is not None else None

    return load


def _synthetic_classification() -> tuple[Any, Any, list[str] | None]:
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=1000, n_features=20, n_classes=2, random_state=42)
    return X, y, None


BUILTINS: dict[str, BuiltinDataset] = {
    d.name: d
    for d in (
        BuiltinDataset(
            "synthetic-classification",
            "classification",
            "make_classification(n_samples=1000, n_features=20, n_classes=2, random_state=42)",
            _synthetic_classification,
        ),
        BuiltinDataset(
            "iris",
            "classification",
            "150 irises, 4 features, 3 classes",
            _sklearn_loader("load_iris"),
        ),
        BuiltinDataset(
            "wine",
            "classification",
            "178 wines, 13 features, 3 classes",
            _sklearn_loader("load_wine"),
        ),
        BuiltinDataset(
            "breast-cancer",
            "classification",
            "569 tumours, 30 features, 2 classes",
            _sklearn_loader("load_breast_cancer"),
        ),
        BuiltinDataset(
            "digits",
            "classification",
            "1797 8x8 digit images, 64 features, 10 classes",
            _sklearn_loader("load_digits"),
        ),
        BuiltinDataset(
            "diabetes",
            "regression",
            "442 patients, 10 features, disease progression",
            _sklearn_loader("load_diabetes"),
        ),
    )
}


def load_builtin(name: str) -> Dataset:
    """One of the shipped datasets by name."""
    info = BUILTINS[name]
    X, y, names = info.load()
    return make_dataset(
        name, X, y, task=info.task, feature_names=names, description=info.description
    )


def load_table(name: str, path: Path, *, fmt: str, target: str, task: str | None) -> Dataset:
    """A user's CSV or Parquet file with a named target column; every other column is a feature."""
    import pandas as pd

    path = path.resolve()
    if not path.exists():
        raise DatasetError(name, f"file not found: {path}")
    try:
        frame = pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        raise DatasetError(name, f"{path} is empty: no header and no rows") from None
    except Exception as exc:  # noqa: BLE001 - any reader error is the user's file
        raise DatasetError(name, f"cannot read {fmt} file {path}: {exc}") from None
    if len(frame) == 0:
        raise DatasetError(name, f"{path.name} has no rows, only a header "
                                 f"({', '.join(map(str, frame.columns[:20]))})")
    if target not in frame.columns:
        cols = ", ".join(map(str, frame.columns[:20]))
        raise DatasetError(
            name, f"target column {target!r} not in {path.name}; columns are: {cols}"
        )
    if frame.shape[1] == 1:
        raise DatasetError(name, f"{path.name} has no feature columns besides {target!r}")
    return dataset_from_frame(name, frame, target, task=task, where=f" in {path.name}",
                              description=f"{fmt} file {path}")


def openml_cache_dir() -> Path:
    """scikit-learn's data home, where fetch_openml caches downloads."""
    from sklearn.datasets import get_data_home

    return Path(get_data_home())


def load_openml(name: str, data_id: int, *, task: str | None, target: str | None) -> Dataset:
    """An OpenML dataset through scikit-learn's fetch_openml and its cache."""
    from sklearn.datasets import fetch_openml

    try:
        bunch = fetch_openml(
            data_id=data_id, as_frame=True, parser="auto", target_column=target or "default-target"
        )
    except (OSError, ValueError) as exc:  # URLError is an OSError
        raise DatasetError(
            name,
            f"OpenML dataset {data_id} is not in the cache at {openml_cache_dir()} "
            f"and could not be downloaded ({exc}). Fetch it once on a machine with network "
            "and copy that cache folder here.",
        ) from None
    target = target or "default-target"
    return dataset_from_frame(name, bunch.data.assign(**{target: bunch.target}), target,
                              task=task, where="", description=f"OpenML dataset {data_id}")
