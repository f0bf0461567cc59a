"""The regularization comparison: validation curves per penalty kind and the best strength
of each kind beside the unregularized fit (from the ``regularization`` strategy's trials)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.analysis.leaderboard import mean_or_none

STRATEGY = "regularization"


@dataclass(frozen=True)
class PenaltyCurve:
    """Train, CV (with its std over folds) and test score against strength, over seeds."""

    label: str
    strengths: list[float]
    train: list[float | None]
    cv: list[float | None]
    cv_std: list[float | None]
    test: list[float | None]


@dataclass(frozen=True)
class PenaltyBest:
    """One penalty kind at its best strength by CV score (or the unregularized fit)."""

    label: str
    strength: float | None
    cv: float | None
    test: float | None
    train: float | None
    gap: float | None  # train minus test: positive means overfitting
    nonzero: str


@dataclass(frozen=True)
class RegularizationSummary:
    problem: str
    parameter: str  # C (classification: larger is weaker) or alpha (larger is stronger)
    curves: list[PenaltyCurve]
    best: list[PenaltyBest]


def _label(params: dict) -> str:
    penalty, ratio = str(params["penalty"]), params.get("l1_ratio")
    return f"{penalty} (l1_ratio={ratio:g})" if isinstance(ratio, int | float) else penalty


def _has_penalty(params: object) -> bool:
    """A trial of the regularization strategy: its params name a penalty (a plugin or a
    damaged store may hold others under that strategy name)."""
    return isinstance(params, dict) and "penalty" in params


def regularization_summary(trials: pd.DataFrame, problem: str) -> RegularizationSummary | None:
    """None when the regularization strategy did not run on ``problem``."""
    subset = trials[(trials["problem"] == problem) & (trials["strategy"] == STRATEGY)]
    subset = subset[subset["params"].map(_has_penalty)] if len(subset) else subset
    if subset.empty:
        return None
    parameter = "C" if any("C" in p for p in subset["params"]) else "alpha"
    info = subset["info"].map(lambda i: i if isinstance(i, dict) else {})
    frame = pd.DataFrame({
        "label": subset["params"].map(_label),
        "strength": subset["params"].map(lambda p: p.get(parameter)),
        "cv": subset["mean_cv_score"], "cv_std": subset["std_cv_score"],
        "train": info.map(lambda i: i.get("train_score")),
        "test": info.map(lambda i: i.get("test_score")),
        "nonzero": info.map(lambda i: i.get("n_nonzero")),
        "coef": info.map(lambda i: i.get("n_coef")),
    })
    rows = []
    for (label, strength), group in frame.groupby(["label", "strength"], dropna=False,
                                                  sort=True):
        rows.append({"label": label, "strength": None if pd.isna(strength) else strength,
                     **{column: mean_or_none(group[column]) for column in
                        ("cv", "cv_std", "train", "test", "nonzero", "coef")}})
    table = pd.DataFrame(rows)
    curves, best = [], []
    for label, group in table.groupby("label", sort=False):
        if label != "none":
            ordered = group.sort_values("strength")
            curves.append(PenaltyCurve(str(label), [float(s) for s in ordered["strength"]],
                                       *(list(ordered[c]) for c in ("train", "cv", "cv_std",
                                                                    "test"))))
        scored = group.dropna(subset=["cv"])
        if scored.empty:
            continue
        top = scored.loc[scored["cv"].idxmax()]
        gap = top["train"] - top["test"] if top["train"] is not None and top["test"] is not \
            None else None
        nonzero = (f"{top['nonzero']:.0f}/{top['coef']:.0f}" if top["nonzero"] is not None
                   and not np.isnan(top["nonzero"]) else "–")
        strength = None if pd.isna(top["strength"]) else float(top["strength"])
        best.append(PenaltyBest(str(label), strength, top["cv"], top["test"],
                                top["train"], gap, nonzero))
    best.sort(key=lambda b: (b.label != "none", b.label))
    return RegularizationSummary(problem, parameter, curves, best)
