"""Cost against score: the Pareto front, trials per second, and the CV-test gap."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class CostPoint:
    strategy: str
    wall_s: float
    test_score: float
    trials_per_s: float | None
    gap: float | None
    pareto: bool


def cost_points(runs: pd.DataFrame, problem: str) -> list[CostPoint]:
    """Per strategy on ``problem``: mean wall time and test score, trials/s, CV-test gap.

    ``pareto`` marks strategies no other strategy beats on both score and time.
    """
    subset = runs[(runs["problem"] == problem) & runs["test_score"].notna()]
    raw = []
    for strategy, group in subset.groupby("strategy", sort=False):
        wall = float(group["wall_time_s"].mean())
        per_s = (group["n_trials"] / group["wall_time_s"]).replace([np.inf], np.nan).mean()
        gap = (group["best_cv_score"] - group["test_score"]).mean()
        raw.append((str(strategy), wall, float(group["test_score"].mean()),
                    None if pd.isna(per_s) else float(per_s),
                    None if pd.isna(gap) else float(gap)))
    points = []
    for name, wall, score, per_s, gap in raw:
        dominated = any(w <= wall and s >= score and (w < wall or s > score)
                        for other, w, s, _, _ in raw if other != name)
        points.append(CostPoint(name, wall, score, per_s, gap, not dominated))
    return points


@dataclass(frozen=True)
class GapRow:
    strategy: str
    per_problem: dict[str, float | None]
    mean: float | None


def overfitting_gaps(runs: pd.DataFrame) -> list[GapRow]:
    """Best CV score minus test score, per strategy and problem (positive: CV was optimistic)."""
    scored = runs[runs["test_score"].notna() & runs["best_cv_score"].notna()]
    scored = scored.assign(gap=scored["best_cv_score"] - scored["test_score"])
    rows = []
    for strategy in dict.fromkeys(runs["strategy"]):
        group = scored[scored["strategy"] == strategy]
        per = {str(p): float(g["gap"].mean()) for p, g in group.groupby("problem", sort=False)}
        rows.append(GapRow(str(strategy), per,
                           float(group["gap"].mean()) if len(group) else None))
    return rows
