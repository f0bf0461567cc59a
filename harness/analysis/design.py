"""Model-based strategies that never left their random initial design.

A model-based strategy (``bayes``, ``keras-bayes``) draws random points first and only then
lets its model propose; each run stores both counts in its details (``initial_design``,
``model_proposed_trials``). A run whose model proposed nothing was a random search, and the
report says so instead of crediting the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class DesignWarning:
    """A strategy whose model proposed no trial in some of its runs."""

    strategy: str
    runs: int  # runs whose model proposed no trial
    of: int  # runs that report the count
    initial_design: list[int]  # their initial designs (random points), distinct, sorted

    @property
    def text(self) -> str:
        points = " or ".join(str(n) for n in self.initial_design) or "its"
        return (f"{self.strategy} never left its initial design in {self.runs} of {self.of} "
                f"run(s): its {points} random point(s) took every trial it had, so its model "
                "proposed none and those runs were random searches. Give it more trials "
                "(budget.max_trials, time) or fewer initial points.")


def initial_design_warnings(runs: pd.DataFrame) -> list[DesignWarning]:
    """One warning per strategy with a run (of any status) whose model proposed no trial."""
    if not len(runs):
        return []
    out = []
    details = runs["details"].map(lambda d: d if isinstance(d, dict) else {})
    for strategy, group in details.groupby(runs["strategy"], sort=False):
        counted = [d for d in group if d.get("model_proposed_trials") is not None]
        never = [d for d in counted if d["model_proposed_trials"] == 0]
        if never:
            sizes = sorted({int(d["initial_design"]) for d in never
                            if d.get("initial_design") is not None})
            out.append(DesignWarning(str(strategy), len(never), len(counted), sizes))
    return out
