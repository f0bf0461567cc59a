"""The report context: every number from ``harness.analysis`` turned into plain, display-ready
data (text, sort keys, marks) and inline SVG charts. Templates only lay it out."""

from __future__ import annotations

from typing import Any

import pandas as pd

from harness.analysis import (
    SuiteData,
    anytime_curves,
    cost_points,
    detail_means,
    leaderboard,
    learning_curve_of,
    overfitting_gaps,
    regularization_summary,
    suite_verdict,
    test_scores_by_strategy,
)
from harness.analysis.design import initial_design_warnings
from harness.analysis.history import History
from harness.analysis.importance import NOT_STORED, Importance
from harness.analysis.leaderboard import Estimate
from harness.analysis.preparation import preparation_rows
from harness.plain import utc_minute
from harness.records import UNSUCCESSFUL_STATUSES
from harness.report.cells import cell as _cell
from harness.report.cells import num as _num
from harness.report.charts._svg import color_for
from harness.report.charts.history import history_svg
from harness.report.charts.importance import importance_svg
from harness.report.charts.lines import anytime_svg, learning_svg
from harness.report.charts.points import gap_svg, pareto_svg, variance_svg
from harness.report.charts.regularization import validation_curves_svg
from harness.report.verdict_context import (
    named,
    normalized_context,
    recommendation_context,
    significance_context,
)

LEARNING_HIDDEN = "learning curves are left out of this report (--no-learning-curves)"


def _estimate_cells(est: Estimate, best_mean: bool, best_median: bool) -> list[dict[str, Any]]:
    mean = _num(est.mean) if est.ci95 is None else f"{_num(est.mean)} ± {_num(est.ci95)}"
    return [_cell(mean, est.mean, best_mean), _cell(_num(est.median), est.median, best_median)]


def _when(timestamp: float | None) -> str:
    return (utc_minute(timestamp) if timestamp else None) or "–"


def _header(data: SuiteData) -> dict[str, Any]:
    latest = data.latest or {}
    config = latest.get("config") or {}
    budget = config.get("budget", {})
    runs = data.runs
    metrics = sorted(set(runs["metric"])) if len(runs) else [config.get("metric") or "–"]
    machine = latest.get("machine") or {}
    return {
        "suite": data.suite,
        "round": data.round,
        "source": latest.get("source") or "",
        "started": _when(data.suite_runs[0]["started_at"] if data.suite_runs else None),
        "finished": _when(latest.get("finished_at")),
        "status": latest.get("status", "–"),
        "budget": f"{budget.get('time_s', '–')} s per run"
                  + (f", at most {budget['max_trials']} trials" if budget.get("max_trials")
                     else ""),
        "cores": config.get("n_jobs", "–"),
        "seeds": ", ".join(str(s) for s in config.get("seeds", [])) or "–",
        "metric": ", ".join(metrics),
        "cv": config.get("cv", "–"),
        "test_size": config.get("test_size", "–"),
        "machine": f"{machine.get('cpu', '–')}, {machine.get('cores', '–')} cores, "
                   f"{machine.get('memory_gb', '–')} GB",
        "host": machine.get("host", "–"),
        "commit": latest.get("git_commit") or "unknown",
        "versions": sorted((latest.get("package_versions") or {}).items()),
        "datasets": [info._asdict() for info in preparation_rows(runs)],
        "n_runs": len(runs),
        "n_trials": len(data.trials),
        "statuses": runs["status"].value_counts().to_dict() if len(runs) else {},
    }


def _leaderboard_rows(runs: pd.DataFrame, problem: str) -> list[dict[str, Any]]:
    rows = []
    for row in leaderboard(runs, problem):
        b = row.best
        rows.append({"strategy": row.strategy, "cells": [
            _cell(str(row.runs), row.runs),
            *_estimate_cells(row.cv, "cv_mean" in b, "cv_median" in b),
            *_estimate_cells(row.test, "test_mean" in b, "test_median" in b),
            _cell(_num(row.wall_s, 2), row.wall_s, "wall_s" in b),
            _cell(_num(row.cpu_s, 2), row.cpu_s, "cpu_s" in b),
            _cell(_num(row.peak_mem_mb, 0), row.peak_mem_mb, "peak_mem_mb" in b),
            _cell(_num(row.trials, 1), row.trials),
            _cell(str(row.failures), row.failures),
            _cell(str(row.timeouts), row.timeouts),
        ]})
    return rows


def _problem(data: SuiteData, problem: str, colors: dict[str, str], *,
             learning: list[str] | None) -> dict[str, Any]:
    """One problem's sections; ``learning``: the contenders whose curve to draw (the
    verdict's), None to leave learning curves out."""
    runs = data.runs
    metric = str(runs.loc[runs["problem"] == problem, "metric"].iloc[0])
    rows = _leaderboard_rows(runs, problem)
    detail_keys, detail_rows = detail_means(runs, problem)
    curves = anytime_curves(runs, data.traces, problem)
    has_curves = any(any(v is not None for v in c.median) for c in curves.curves)
    scores = test_scores_by_strategy(runs, problem)
    points = cost_points(runs, problem)
    curve = None if learning is None else learning_curve_of(runs, problem, learning)
    regularization = regularization_summary(data.trials, problem)
    return {
        "name": problem,
        "metric": metric,
        "regularization": None if regularization is None else {
            "svg": validation_curves_svg(regularization, metric),
            "parameter": regularization.parameter,
            "rows": [{"label": b.label, "strength": "–" if b.strength is None
                      else f"{b.strength:.3g}", "cv": _num(b.cv), "test": _num(b.test),
                      "train": _num(b.train), "gap": _num(b.gap), "nonzero": b.nonzero,
                      "reference": b.label == "none"} for b in regularization.best]},
        "leaderboard": rows,
        "detail_keys": detail_keys,
        "details": [{"strategy": s, "cells": [_cell(_num(v, 2), v) for v in values]}
                    for s, values in detail_rows],
        "anytime_svg": anytime_svg(curves, colors, metric) if has_curves else None,
        "time_to_target": [{"strategy": c.strategy,
                            "text": "not reached" if c.time_to_target is None
                            else f"{c.time_to_target:.1f} s",
                            "sort": c.time_to_target} for c in curves.curves],
        "target": _num(curves.target),
        "variance_svg": variance_svg(scores, colors, metric) if scores else None,
        "pareto_svg": pareto_svg(points, colors, metric) if points else None,
        "cost": [{"strategy": p.strategy, "wall": _num(p.wall_s, 2),
                  "score": _num(p.test_score), "per_s": _num(p.trials_per_s, 2),
                  "pareto": p.pareto} for p in points],
        "learning_svg": learning_svg(curve) if curve and curve.sizes else None,
        "learning_note": LEARNING_HIDDEN if curve is None else (curve.note or ""),
        "learning_of": (f"{curve.strategy}: {curve.params or 'defaults'}"
                        if curve and curve.sizes else ""),
    }


