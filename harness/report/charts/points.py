"""Point charts: score distributions over seeds, cost against score, the CV-test gap."""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.analysis.cost import CostPoint, GapRow
from harness.report.charts._svg import figure_to_svg, new_figure, padded_limits
from harness.report.charts.batch import deferrable


@deferrable
def variance_svg(scores: dict[str, list[float]], colors: dict[str, str], metric: str) -> str:
    """Box plot of the final test score per strategy, every seed drawn as a point."""
    names = list(scores)
    fig, ax = new_figure(max(4.0, 1.0 + 0.9 * len(names)), 3.0, bottom=0.24)
    ax.boxplot([scores[n] for n in names], tick_labels=names, widths=0.5, showfliers=False,
               medianprops={"color": "#222222"})
    rng = np.random.default_rng(0)
    for i, name in enumerate(names, start=1):
        values = scores[name]
        jitter = rng.uniform(-0.12, 0.12, size=len(values))
        ax.scatter(np.full(len(values), i) + jitter, values, s=14, zorder=3,
                   color=colors.get(name, "#333333"))
    ax.set_ylabel(f"test {metric}")
    # long names stand upright: slanted, the boxes of neighbouring names would overlap
    upright = max((len(n) for n in names), default=0) > 10
    ax.tick_params(axis="x", labelrotation=90 if upright else 0, labelsize=8)
    ax.grid(axis="y", alpha=0.3)
    return figure_to_svg(fig)


@deferrable
def pareto_svg(points: list[CostPoint], colors: dict[str, str], metric: str) -> str:
    """Mean test score against mean wall time; the Pareto front joined by a line.

    Strategies are named in a legend beside the axes, keyed by the tables' colours (labels
    at the points would overlap where strategies cost alike); the time axis starts at 0 so
    runs that all used their full budget do not look far apart.
    """
    fig, ax = new_figure(5.6, 3.4, left=0.14, bottom=0.15, right=0.7)
    for p in points:
        ax.scatter([p.wall_s], [p.test_score], s=50 if p.pareto else 28,
                   color=colors.get(p.strategy, "#333333"),
                   edgecolors="black" if p.pareto else "none", zorder=3,
                   label=f"{p.strategy} (Pareto)" if p.pareto else p.strategy)
    front = sorted((p.wall_s, p.test_score) for p in points if p.pareto)
    if len(front) > 1:
        ax.step([f[0] for f in front], [f[1] for f in front], where="post", color="#555555",
                linestyle="--", linewidth=1, label="Pareto front")
    _limits(ax, points)
    if points:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    ax.set_xlabel("mean wall time per run (s)")
    ax.set_ylabel(f"mean test {metric}")
    ax.grid(alpha=0.3)
    return figure_to_svg(fig)


def _limits(ax: Any, points: list[CostPoint]) -> None:
    """Time from 0; scores over at least 2% of their magnitude."""
    x = padded_limits([p.wall_s for p in points], from_zero=True)
    y = padded_limits([p.test_score for p in points])
    if x is not None:
        ax.set_xlim(*x)
    if y is not None:
        ax.set_ylim(*y)


@deferrable
def gap_svg(rows: list[GapRow], problems: list[str], colors: dict[str, str]) -> str:
    """Grouped bars: best CV score minus test score per problem and strategy."""
    fig, ax = new_figure(max(5.0, 1.5 + 1.4 * len(problems)), 3.2, bottom=0.2)
    width = 0.8 / max(1, len(rows))
    x = np.arange(len(problems))
    for i, row in enumerate(rows):
        heights = [row.per_problem.get(p) for p in problems]
        ax.bar(x + i * width - 0.4 + width / 2,
               [np.nan if h is None else h for h in heights], width,
               color=colors.get(row.strategy, "#333333"), label=row.strategy)
    ax.axhline(0, color="#333333", linewidth=0.8)
    ax.set_xticks(x, problems, fontsize=8, rotation=10)
    ax.set_ylabel("best CV - test score")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    return figure_to_svg(fig)
