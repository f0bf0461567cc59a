"""Validation curves of the regularization comparison."""

from __future__ import annotations

import numpy as np

from harness.analysis.regularization import RegularizationSummary
from harness.report.charts._svg import PALETTE, as_float_array, figure_to_svg, new_figure
from harness.report.charts.batch import deferrable


@deferrable
def validation_curves_svg(summary: RegularizationSummary, metric: str) -> str:
    """Train (dotted), CV (solid, ±1 std band over folds) and test (dashed) score against
    strength, one colour per penalty kind; the train-test gap is shaded as overfitting."""
    from matplotlib.ticker import LogFormatter

    fig, ax = new_figure(6.8, 3.6, left=0.11, bottom=0.15, right=0.72)
    for i, curve in enumerate(summary.curves):
        color = PALETTE[i % len(PALETTE)]
        x = np.array(curve.strengths)
        train, cv, std, test = (as_float_array(v) for v in (curve.train, curve.cv, curve.cv_std,
                                                   curve.test))
        ax.fill_between(x, cv - std, cv + std, color=color, alpha=0.15, linewidth=0)
        ax.fill_between(x, test, train, where=train > test, color=color, alpha=0.07,
                        hatch="//", linewidth=0)
        ax.plot(x, cv, "-o", color=color, markersize=3, label=f"{curve.label}: CV")
        ax.plot(x, train, ":", color=color, label=f"{curve.label}: train")
        ax.plot(x, test, "--", color=color, label=f"{curve.label}: test")
    none = next((b for b in summary.best if b.label == "none"), None)
    if none is not None and none.test is not None:
        ax.axhline(none.test, color="#333333", linewidth=0.8, linestyle="-.",
                   label="unregularized: test")
    ax.set_xscale("log")
    # plain numbers (0.01, 100): the default 10^k labels are math, and charts draw no math
    ax.xaxis.set_major_formatter(LogFormatter())
    ax.xaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False))
    stronger = "smaller" if summary.parameter == "C" else "larger"
    ax.set_xlabel(f"{summary.parameter} ({stronger} is stronger regularization)")
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return figure_to_svg(fig)
