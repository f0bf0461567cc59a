"""Did a strategy get worse or slower between two rounds of a suite? Paired over seeds.

For each problem and strategy, the runs of the two rounds are paired by seed. Scores (test,
CV) are compared by their differences, time and memory by their log ratios; a one-sided
paired t-test asks whether the candidate is worse than the baseline beyond the noise seen
across the seeds, the p-values of all comparisons are adjusted for multiplicity, and a
change counts only when it is also at least the minimum effect. A seed that ran ``ok`` in
the baseline and failed, timed out or ran out of memory in the candidate is a regression
by itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from harness.analysis.statistics import holm
from harness.records import FAILED_STATUSES, RunStatus

_FAILED = [str(s) for s in FAILED_STATUSES]

# measure -> (higher is better, change is relative)
MEASURES: dict[str, tuple[bool, bool]] = {
    "test_score": (True, False),
    "best_cv_score": (True, False),
    "wall_time_s": (False, True),
    "peak_mem_mb": (False, True),
}
#: The smallest absolute change in the mean that counts for time and memory, whatever the
#: ratio: a sub-second run that takes 0.1 s longer is noise, not a 40% regression.
ABSOLUTE_FLOOR = {"wall_time_s": 1.0, "peak_mem_mb": 20.0}
CORRECTIONS = ("bh", "holm", "none")
_KEYS = ["dataset", "model", "strategy"]


@dataclass(frozen=True)
class CompareSettings:
    """What counts as a change: test level, multiplicity correction and minimum effects."""

    alpha: float = 0.05
    min_effect: float = 0.01  # scores: absolute difference of the means
    min_relative: float = 0.25  # time and memory: geometric-mean ratio minus one
    correction: str = "bh"
    measures: tuple[str, ...] = tuple(MEASURES)


@dataclass(frozen=True)
class Comparison:
    """One problem x strategy x measure, baseline round against candidate round."""

    dataset: str
    model: str
    strategy: str
    measure: str
    n_pairs: int
    baseline: float | None  # mean over the paired seeds
    candidate: float | None
    change: float | None  # candidate - baseline (scores) or ratio - 1 (time, memory)
    p_worse: float | None  # one-sided, adjusted for multiplicity
    p_better: float | None
    verdict: str  # regressed, improved, unchanged, not tested
    note: str = ""

    @property
    def relative(self) -> bool:
        return MEASURES.get(self.measure, (True, False))[1]

    @property
    def change_text(self) -> str:
        """``+0.0123`` for scores and counts, ``+31.0%`` for time and memory."""
        if self.change is None:
            return "–"
        return f"{self.change:+.1%}" if self.relative else f"{self.change:+.4f}"


@dataclass(frozen=True)
class _Raw:
    comparison: Comparison
    p_worse: float | None
    p_better: float | None
    effect_worse: bool
    effect_better: bool


@dataclass(frozen=True)
class ComparisonResult:
    """Every comparison between two rounds, in problem / strategy / measure order."""

    comparisons: list[Comparison] = field(default_factory=list)

    @property
    def regressions(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.verdict == "regressed"]

    @property
    def improvements(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.verdict == "improved"]


def compare_runs(baseline: pd.DataFrame, candidate: pd.DataFrame, *,
                 settings: CompareSettings | None = None) -> ComparisonResult:
    """Compare two rounds' runs (frames with the store's run columns) problem by problem."""
    settings = settings or CompareSettings()
    _check_settings(settings)
    columns = [*_KEYS, "seed", "status", *MEASURES]
    merged = _latest_per_seed(baseline)[columns].merge(
        _latest_per_seed(candidate)[columns], on=[*_KEYS, "seed"], suffixes=("_b", "_c"))
    merged = merged.sort_values([*_KEYS, "seed"], kind="stable").reset_index(drop=True)
    seeds = merged["seed"].to_numpy()
    before, after = merged["status_b"].to_numpy(), merged["status_c"].to_numpy()
    values = {m + side: pd.to_numeric(merged[m + side], errors="coerce").to_numpy(dtype=float)
              for m in settings.measures for side in ("_b", "_c")}
    raws: list[_Raw] = []
    for (dataset, model, strategy), rows in sorted(merged.groupby(_KEYS).indices.items()):
        ident = {"dataset": str(dataset), "model": str(model), "strategy": str(strategy)}
        status = _status_change(seeds[rows], before[rows], after[rows], ident)
        if status is not None:
            raws.append(status)
        both_ok = (before[rows] == RunStatus.OK) & (after[rows] == RunStatus.OK)
        for measure in settings.measures:
            b, c = values[measure + "_b"][rows], values[measure + "_c"][rows]
            keep = both_ok & np.isfinite(b) & np.isfinite(c)
            raws.append(_measure_change(b[keep], c[keep], measure, settings, ident))
    return ComparisonResult(_decide(raws, settings))


def _check_settings(settings: CompareSettings) -> None:
    from harness.errors import UserError

    if not 0 < settings.alpha < 1:
        raise UserError(f"--alpha must be between 0 and 1, got {settings.alpha}")
    if settings.min_effect < 0 or settings.min_relative < 0:
        raise UserError("--min-effect and --min-relative must be zero or more")
    if settings.correction not in CORRECTIONS:
        raise UserError(f"--correction {settings.correction!r}; valid: {', '.join(CORRECTIONS)}")
    unknown = set(settings.measures) - set(MEASURES)
    if unknown:
        raise UserError(f"unknown measure(s) {', '.join(sorted(unknown))}; valid: "
                        f"{', '.join(MEASURES)}")


def _latest_per_seed(runs: pd.DataFrame) -> pd.DataFrame:
    if not len(runs):
        return pd.DataFrame(columns=[*_KEYS, "seed", "status", *MEASURES])
    ordered = runs.sort_values("id") if "id" in runs else runs
    return ordered.drop_duplicates([*_KEYS, "seed"], keep="last")


def _status_change(seeds: np.ndarray, before: np.ndarray, after: np.ndarray,
                   ident: dict[str, str]) -> _Raw | None:
    broke = (before == RunStatus.OK) & np.isin(after, _FAILED)
    fixed = np.isin(before, _FAILED) & (after == RunStatus.OK)
    if not broke.any() and not fixed.any():
        return None
    changed = [f"seed {seed}: {b} -> {a}" for seed, b, a, flag
               in zip(seeds, before, after, broke | fixed, strict=True) if flag]
    ok_before = float((before == RunStatus.OK).sum())
    ok_after = float((after == RunStatus.OK).sum())
    comparison = Comparison(
        **ident, measure="status", n_pairs=len(seeds), baseline=ok_before, candidate=ok_after,
        change=ok_after - ok_before, p_worse=None, p_better=None,
        verdict="regressed" if broke.any() else "improved", note="; ".join(changed))
    return _Raw(comparison, None, None, False, False)


def _measure_change(base: np.ndarray, cand: np.ndarray, measure: str,
                    settings: CompareSettings, ident: dict[str, str]) -> _Raw:
    higher_better, relative = MEASURES[measure]
    n = len(base)

    def make(verdict: str, note: str = "", change: float | None = None) -> Comparison:
        return Comparison(**ident, measure=measure, n_pairs=n,
                          baseline=float(base.mean()) if n else None,
                          candidate=float(cand.mean()) if n else None,
                          change=change, p_worse=None, p_better=None, verdict=verdict,
                          note=note)

    if not n:
        return _Raw(make("not tested", "no seed ran ok in both rounds"), None, None, False,
                    False)
    if relative:
        diffs = np.log(np.maximum(cand, 1e-9)) - np.log(np.maximum(base, 1e-9))
        change = float(math.exp(diffs.mean()) - 1.0)
        moved = float((cand - base).mean())
        floor = ABSOLUTE_FLOOR.get(measure, 0.0)
        worse_effect = change >= settings.min_relative and moved >= floor
        better_effect = (change <= -settings.min_relative / (1 + settings.min_relative)
                         and -moved >= floor)
    else:
        diffs = cand - base
        change = float(diffs.mean())
        worse_effect = (-change if higher_better else change) >= settings.min_effect
        better_effect = (change if higher_better else -change) >= settings.min_effect
    if n < 2:
        return _Raw(make("not tested", "needs at least 2 paired seeds", change), None, None,
                    False, False)
    # the "worse" direction of the differences: down for scores, up for time and memory
    worse_sign = -1.0 if higher_better else 1.0
    return _Raw(make("unchanged", change=change), _one_sided_p(worse_sign * diffs),
                _one_sided_p(-worse_sign * diffs), worse_effect, better_effect)


def _one_sided_p(diffs: np.ndarray) -> float:
    """p of 'the mean of diffs is greater than 0' (paired one-sided t-test)."""
    from scipy.special import stdtr

    mean, sd = float(diffs.mean()), float(diffs.std(ddof=1))
    if sd <= 1e-12 * max(1.0, abs(mean)):  # no spread: the sign decides
        return 0.0 if mean > 1e-12 else 1.0
    t = mean / (sd / math.sqrt(len(diffs)))
    return float(stdtr(len(diffs) - 1, -t))


def _adjust(p_values: list[float], correction: str) -> list[float]:
    if not p_values or correction == "none":
        return list(p_values)
    if correction == "holm":
        return holm(p_values)
    order = np.argsort(p_values)  # Benjamini-Hochberg step-up
    m = len(p_values)
    adjusted = np.empty(m)
    running = 1.0
    for rank in range(m, 0, -1):
        index = order[rank - 1]
        running = min(running, p_values[index] * m / rank)
        adjusted[index] = running
    return adjusted.tolist()


def _decide(raws: list[_Raw], settings: CompareSettings) -> list[Comparison]:
    tested = [r for r in raws if r.p_worse is not None and r.p_better is not None]
    worse = _adjust([r.p_worse for r in tested if r.p_worse is not None], settings.correction)
    better = _adjust([r.p_better for r in tested if r.p_better is not None],
                     settings.correction)
    adjusted = {id(r): (w, b) for r, w, b in zip(tested, worse, better, strict=True)}
    out = []
    for raw in raws:
        comparison = raw.comparison
        if id(raw) in adjusted:
            p_worse, p_better = adjusted[id(raw)]
            verdict = ("regressed" if p_worse < settings.alpha and raw.effect_worse else
                       "improved" if p_better < settings.alpha and raw.effect_better else
                       "unchanged")
            comparison = Comparison(**{**comparison.__dict__, "p_worse": p_worse,
                                       "p_better": p_better, "verdict": verdict})
        out.append(comparison)
    return out
