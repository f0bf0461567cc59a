"""Hyperparameter importance bars and partial-dependence plots."""

from __future__ import annotations

import numpy as np

from harness.analysis.importance import Importance
from harness.report.charts._svg import figure_class, figure_to_svg
from harness.report.charts.batch import deferrable


@deferrable
def importance_svg(data: Importance) -> str:
    """Permutation importance (bars with std) beside partial dependence on the top ones."""
    panels = 1 + len(data.dependence)
    fig = figure_class()(figsize=(3.4 * panels, 3.0))
    fig.subplots_adjust(left=0.16 / panels * 1.6, right=0.98, bottom=0.2, top=0.95,
                        wspace=0.45)
    axes = [fig.add_subplot(1, panels, i + 1) for i in range(panels)]
    names = [name for name, _, _ in data.importances][::-1]
    means = [mean for _, mean, _ in data.importances][::-1]
    stds = [std for _, _, std in data.importances][::-1]
    axes[0].barh(names, means, xerr=stds, color="#1f77b4", alpha=0.8)
    axes[0].set_xlabel("permutation importance")
    axes[0].tick_params(axis="y", labelsize=8)
    for ax, dep in zip(axes[1:], data.dependence, strict=True):
        if dep.categorical:
            ax.bar([str(v) for v in dep.values], dep.score, color="#ff7f0e", alpha=0.8)
            ax.tick_params(axis="x", labelrotation=20, labelsize=8)
        else:
            ax.plot(np.array(dep.values, dtype=float), dep.score, color="#ff7f0e")
        ax.set_xlabel(dep.name)
        ax.set_ylabel("predicted CV score", fontsize=8)
        ax.grid(alpha=0.3)
    return figure_to_svg(fig)
