"""The verdict: which contender to pick at 25%, 50% and 100% of the budget, and how sure.

It ranks on the held-out test score (best CV is what the search saw, biased upward for
strategies that try more configurations), from the per-problem ranks of ``standings``:
failed runs rank last, contenders are compared only on the problems and seeds they share.
The contender with the best mean rank is tested against each other one (two-sided
Wilcoxon signed-rank on paired test scores over (problem, seed), ``zero_method="pratt"``:
pairs with equal scores count in the ranking and are then dropped, the conservative
choice; Holm-corrected over those comparisons). When it is significantly better than all
of them it is the pick; otherwise the verdict is the group that cannot be separated from
it, never a pick by suite order. A bootstrap over problems then seeds says how often each
is best and gives the effect size against the runner-up.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from harness.analysis.bootstrap import RESAMPLES, bootstrap, point_mean
from harness.analysis.contenders import LEVELS, SCORED, level_text, observations
from harness.analysis.standings import Standing, scopes, standing
from harness.analysis.statistics import holm, wilcoxon_pratt

ALPHA = 0.05


@dataclass(frozen=True)
class ContenderResult:
    """A ranked contender at one level: mean rank, probability of being best, failures,
    and its comparison with the best (None for the best itself)."""

    contender: str
    mean_rank: float
    p_best: float
    failed: int
    runs: int
    p_value: float | None = None
    p_holm: float | None = None
    diff: float | None = None  # mean test score of the best minus this one's
    separated: bool = False  # the best is significantly better


@dataclass(frozen=True)
class Effect:
    """The best contender's mean test-score lead over the runner-up, with a 95% interval."""

    runner_up: str
    diff: float
    low: float
    high: float


@dataclass(frozen=True)
class Recommendation:
    """The verdict at one budget level on one scope (problems that share contenders)."""

    level: float
    problems: list[str]
    pick: str | None
    group: list[str]
    contenders: list[ContenderResult] = field(default_factory=list)
    effect: Effect | None = None
    covered: list[str] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    n_pairs: int = 0
    not_ranked: dict[str, str] = field(default_factory=dict)
    #: notes that qualify some runs' scores at this level: {note: (runs with it, scored runs)}
    qualified: dict[str, tuple[int, int]] = field(default_factory=dict)
    summary: str = ""


@dataclass(frozen=True)
class Verdict:
    """Every level's recommendations and the standings they were drawn from (same order)."""

    recommendations: list[Recommendation]
    standings: list[Standing]
    alpha: float
    resamples: int


def suite_verdict(runs: pd.DataFrame, *, levels: tuple[float, ...] = LEVELS,
                  alpha: float = ALPHA, resamples: int = RESAMPLES, seed: int = 0) -> Verdict:
    """The verdict of a suite's runs (the store's runs frame): per level, per scope."""
    by_level = {level: observations(runs, level) for level in levels}
    groups = scopes(by_level[max(levels)]) if len(runs) else []
    recommendations, standings = [], []
    for level in levels:
        for problems in groups:
            table = standing(by_level[level], problems, level)
            standings.append(table)
            recommendations.append(_recommend(table, alpha, resamples, seed))
    return Verdict(recommendations, standings, alpha, resamples)


def recommend(runs: pd.DataFrame, *, levels: tuple[float, ...] = LEVELS, alpha: float = ALPHA,
              resamples: int = RESAMPLES, seed: int = 0) -> list[Recommendation]:
    """The recommendations of :func:`suite_verdict`."""
    return suite_verdict(runs, levels=levels, alpha=alpha, resamples=resamples,
                         seed=seed).recommendations


def _wilcoxon(diff: np.ndarray) -> float:
    """Two-sided p of the Wilcoxon signed-rank test (pratt); 1.0 when nothing differs."""
    if len(diff) < 2 or np.all(diff == 0):
        return 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = wilcoxon_pratt(diff)[1]
    return p if np.isfinite(p) else 1.0


def _compare(table: Standing, alpha: float, p_best: list[float]) -> list[ContenderResult]:
    values = table.values
    flat = values.reshape(-1, values.shape[2])
    flat = flat[~np.isnan(flat[:, 0])]
    means = point_mean(values)
    p = [_wilcoxon(flat[:, 0] - flat[:, i]) for i in range(1, len(table.ranked))]
    p_holm = holm(p)
    out = []
    for i, name in enumerate(table.ranked):
        failed, runs = table.failures.get(name, (0, 0))
        base = dict(contender=name, mean_rank=table.mean_rank[name], p_best=p_best[i],
                    failed=failed, runs=runs)
        if i == 0:
            out.append(ContenderResult(**base))
            continue
        diff = float(means[0] - means[i])
        separated = p_holm[i - 1] < alpha and float(np.median(flat[:, 0] - flat[:, i])) > 0
        tied_rank = abs(table.mean_rank[name] - table.mean_rank[table.ranked[0]]) < 1e-9
        out.append(ContenderResult(**base, p_value=p[i - 1], p_holm=p_holm[i - 1], diff=diff,
                                   separated=separated and not tied_rank))
    return out


