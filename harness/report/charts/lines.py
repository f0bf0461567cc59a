"""Line charts: anytime curves with interquartile bands, learning curves with bands."""

from __future__ import annotations

import numpy as np

from harness.analysis.curves import ProblemCurves
from harness.analysis.learning import LearningCurve
from harness.report.charts._svg import as_float_array, figure_to_svg, new_figure
from harness.report.charts.batch import deferrable


@deferrable
def anytime_svg(data: ProblemCurves, colors: dict[str, str], metric: str) -> str:
    """Best-so-far CV score against seconds: median line and IQR band per strategy."""
    fig, ax = new_figure(6.4, 3.4, left=0.11, bottom=0.15)
    for curve in data.curves:
        t = np.array(curve.times)
        color = colors.get(curve.strategy, "#333333")
        ax.fill_between(t, as_float_array(curve.q25), as_float_array(curve.q75), color=color,
                        alpha=0.15, linewidth=0, step="post")
        ax.step(t, as_float_array(curve.median), where="post", color=color, linewidth=1.6,
                label=f"{curve.strategy} (n={curve.seeds})")
    if data.target is not None:
        ax.axhline(data.target, color="#555555", linestyle=":", linewidth=1,
                   label="99% of best final")
    ax.set_xlabel("wall-clock seconds since the run began")
    ax.set_ylabel(f"best-so-far CV {metric}")
    ax.set_xlim(0, data.budget_s or None)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    return figure_to_svg(fig)


@deferrable
def learning_svg(curve: LearningCurve) -> str:
    """Train and CV score against training-set size, with ±1 std bands over folds."""
    fig, ax = new_figure(5.2, 3.2, left=0.14, bottom=0.16)
    sizes = np.array(curve.sizes)
    for label, mean, std, color in (("train", curve.train_mean, curve.train_std, "#1f77b4"),
                                    ("cross-validation", curve.cv_mean, curve.cv_std,
                                     "#ff7f0e")):
        m, s = np.array(mean), np.array(std)
        ax.fill_between(sizes, m - s, m + s, color=color, alpha=0.2, linewidth=0)
        ax.plot(sizes, m, "o-", color=color, label=label, linewidth=1.5, markersize=4)
    ax.set_xlabel("training-set size")
    ax.set_ylabel(curve.metric)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    return figure_to_svg(fig)
