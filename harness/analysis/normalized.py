"""Normalized scores (as Bayesmark defines them) beside the verdict's mean ranks.

On each problem (dataset), a run's normalized score is ``(best - score) / (best -
random_median)``: 0 is the best test score any contender reached on that problem, 1 is the
median test score of random search there, so contenders compare across problems (lower is
better). A failed run counts with the problem's worst score, as in the verdict's tests. The
mean ranks are the verdict's own (``standings``), so this table cannot contradict it; rows
are in the verdict's order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.analysis.contenders import FAILED, SCORED
from harness.analysis.standings import Standing

BASELINE = "random"
NOT_RUN = "not run"
NO_BASELINE = "undefined: no random-search score here"
DEGENERATE = "undefined: random's median is the best score"


@dataclass(frozen=True)
class NormalizedRow:
    """A contender's mean normalized score per problem (None with ``why`` where undefined),
    overall, and its mean rank in the verdict (None with ``rank_note`` when not ranked)."""

    contender: str
    per_problem: dict[str, float | None]
    why: dict[str, str]
    failed: dict[str, int]
    mean: float | None
    mean_rank: float | None
    rank_note: str | None = None


@dataclass(frozen=True)
class NormalizedScores:
    rows: list[NormalizedRow]
    problems: list[str]
    note: str | None


def _scales(standing: Standing) -> dict[str, tuple[float, float] | str]:
    """Per problem: (best, random median), or why the scale is undefined."""
    obs = standing.observations
    scales: dict[str, tuple[float, float] | str] = {}
    for problem in standing.problems:
        scored = obs[(obs["problem"] == problem) & (obs["outcome"] == SCORED)]
        random = scored.loc[scored["strategy"] == BASELINE, "score"]
        if scored.empty or random.empty:
            scales[problem] = NO_BASELINE
            continue
        best, median = float(scored["score"].max()), float(random.median())
        scales[problem] = DEGENERATE if best - median <= 0 else (best, median)
    return scales


def _rows(standing: Standing) -> list[NormalizedRow]:
    obs = standing.observations
    obs = obs[obs["outcome"].isin([SCORED, FAILED])]
    scales = _scales(standing)
    rows = []
    contenders = [*standing.ranked, *[c for c in dict.fromkeys(obs["contender"])
                                      if c not in standing.ranked]]
    for contender in contenders:
        mine = obs[obs["contender"] == contender]
        per: dict[str, float | None] = {}
        why: dict[str, str] = {}
        failed: dict[str, int] = {}
        for problem in standing.problems:
            runs = mine[mine["problem"] == problem]
            failed[problem] = int((runs["outcome"] == FAILED).sum())
            scale = scales[problem]
            if runs.empty or isinstance(scale, str):
                per[problem], why[problem] = None, NOT_RUN if runs.empty else str(scale)
                continue
            best, median = scale
            per[problem] = float(np.mean((best - runs["value"].to_numpy(float))
                                         / (best - median)))
        values = [v for v in per.values() if v is not None]
        rows.append(NormalizedRow(contender, per, why, failed,
                                  float(np.mean(values)) if values else None,
                                  standing.mean_rank.get(contender),
                                  standing.not_ranked.get(contender)))
    return rows


def normalized_scores(standing: Standing) -> NormalizedScores:
    """The normalized-score table of one scope of the verdict (its standing at 100% of the
    budget): a row per contender that ran there, in the verdict's order."""
    rows = _rows(standing)
    note = None
    if rows and BASELINE not in set(standing.observations["strategy"]):
        note = ("normalized scores need the random strategy as the baseline; it did not run "
                f"on {', '.join(standing.problems)}")
    return NormalizedScores(rows, list(standing.problems), note)
