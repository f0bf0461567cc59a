"""Which strategy to pick at 25%, 50% and 100% of the budget, and how sure that is."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from harness.analysis.curves import Trace, best_so_far_at
from harness.analysis.statistics import PairwiseResult, pairwise_comparisons


@dataclass(frozen=True)
class Recommendation:
    fraction: float
    strategy: str | None
    mean_rank: float | None
    beats: list[str] = field(default_factory=list)
    ties: list[str] = field(default_factory=list)
    loses_to: list[str] = field(default_factory=list)
    summary: str = ""


def _outcome(results: list[PairwiseResult], pick: str, other: str) -> str | None:
    flip = {"win": "loss", "loss": "win", "tie": "tie"}
    for r in results:
        if (r.a, r.b) == (pick, other):
            return r.outcome
        if (r.a, r.b) == (other, pick):
            return flip[r.outcome]
    return None


def recommend(runs: pd.DataFrame, traces: dict[int, Trace], *,
              fractions: tuple[float, ...] = (0.25, 0.5, 1.0),
              alpha: float = 0.05) -> list[Recommendation]:
    """For each budget fraction: the strategy with the best mean rank of its best-so-far CV
    score (``traces`` from ``run_traces``) over problems, and which strategies it beats or
    ties (Holm-corrected tests)."""
    out = []
    for fraction in fractions:
        at = best_so_far_at(runs, traces, fraction)
        table = at.pivot_table(index="problem", columns="strategy", values="score",
                               aggfunc="median", sort=False)
        table = table.dropna(axis=1, how="all")
        pct = f"{fraction:.0%}"
        if table.empty:
            out.append(Recommendation(fraction, None, None,
                                      summary=f"no strategy had a scored trial by {pct} of "
                                              "the budget"))
            continue
        ranks = table.rank(axis=1, ascending=False, method="average").mean(axis=0)
        pick = str(ranks.idxmin())
        results = pairwise_comparisons(at, alpha=alpha)
        beats, ties, loses = [], [], []
        for other in table.columns:
            outcome = _outcome(results, pick, str(other)) if other != pick else None
            {"win": beats, "tie": ties, "loss": loses}.get(outcome or "", []).append(str(other))
        if ties or loses:
            sure = (f"not significantly different from {', '.join(ties + loses)} "
                    f"(Holm-corrected, alpha={alpha})")
        elif beats:
            sure = f"significantly better than every other strategy (Holm-corrected, alpha={alpha})"
        else:
            sure = "the only strategy with a score"
        if beats and (ties or loses):
            sure += f"; significantly better than {', '.join(beats)}"
        out.append(Recommendation(fraction, pick, float(ranks[pick]), beats, ties, loses,
                                  f"at {pct} of the budget pick {pick} (mean rank "
                                  f"{float(ranks[pick]):.2f} over {len(table)} problem(s)): "
                                  f"{sure}"))
    return out