def _qualified(table: Standing) -> dict[str, tuple[int, int]]:
    """Notes stored beside scores at this level (e.g. the run had ended at its trial cap
    before it, so its final score stands for it), counted over the ranked runs' scores."""
    obs = table.observations
    scored = obs[(obs["outcome"] == SCORED) & obs["contender"].isin(table.ranked)]
    counts = scored["reason"].dropna().value_counts()
    return {str(note): (int(n), len(scored)) for note, n in counts.items()}


def _recommend(table: Standing, alpha: float, resamples: int, seed: int) -> Recommendation:
    base = dict(level=table.level, problems=table.problems, not_ranked=table.not_ranked,
                qualified=_qualified(table))
    if not table.ranked:
        return Recommendation(**base, pick=None, group=[],
                              summary=f"at {level_text(table.level)} of the budget: no "
                                      f"verdict: {table.note}")
    pair = (0, 1) if len(table.ranked) > 1 else None
    boot = bootstrap(table.ranks, table.values, pair=pair, resamples=resamples, seed=seed)
    results = _compare(table, alpha, boot.p_best)
    group = [r.contender for r in results if not r.separated]
    effect = None
    if pair is not None and boot.diff is not None:
        effect = Effect(table.ranked[1], boot.diff, float(boot.low), float(boot.high))
    rec = Recommendation(**base, pick=group[0] if len(group) == 1 else None, group=group,
                         contenders=results, effect=effect, covered=list(table.blocks),
                         seeds=table.seeds, n_pairs=table.n_blocks)
    return replace(rec, summary=summary(rec, alpha))


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _failures(results: list[ContenderResult], names: list[str]) -> str:
    by = {r.contender: r for r in results}
    return ", ".join(f"{n} {by[n].failed} of {by[n].runs}" for n in names)


def summary(rec: Recommendation, alpha: float = ALPHA) -> str:
    """One sentence: the pick or the tie group, how sure, the effect, coverage, failures."""
    at = f"at {level_text(rec.level)} of the budget"
    by = {r.contender: r for r in rec.contenders}
    test = f"Holm-corrected Wilcoxon on test scores, alpha {alpha:g}"
    if len(rec.contenders) == 1:
        head = f"{at} pick {rec.pick}: the only contender ranked on these problems"
    elif rec.pick is not None:
        head = (f"{at} pick {rec.pick}: best in {_pct(by[rec.pick].p_best)} of resamples; "
                f"significantly better than every other contender ({test})")
    else:
        shares = ", ".join(f"{n} {_pct(by[n].p_best)}" for n in rec.group)
        head = (f"{at} no single winner: {', '.join(rec.group)} (the best cannot be "
                f"separated from the others, {test}); best in resamples: {shares}")
    parts = [head]
    if rec.effect is not None:
        e = rec.effect
        parts.append(f"lead over the runner-up {e.runner_up}: {e.diff:+.4f} test score "
                     f"(95% interval {e.low:+.4f} to {e.high:+.4f})")
    parts.append(f"coverage: {len(rec.covered)} problem(s) ({', '.join(rec.covered)}) x "
                 f"seed(s) {', '.join(map(str, rec.seeds))}, {rec.n_pairs} problem-seed "
                 "pairs")
    named = [rec.pick] if rec.pick is not None else rec.group
    parts.append(f"failed runs: {_failures(rec.contenders, named)}")
    parts += [f"{n} of {total} scored runs: {note}" for note, (n, total) in rec.qualified.items()]
    return "; ".join(parts)


def by_reason(not_ranked: dict[str, str]) -> list[tuple[str, list[str]]]:
    """The contenders that were not ranked, grouped by the reason: [(why, contenders)]."""
    groups: dict[str, list[str]] = {}
    for contender, why in not_ranked.items():
        groups.setdefault(why, []).append(contender)
    return list(groups.items())


def verdict_plain(verdict: Verdict) -> dict[str, Any]:
    """The verdict as plain data (the JSON of ``harness recommend``, the report's source)."""
    levels = []
    for rec in verdict.recommendations:
        levels.append({
            "level": rec.level, "budget": level_text(rec.level), "problems": rec.problems,
            "pick": rec.pick, "group": rec.group, "summary": rec.summary,
            "coverage": {"problems": rec.covered, "seeds": rec.seeds, "pairs": rec.n_pairs},
            "effect": asdict(rec.effect) if rec.effect else None,
            "contenders": [{**asdict(r), "failure_rate": r.failed / r.runs if r.runs else None}
                           for r in rec.contenders],
            "not_ranked": rec.not_ranked,
            "qualified": {note: {"runs": n, "of": total}
                          for note, (n, total) in rec.qualified.items()}})
    return {"ranks_on": "test score", "alpha": verdict.alpha,
            "test": "two-sided Wilcoxon signed-rank (zero_method pratt) of the best against "
                    "each other contender, Holm-corrected",
            "resamples": verdict.resamples, "levels": levels}
