"""What the harness did to each dataset before any model saw it (its ``prep`` record, stored
with every run as ``details["dataset_prep"]``), as plain text and rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import pandas as pd

from harness.records import ColumnKind


class PreparationInfo(NamedTuple):
    """One dataset's preparation, for a table: rows, columns by kind, missing rate, dropped."""

    dataset: str
    fingerprint: str
    rows: str
    columns: str
    missing: str
    dropped: str


def _rows_text(prep: Mapping[str, Any]) -> str:
    rows = prep.get("rows")
    if rows is None:
        return "–"
    gone = int(prep.get("rows_dropped_missing_target") or 0)
    return f"{rows}" + (f" ({gone} without a target dropped)" if gone else "")


def _columns_text(prep: Mapping[str, Any]) -> str:
    kinds = prep.get("columns") or {}
    if not kinds:
        return f"{prep['features']} numbers" if "features" in prep else "–"
    order = [kind.value for kind in ColumnKind]
    return ", ".join(f"{len(kinds[kind])} {kind}" for kind in sorted(kinds, key=order.index))


def _dropped_text(prep: Mapping[str, Any]) -> str:
    dropped = prep.get("dropped") or {}
    return ", ".join(f"{name} ({dropped[name]})" for name in sorted(dropped)) or "none"


def _missing_text(prep: Mapping[str, Any]) -> str:
    rate = prep.get("missing_rate")
    if rate is None:
        return "–"
    return f"{100 * rate:.1f}% of cells ({prep.get('missing_cells', 0)})" if rate else "none"


def preparation_info(dataset: str, fingerprint: str,
                     prep: Mapping[str, Any] | None) -> PreparationInfo:
    """The table row of one dataset's preparation (dashes where nothing was recorded, e.g.
    the shipped numeric datasets, which need none)."""
    prep = prep or {}
    return PreparationInfo(dataset, fingerprint, _rows_text(prep), _columns_text(prep),
                           _missing_text(prep), _dropped_text(prep) if prep else "–")


def preparation_text(prep: Mapping[str, Any] | None) -> str:
    """One line: rows, columns by kind, missing values, dropped columns."""
    info = preparation_info("", "", prep)
    if not prep:
        return "no preparation recorded (numbers only)"
    return (f"{info.rows} rows; columns: {info.columns}; missing: {info.missing}; "
            f"dropped: {info.dropped}")


def preparation_rows(runs: pd.DataFrame) -> list[PreparationInfo]:
    """Each dataset of ``runs`` once, with its stored preparation (the first run's)."""
    if not len(runs):
        return []
    rows = []
    for run in runs.drop_duplicates("dataset").itertuples(index=False):
        details = run.details if isinstance(getattr(run, "details", None), Mapping) else {}
        rows.append(preparation_info(run.dataset, run.fingerprint, details.get("dataset_prep")))
    return rows
