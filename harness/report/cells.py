"""Display-ready numbers and table cells of the report context."""

from __future__ import annotations

from typing import Any

import pandas as pd


def num(value: float | None, digits: int = 4) -> str:
    """A number as the report shows it ("–" for none)."""
    if value is None or pd.isna(value):
        return "–"
    return f"{value:.{digits}f}" if abs(value) < 1e5 else f"{value:.3g}"


def cell(text: str, sort: float | None, best: bool = False) -> dict[str, Any]:
    """A table cell: its text, the key it sorts by, and whether it is the column's best."""
    return {"text": text, "sort": "" if sort is None or pd.isna(sort) else f"{sort:.10g}",
            "best": best}
