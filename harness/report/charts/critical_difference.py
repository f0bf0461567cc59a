"""Demšar-style critical-difference diagram of average ranks, as inline SVG text."""

from __future__ import annotations

from typing import Any

from harness.analysis.statistics import CriticalDifference
from harness.report.charts._svg import figure_to_svg, new_figure
from harness.report.charts.batch import deferrable

_ROW = 1.0  # vertical distance between label rows, in data units


@deferrable
def critical_difference_svg(cd: CriticalDifference) -> str:
    """The diagram as an ``<svg>`` element.

    A rank axis from 1 (best, left) to k runs along the top with the CD interval above it;
    each strategy's name hangs from its average rank (better half on the left, the rest on
    the right), and thick bars join cliques of strategies that are not significantly different.
    """
    ordered = sorted(cd.ranks, key=lambda name: (cd.ranks[name], name))
    k = max(len(ordered), 2)
    left_names = ordered[: (len(ordered) + 1) // 2]
    right_names = ordered[(len(ordered) + 1) // 2:]

    clique_rows = len(cd.cliques)
    clique_top = -0.6
    first_label = clique_top - 0.5 * _ROW * clique_rows - 0.6 * _ROW
    label_rows = max(len(left_names), len(right_names))
    bottom = first_label - _ROW * (label_rows - 1) - 0.5
    top = 1.8

    margin = 0.15 * k
    x_min, x_max = 1 - margin, max(k, 1 + cd.cd) + margin
    height = 0.3 * (top - bottom) + 0.4
    # names hang outside the axes, left and right: keep wide side margins for them
    fig, ax = new_figure(width=8.0, height=height, left=0.24, right=0.76, bottom=0.02,
                         top=0.98)
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(bottom, top)
    ax.set_axis_off()

    line = {"color": "black", "linewidth": 1.0, "clip_on": False}
    _draw_axis(ax, k, cd.cd, line)

    # strategy names, connected to their average rank
    for row, name in enumerate(left_names):
        y = first_label - _ROW * row
        rank = cd.ranks[name]
        ax.plot([rank, rank, x_min], [0, y, y], **line)
        ax.text(x_min - 0.02 * k, y, f"{name} ({rank:.2f})", ha="right", va="center",
                fontsize=9)
    for row, name in enumerate(reversed(right_names)):
        y = first_label - _ROW * row
        rank = cd.ranks[name]
        ax.plot([rank, rank, x_max], [0, y, y], **line)
        ax.text(x_max + 0.02 * k, y, f"({rank:.2f}) {name}", ha="left", va="center",
                fontsize=9)

    # thick bars joining strategies that are not significantly different
    for row, clique in enumerate(cd.cliques):
        y = clique_top - 0.5 * _ROW * row
        low = min(cd.ranks[name] for name in clique)
        high = max(cd.ranks[name] for name in clique)
        ax.plot([low - 0.03, high + 0.03], [y, y], color="black", linewidth=4.0,
                solid_capstyle="round", clip_on=False)

    return figure_to_svg(fig)


def _draw_axis(ax: Any, k: int, cd: float, line: dict[str, Any]) -> None:
    """The rank axis (ticks at every integer rank, half ticks between) and the CD interval
    above it, starting at the best rank."""
    ax.plot([1, k], [0, 0], **line)
    for tick in range(1, k + 1):
        ax.plot([tick, tick], [0, 0.25], **line)
        ax.text(tick, 0.35, str(tick), ha="center", va="bottom", fontsize=9)
        if tick < k:
            ax.plot([tick + 0.5, tick + 0.5], [0, 0.12], **line)
    cd_y = 1.3
    ax.plot([1, 1 + cd], [cd_y, cd_y], color="black", linewidth=1.5, clip_on=False)
    for end in (1, 1 + cd):
        ax.plot([end, end], [cd_y - 0.12, cd_y + 0.12], **line)
    ax.text(1 + cd / 2, cd_y + 0.18, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=9)
