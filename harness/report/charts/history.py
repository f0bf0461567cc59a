"""History chart: each strategy's mean test score and wall time over a suite's rounds."""

from __future__ import annotations

import numpy as np

from harness.analysis.history import ProblemHistory
from harness.report.charts._svg import as_float_array, figure_class, figure_to_svg
from harness.report.charts.batch import deferrable

REGRESSION_COLOR = "#d62728"


@deferrable
def history_svg(history: ProblemHistory, rounds: list[str], colors: dict[str, str]) -> str:
    """Two panels over the rounds: mean test score (left) and mean wall time (right); a
    round where a strategy regressed against the round before is ringed in red."""
    fig = figure_class()(figsize=(9.0, 3.2))
    fig.subplots_adjust(left=0.09, right=0.99, bottom=0.3, top=0.93, wspace=0.25)
    score_ax, time_ax = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    x = np.arange(len(rounds))
    panels = ((score_ax, "test_score", f"mean test {history.metric}", ("test_score",
                                                                      "best_cv_score",
                                                                      "status")),
              (time_ax, "wall_time_s", "mean wall time (s)", ("wall_time_s", "peak_mem_mb")))
    for ax, attribute, label, measures in panels:
        for series in history.series:
            values = as_float_array(getattr(series, attribute))
            color = colors.get(series.strategy, "#333333")
            ax.plot(x, values, "o-", color=color, linewidth=1.4, markersize=3,
                    label=series.strategy)
            marked = [i for i, flags in enumerate(series.regressed)
                      if set(flags) & set(measures) and not np.isnan(values[i])]
            if marked:
                ax.scatter(x[marked], values[marked], s=90, facecolors="none",
                           edgecolors=REGRESSION_COLOR, linewidths=1.6, zorder=3)
        ax.set_ylabel(label)
        ax.set_xticks(x)
        ax.set_xticklabels(rounds, rotation=35, ha="right", fontsize=7)
        ax.grid(alpha=0.3)
    time_ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                   borderaxespad=0)
    time_ax.set_ylim(bottom=0)
    return figure_to_svg(fig)
