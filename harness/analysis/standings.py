"""Per-problem ranks of the contenders: the one table the verdict, the mean ranks, the
normalized scores and the critical-difference diagram are all read from.

Contenders are ranked on each problem (dataset) and seed by test score; a failed, timed-out
or memout run (or one without a test score) ranks last on its problem and seed, as the OpenML
AutoML Benchmark imputes a failure. Where a number is needed for a failure (the tests, the
effect size, the normalized score) it counts as the worst score any run reached on that
problem at that level. Only contenders that ran on the most problems of their scope are
ranked, on the (problem, seed) pairs they all share; the others are listed with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from harness.analysis.contenders import FAILED, SCORED, UNMEASURED, level_text
from harness.analysis.ranktests import rankdata


@dataclass(frozen=True)
class Standing:
    """The ranked contenders of one scope (problems that share contenders) at one level.

    ``ranks`` and ``values`` are problems x seeds x contenders (``blocks`` order, seeds
    NaN-padded, ``ranked`` order): each contender's rank on that problem and seed, and its
    test score there (failures imputed). ``observations`` holds every run of the scope at
    this level, with its ``value`` (the score, or the imputed one of a failure).
    """

    level: float
    problems: list[str]
    blocks: dict[str, list[int]]
    ranked: list[str]
    mean_rank: dict[str, float]
    problem_ranks: dict[str, dict[str, float]]
    not_ranked: dict[str, str]
    failures: dict[str, tuple[int, int]]
    note: str | None
    observations: pd.DataFrame = field(repr=False, compare=False)
    ranks: np.ndarray = field(repr=False, compare=False)
    values: np.ndarray = field(repr=False, compare=False)

    @property
    def n_blocks(self) -> int:
        return sum(len(seeds) for seeds in self.blocks.values())

    @property
    def seeds(self) -> list[int]:
        return sorted({s for seeds in self.blocks.values() for s in seeds})


def scopes(obs: pd.DataFrame) -> list[list[str]]:
    """Problems grouped so that two problems are in one group when a contender ran on both
    (connected components); contenders of different groups share no problem."""
    parent: dict[str, str] = {p: p for p in dict.fromkeys(obs["problem"])}

    def root(p: str) -> str:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    for _, group in obs.groupby("contender", sort=False):
        first, *rest = list(dict.fromkeys(group["problem"]))
        for other in rest:
            parent[root(other)] = root(first)
    groups: dict[str, list[str]] = {}
    for problem in parent:
        groups.setdefault(root(problem), []).append(problem)
    return list(groups.values())


def _collapse(obs: pd.DataFrame) -> pd.DataFrame:
    """One observation per (problem, contender, seed): the mean score if any run scored,
    else failed if any failed, else not measured (several runs only in older stores)."""
    keys = ["problem", "contender", "seed"]
    scored = obs["outcome"] == SCORED
    cells = (obs[keys].assign(score=obs["score"].where(scored), scored=scored,
                              failed=obs["outcome"] == FAILED)
             .groupby(keys, sort=False)
             .agg(score=("score", "mean"), scored=("scored", "any"), failed=("failed", "any"))
             .reset_index())
    outcome = np.where(cells["scored"], SCORED,
                       np.where(cells["failed"], FAILED, UNMEASURED))
    return pd.DataFrame({"problem": cells["problem"], "contender": cells["contender"],
                         "seed": cells["seed"], "outcome": outcome,
                         "score": cells["score"].where(cells["scored"]).astype(float)})


def _imputed(obs: pd.DataFrame) -> pd.DataFrame:
    """``obs`` with ``value``: the score, or for a failure the problem's worst score (0.0
    where no run of the problem scored)."""
    worst = obs[obs["outcome"] == SCORED].groupby("problem")["score"].min()
    fill = obs["problem"].map(worst).fillna(0.0)
    value = obs["score"].where(obs["outcome"] == SCORED, fill)
    return obs.assign(value=value.where(obs["outcome"] != UNMEASURED))


def _not_ranked(obs: pd.DataFrame, coverage: dict[str, int], best: int, n_problems: int,
                level: float) -> dict[str, str]:
    """Why each contender that is not ranked is not (``best < 0``: nobody is ranked)."""
    reasons = {}
    for contender in dict.fromkeys(obs["contender"]):
        if coverage.get(contender, 0) == best:
            continue
        why = obs[(obs["contender"] == contender) & (obs["outcome"] == UNMEASURED)]["reason"]
        # "not measured at 25% of the budget: not enough trials" (no "not measured" twice)
        texts = {str(r).removeprefix("not measured").lstrip(" :;,") for r in why.dropna()}
        unmeasured = "; ".join(sorted(t for t in texts if t))
        if best < 0 and why.empty:
            reasons[contender] = "every run failed"
        elif best < 0 or coverage.get(contender, 0) == 0:
            reasons[contender] = (f"not measured at {level_text(level)} of the budget"
                                  + (f": {unmeasured}" if unmeasured else ""))
        else:
            reasons[contender] = (f"ran on {coverage[contender]} of {n_problems} problems"
                                  + (f" at this level ({unmeasured})" if unmeasured else ""))
    return reasons


def standing(obs: pd.DataFrame, problems: list[str], level: float) -> Standing:
    """Rank the contenders of the scope ``problems`` on their observations at ``level``
    (``contenders.observations``)."""
    scope = _imputed(obs[obs["problem"].isin(problems)].reset_index(drop=True))
    cells = _collapse(scope)
    usable = cells[cells["outcome"] != UNMEASURED]
    coverage = usable.groupby("contender")["problem"].nunique().to_dict()
    failures = {c: (int((g["outcome"] == FAILED).sum()), len(g))
                for c, g in scope.groupby("contender", sort=False)}
    empty = np.empty((0, 0, 0))
    base = dict(level=level, problems=problems, failures=failures, observations=scope)
    if not (usable["outcome"] == SCORED).any():
        what = "no run has a test score" if level >= 1.0 else \
            f"no run has a test score measured at {level_text(level)} of the budget"
        return Standing(**base, blocks={}, ranked=[], mean_rank={}, problem_ranks={},
                        not_ranked=_not_ranked(scope, coverage, -1, len(problems), level),
                        note=what, ranks=empty, values=empty)
    best = max(coverage.values())
    candidates = sorted(c for c, n in coverage.items() if n == best)
    not_ranked = _not_ranked(scope, coverage, best, len(problems), level)
    table = usable[usable["contender"].isin(candidates)]
    blocks: dict[str, list[int]] = {}
    for (problem, seed), group in table.groupby(["problem", "seed"], sort=False):
        if group["contender"].nunique() == len(candidates):
            blocks.setdefault(str(problem), []).append(int(seed))
    if not blocks:
        return Standing(**base, blocks={}, ranked=[], mean_rank={}, problem_ranks={},
                        not_ranked=not_ranked, note="the contenders share no problem and "
                        "seed with a result", ranks=empty, values=empty)
    return _ranked(base, _imputed_cells(table, scope), blocks, candidates, not_ranked)


def _imputed_cells(table: pd.DataFrame, scope: pd.DataFrame) -> pd.DataFrame:
    worst = scope[scope["outcome"] == SCORED].groupby("problem")["score"].min()
    fill = table["problem"].map(worst).fillna(0.0)
    return table.assign(value=table["score"].where(table["outcome"] == SCORED, fill))


def _ranked(base: dict, table: pd.DataFrame, blocks: dict[str, list[int]],
            candidates: list[str], not_ranked: dict[str, str]) -> Standing:
    """The rank arrays of ``candidates`` on ``blocks`` and what follows from them."""
    width = max(len(seeds) for seeds in blocks.values())
    shape = (len(blocks), width, len(candidates))
    ranks, values = np.full(shape, np.nan), np.full(shape, np.nan)
    index = {c: i for i, c in enumerate(candidates)}
    cells: dict[tuple[str, int], dict[str, tuple[str, float, float]]] = {}
    for row in table.itertuples(index=False):
        cells.setdefault((str(row.problem), int(row.seed)), {})[str(row.contender)] = (
            str(row.outcome), float(row.score), float(row.value))
    for p, (problem, seeds) in enumerate(blocks.items()):
        for s, seed in enumerate(seeds):
            block = [cells[(problem, seed)][c] for c in candidates]
            values[p, s] = [value for _, _, value in block]
            # failures rank last (tied among themselves), whatever their imputed value
            ranks[p, s] = rankdata([np.inf if outcome == FAILED else -score
                                    for outcome, score, _ in block])
    per_problem = np.nanmean(ranks, axis=1)  # problems x contenders
    means = per_problem.mean(axis=0)
    order = sorted(candidates, key=lambda c: (round(float(means[index[c]]), 9), c))
    perm = [index[c] for c in order]
    return Standing(**base, blocks=blocks, ranked=order,
                    mean_rank={c: float(means[index[c]]) for c in order},
                    problem_ranks={c: {problem: float(per_problem[p, index[c]])
                                       for p, problem in enumerate(blocks)} for c in order},
                    not_ranked=not_ranked, note=None, ranks=ranks[:, :, perm],
                    values=values[:, :, perm])
