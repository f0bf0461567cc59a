"""The verdict on data like a user's: the verdict (``recommend.suite_verdict``) restricted to
the stored problems nearest to it (``nearest``), at the stored budget closest to the one
asked for; and, for a suite that ran the user's own file, whether that verdict agrees with
the verdict on the user's data.

Budgets: a run with time budget T has a verdict at 25%, 50% and 100% of T (``LEVELS``), so
the stored runs offer the budgets level x T. Asked for B seconds, the verdict is drawn from
the runs with the T and at the level whose level x T is closest to B (by ratio; ties: the
budget more of the neighbours ran with, then the larger level). Asked for nothing, it is
drawn from the T the most neighbours ran with (ties: the larger), at every level, as
``harness recommend`` shows a suite. Neighbours without runs at that T are left out of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from harness.analysis.contenders import LEVELS, contender_labels, level_text
from harness.analysis.nearest import (
    OK,
    Neighbourhood,
    nearest_problems,
    stored_problems,
)
from harness.analysis.recommend import ALPHA, Verdict, suite_verdict

#: Dataset references that are a user's own file (not a shipped or public dataset).
FILE_SOURCES = ("csv:", "parquet:")


@dataclass(frozen=True)
class Budget:
    """The stored runs a verdict is drawn from: time budget ``time_s`` at ``levels``;
    ``asked``: the budget asked for (None: none); ``problems``: the neighbours with runs at
    ``time_s``."""

    time_s: float
    levels: tuple[float, ...]
    asked: float | None
    problems: list[str]

    @property
    def text(self) -> str:
        if self.asked is None:
            return (f"the {self.time_s:g} s runs (the budget {len(self.problems)} of the "
                    "nearest problems ran with), at 25%, 50% and 100% of it")
        [level] = self.levels
        return (f"asked {self.asked:g} s; nearest stored: {level_text(level)} of the "
                f"{self.time_s:g} s runs ({level * self.time_s:g} s)")


@dataclass(frozen=True)
class LikeMine:
    """What the results database says about data like a user's: its neighbourhood, and
    (when some problems are near enough) the budget chosen and the verdict on them."""

    neighbourhood: Neighbourhood
    budget: Budget | None
    verdict: Verdict | None
    #: stored problems with the same data (fingerprint) as the user's, left out
    same_data: tuple[str, ...] = ()


@dataclass(frozen=True)
class DataVerdict:
    """What the results database says about a user's data (``api.recommend_for_data``):
    its dataset reference, task, meta-features and fingerprint, and ``like_mine``'s answer
    from the results database ``db``."""

    data: str
    task: str
    meta: dict[str, Any]
    like: LikeMine
    db: Path
    fingerprint: str = ""


def choose_budget(runs: pd.DataFrame, problems: list[str], asked: float | None
                  ) -> Budget | None:
    """The stored time budget (and level) to draw the verdict from; None without runs."""
    mine = runs[runs["dataset"].isin(problems)]
    if not len(mine):
        return None
    covered = {float(t): list(dict.fromkeys(g["dataset"]))
               for t, g in mine.groupby("budget_s", sort=True)}
    if asked is None:
        time_s = max(covered, key=lambda t: (len(covered[t]), t))
        return Budget(time_s, LEVELS, None, covered[time_s])
    options = [(abs(math.log(level * t / asked)), -len(covered[t]), -level, t, level)
               for t in covered for level in LEVELS]
    *_, time_s, level = min(options)
    return Budget(time_s, (level,), asked, covered[time_s])


def verdict_on(runs: pd.DataFrame, problems: list[str], budget: Budget, *,
               alpha: float = ALPHA) -> Verdict:
    """The verdict on ``problems``' runs at the chosen budget."""
    chosen = runs[runs["dataset"].isin(problems) & (runs["budget_s"] == budget.time_s)]
    return suite_verdict(chosen.reset_index(drop=True), levels=budget.levels, alpha=alpha)


