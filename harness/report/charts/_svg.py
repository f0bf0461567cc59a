"""Matplotlib figures as inline SVG text (no files, no network at view time)."""

from __future__ import annotations

import io
from typing import Any

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


def new_figure(width: float = 6.4, height: float = 3.6, *, left: float = 0.12,
               bottom: float = 0.16, right: float = 0.97, top: float = 0.95) -> tuple[Any, Any]:
    """A (figure, axes) pair on the non-interactive Agg backend.

    Margins are fixed (fractions of the figure): a layout engine would double the drawing
    time, and the report draws dozens of charts.
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=left, bottom=bottom, right=right, top=top)
    ax = fig.add_subplot(1, 1, 1)
    return fig, ax


def figure_to_svg(fig: Any) -> str:
    """The figure as an ``<svg>`` element (XML header dropped), text kept as text."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "harness"}):
        fig.savefig(buffer, format="svg")
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]


def as_float_array(values: list[float | None]) -> Any:
    """A float array with NaN for None (matplotlib leaves gaps there)."""
    import numpy as np

    return np.array([np.nan if v is None else v for v in values], dtype=float)


def color_for(names: list[str]) -> dict[str, str]:
    """A stable colour per name (strategy), in the order given."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