def importance_sections(problems: list[str], importances: dict[str, Importance]
                        ) -> dict[str, dict[str, Any]]:
    """Each problem's importance section from its stored importance (a note where none is
    stored; see ``analysis.stored_importances``). It needs no trials: built first, its
    charts are drawn while the trials are read."""
    return {name: _importance(importances.get(name)
                              or Importance(name, 0, [], [], None, NOT_STORED))
            for name in problems}


def _importance(importance: Importance) -> dict[str, Any]:
    """One problem's importance section."""
    return {
        "importance_svg": importance_svg(importance) if importance.importances else None,
        "importance_note": importance.note,
        "importance": [{"name": n, "mean": _num(m), "std": _num(s)}
                       for n, m, s in importance.importances],
        "surrogate_r2": _num(importance.surrogate_r2, 3),
        "importance_trials": importance.n_trials,
    }


def _failures(data: SuiteData) -> list[dict[str, Any]]:
    failed = data.runs[data.runs["status"].isin(UNSUCCESSFUL_STATUSES)]
    return [{"id": int(r.id), "problem": r.problem, "strategy": r.strategy, "seed": int(r.seed),
             "status": r.status, "trials": int(r.n_trials), "error": r.error or ""}
            for r in failed.itertuples()]


def _history(history: History | None, colors: dict[str, str]) -> dict[str, Any] | None:
    if history is None:
        return None
    labels = [r.name for r in history.rounds]
    extra = {s.strategy for p in history.problems for s in p.series} - set(colors)
    colors = color_for([*colors, *sorted(extra)])  # the same colours, plus the new ones
    return {
        "rounds": [{"label": r.name, "started": r.started,
                    "commit": (r.git_commit or "unknown")[:12],
                    "runs": ", ".join(map(str, r.suite_ids))} for r in history.rounds],
        "problems": [{"name": p.problem, "svg": history_svg(p, labels, colors)}
                     for p in history.problems],
        "regressions": [{"round": name, "problem": f"{c.dataset} / {c.model}",
                         "strategy": c.strategy, "measure": c.measure,
                         "baseline": _num(c.baseline), "candidate": _num(c.candidate),
                         "change": c.change_text, "p": "–" if c.p_worse is None
                         else f"{c.p_worse:.3g}", "note": c.note}
                        for name, c in history.regressions],
    }


def build_context(data: SuiteData, *, learning_curves: bool = True,
                  history: History | None = None,
                  nearest: list[dict[str, Any]] | None = None,
                  importance: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Everything the templates show, as plain data and SVG strings (``history``: the
    suite's earlier rounds, see ``analysis.history.round_history``). The verdict is
    ``analysis.suite_verdict``'s, as ``harness recommend`` prints it; the learning curves
    are those stored with the runs of the contender it names; ``learning_curves=False``
    leaves them out; ``nearest``: the "Data like yours" sections
    (``report.nearest_context``); ``importance``: each problem's hyperparameter importance
    section (:func:`importance_sections`; None: a note that none is stored)."""
    colors = color_for(data.strategies)
    if importance is None:
        importance = importance_sections(data.problems, {})
    verdict = suite_verdict(data.runs) if len(data.runs) else None
    datasets = dict(zip(data.runs["problem"], data.runs["dataset"], strict=True))
    problems = [_problem(data, p, colors, learning=None if not learning_curves else
                         named(verdict, datasets[p]) if verdict else [])
                for p in data.problems]
    for problem in problems:
        problem.update(importance[problem["name"]])
    gaps = overfitting_gaps(data.runs) if len(data.runs) else []
    return {
        "header": _header(data),
        "problems": problems,
        "normalized": normalized_context(verdict) if verdict else None,
        "significance": significance_context(verdict) if verdict else None,
        "gap_svg": gap_svg(gaps, data.problems, colors) if any(g.mean is not None
                                                               for g in gaps) else None,
        "gaps": [{"strategy": g.strategy,
                  "cells": [_cell(_num(g.per_problem.get(p)), g.per_problem.get(p))
                            for p in data.problems],
                  "mean": _cell(_num(g.mean), g.mean)} for g in gaps],
        "problem_names": data.problems,
        "recommendation": recommendation_context(verdict) if verdict else None,
        "failures": _failures(data),
        "design_warnings": [w.text for w in initial_design_warnings(data.runs)],
        "history": _history(history, colors),
        "nearest": nearest or [],
        "colors": colors,
    }