def like_mine(runs: pd.DataFrame, meta: Mapping[str, Any], task: str, *,
              budget: float | None = None, exclude: tuple[str, ...] = (),
              fingerprint: str = "", contenders: set[str] | None = None,
              alpha: float = ALPHA) -> LikeMine:
    """The neighbourhood of a dataset (meta-features ``meta``) among the stored ``runs``'
    problems, and the verdict on the near ones at the stored budget closest to ``budget``
    (``contenders``: only theirs). Problems named in ``exclude``, or stored with the
    dataset's own ``fingerprint`` (the user's data itself), are not benchmark problems:
    they are left out of the neighbours and of the standardization."""
    problems, without = stored_problems(runs)
    same = tuple(p.name for p in problems if fingerprint and p.fingerprint == fingerprint)
    hood = nearest_problems(meta, task, problems, without_meta=without,
                            exclude=(*exclude, *same))
    if hood.status != OK:
        return LikeMine(hood, None, None, same)
    names = [n.problem.name for n in hood.chosen]
    if contenders is not None:
        keep = [c in contenders for c in contender_labels(runs)]
        runs = runs[pd.Series(keep, index=runs.index, dtype=bool)]
    chosen = choose_budget(runs, names, budget)
    if chosen is None:
        return LikeMine(hood, None, None, same)
    return LikeMine(hood, chosen, verdict_on(runs, names, chosen, alpha=alpha), same)


def _named(verdict: Verdict | None) -> tuple[list[str], list[str]]:
    """(pick or tie group, ranked contenders, best first) of the verdict's last level (the
    full budget, or the one level it was drawn at)."""
    if verdict is None or not verdict.recommendations:
        return [], []
    rec = verdict.recommendations[-1]
    return ([rec.pick] if rec.pick else list(rec.group),
            [c.contender for c in rec.contenders])


def agreement(mine: Verdict | None, near: Verdict | None) -> tuple[str, str]:
    """Whether two verdicts agree: ``agree`` (the same pick or tie group), ``partly agree``
    (they share contenders), ``disagree`` (none) or ``not comparable`` (one has no ranked
    contender, or they rank different ones); and a sentence that names both and each one's
    best mean rank."""
    mine_named, mine_ranked = _named(mine)
    near_named, near_ranked = _named(near)
    if not mine_named or not near_named or not set(mine_ranked) & set(near_ranked):
        return "not comparable", ("no verdict to compare: one side has no ranked contender, "
                                  "or they share none")
    both = [c for c in mine_named if c in near_named]
    best = (f"best mean rank: {mine_ranked[0]} on both" if mine_ranked[0] == near_ranked[0]
            else f"best mean rank: {mine_ranked[0]} on your data, {near_ranked[0]} on the "
                 "nearest problems")
    said = (f"your data: {', '.join(mine_named)}; nearest problems: {', '.join(near_named)}; "
            f"{best}")
    if set(mine_named) == set(near_named):
        return "agree", f"the verdicts agree ({said})"
    if both:
        return "partly agree", f"the verdicts share {', '.join(both)} ({said})"
    return "disagree", f"the verdicts disagree ({said})"


@dataclass(frozen=True)
class UserDataNeighbours:
    """A suite's own-file dataset: its stored neighbours, the verdict on them (the same
    contenders, closest budget), the verdict on the dataset itself, and whether they agree."""

    dataset: str
    like: LikeMine
    own: Verdict
    agreement: str
    sentence: str


def user_data_neighbours(all_runs: pd.DataFrame, suite_runs: pd.DataFrame
                         ) -> list[UserDataNeighbours]:
    """For each dataset of ``suite_runs`` that is a user's own file (csv:, parquet:) and has
    meta-features: the nearest other stored problems (of ``all_runs``) and the agreement."""
    out = []
    problems, _ = stored_problems(suite_runs)
    for problem in problems:
        if not problem.name.startswith(FILE_SOURCES):
            continue
        own_runs = suite_runs[suite_runs["dataset"] == problem.name].reset_index(drop=True)
        like = like_mine(all_runs, problem.meta, problem.task,
                         budget=float(own_runs["budget_s"].max()),
                         exclude=(problem.name,),
                         contenders=set(contender_labels(own_runs)))
        own = suite_verdict(own_runs, levels=(1.0,))
        state, sentence = agreement(own, like.verdict)
        out.append(UserDataNeighbours(problem.name, like, own, state, sentence))
    return out
