"""The report's Recommendation, Normalized-score and Significance sections, drawn from one
verdict (``analysis.recommend.suite_verdict``): the same per-problem ranks everywhere, so the
sections cannot contradict each other or ``harness recommend``."""

from __future__ import annotations

from typing import Any

import pandas as pd

from harness.analysis import (
    Verdict,
    critical_difference,
    normalized_scores,
    pairwise_comparisons,
    verdict_plain,
    win_tie_loss,
    win_tie_loss_counts,
)
from harness.analysis.recommend import by_reason
from harness.report.cells import cell, num
from harness.report.charts.critical_difference import critical_difference_svg


def _p(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.3g}"  # NaN: not compared


def named(verdict: Verdict, dataset: str) -> list[str]:
    """The contenders the 100% verdict names for ``dataset``: its pick, or its tie group."""
    for rec in verdict.recommendations:
        if rec.level >= 1.0 and dataset in rec.problems:
            return [rec.pick] if rec.pick else list(rec.group)
    return []


def _row(level: dict[str, Any]) -> dict[str, Any]:
    """One budget level of ``verdict_plain`` as the report shows it."""
    by = {c["contender"]: c for c in level["contenders"]}
    names = [level["pick"]] if level["pick"] else level["group"]
    if level["pick"]:
        verdict = level["pick"]
    elif level["group"]:
        verdict = "no single winner: " + ", ".join(level["group"])
    else:
        verdict = "no verdict"
    effect = "–"
    if (e := level["effect"]) is not None:
        effect = (f"{e['diff']:+.4f} over {e['runner_up']} (95% interval {e['low']:+.4f} to "
                  f"{e['high']:+.4f})")
    coverage = level["coverage"]
    return {
        "budget": level["budget"], "verdict": verdict, "single": bool(level["pick"]),
        "p_best": ", ".join(f"{n} {by[n]['p_best']:.0%}" for n in names) or "–",
        "effect": effect,
        "coverage": (f"{len(coverage['problems'])} problem(s) × seeds "
                     f"{', '.join(map(str, coverage['seeds']))} ({coverage['pairs']} pair(s))"
                     if coverage["problems"] else "–"),
        "failures": ", ".join(f"{n}: {by[n]['failed']} of {by[n]['runs']}" for n in names)
        or "–",
        "summary": level["summary"],
        "not_ranked": [f"{', '.join(names)} ({why})"
                       for why, names in by_reason(level["not_ranked"])],
        "standings": [{"contender": c["contender"], "rank": num(c["mean_rank"], 2),
                       "p_best": f"{c['p_best']:.0%}", "p_holm": _p(c["p_holm"]),
                       "diff": num(c["diff"]), "failed": f"{c['failed']} of {c['runs']}",
                       "in_group": c["contender"] in level["group"]}
                      for c in level["contenders"]],
    }


def recommendation_context(verdict: Verdict) -> dict[str, Any]:
    """Per scope (problems that share contenders), one row per budget level, drawn from
    ``verdict_plain`` (what ``harness recommend --format json`` prints)."""
    plain = verdict_plain(verdict)
    scopes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for level in plain["levels"]:
        scopes.setdefault(tuple(level["problems"]), []).append(_row(level))
    return {"scopes": [{"problems": ", ".join(problems), "rows": rows}
                       for problems, rows in scopes.items()],
            "alpha": f"{plain['alpha']:g}", "resamples": plain["resamples"]}


def _normalized_cell(value: float | None, why: str | None, failed: int) -> dict[str, Any]:
    if value is None:
        return cell(why or "–", None)
    return cell(num(value, 3) + (f" ({failed} failed)" if failed else ""), value)


def normalized_context(verdict: Verdict) -> list[dict[str, Any]]:
    """A normalized-score table per scope, rows in the verdict's order, with its mean ranks."""
    tables = []
    for standing in verdict.standings:
        if standing.level < 1.0:
            continue
        norm = normalized_scores(standing)
        tables.append({
            "problems": norm.problems,
            "note": norm.note,
            "rows": [{"strategy": r.contender,
                      "cells": [_normalized_cell(r.per_problem.get(p), r.why.get(p),
                                                 r.failed.get(p, 0)) for p in norm.problems],
                      "mean": cell(num(r.mean, 3), r.mean),
                      "rank": cell(num(r.mean_rank, 2) if r.mean_rank is not None
                                   else f"not ranked: {r.rank_note or 'no result'}",
                                   r.mean_rank)} for r in norm.rows]})
    return tables


def _scores(verdict: Verdict) -> tuple[pd.DataFrame, list[str]]:
    """Test scores at 100% (failures imputed as in the verdict) and the contenders in the
    verdict's order."""
    full = [s for s in verdict.standings if s.level >= 1.0]
    frames = [s.observations[s.observations["value"].notna()] for s in full]
    obs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["problem", "contender", "seed", "value"])
    order = [c for s in full for c in [*s.ranked, *dict.fromkeys(s.observations["contender"])]]
    scores = pd.DataFrame({"problem": obs["problem"], "strategy": obs["contender"],
                           "seed": obs["seed"], "score": obs["value"]})
    return scores, list(dict.fromkeys(order))


def _cd(verdict: Verdict) -> tuple[str | None, str | None, str | None, str]:
    """(diagram, why there is none, Friedman p, its problems) of the scope with the most
    ranked contenders among those with at least three problems."""
    full = sorted((s for s in verdict.standings if s.level >= 1.0 and len(s.blocks) >= 3
                   and len(s.ranked) >= 2), key=lambda s: -len(s.ranked))
    if not full:
        return None, ("the critical-difference diagram needs at least three problems on "
                      "which the ranked contenders all ran"), None, ""
    table = pd.DataFrame(full[0].problem_ranks)  # problems x contenders
    cd = critical_difference(table, ranked=True)
    if cd is None:
        return None, "the critical-difference diagram needs at least three problems", None, ""
    return (critical_difference_svg(cd), None, f"{cd.friedman_p:.3g}",
            ", ".join(full[0].blocks))


def significance_context(verdict: Verdict) -> dict[str, Any]:
    """Pairwise tests of every two contenders on the problems and seeds they share."""
    scores, contenders = _scores(verdict)
    results = pairwise_comparisons(scores)
    if len(contenders) < 2 or not results:
        return {"note": "significance needs at least two contenders with scored runs",
                "matrix": [], "strategies": contenders, "pairs": [], "cd_svg": None,
                "cd_note": None}
    matrix = win_tie_loss(results, contenders)
    counts = win_tie_loss_counts(results, contenders)
    cd_svg, cd_note, friedman_p, cd_scope = _cd(verdict)
    return {
        "note": None,
        "strategies": contenders,
        "matrix": [{"strategy": s, "cells": [matrix[s][o] for o in contenders],
                    "counts": "{}/{}/{}".format(*counts[s])} for s in contenders],
        "pairs": [{"a": r.a, "b": r.b, "test": r.test, "n": r.n, "p": _p(r.p_value),
                   "p_holm": _p(r.p_holm), "diff": num(r.median_diff), "outcome": r.outcome}
                  for r in results],
        "cd_svg": cd_svg,
        "cd_note": cd_note,
        "cd_scope": cd_scope,
        "friedman_p": friedman_p,
    }
