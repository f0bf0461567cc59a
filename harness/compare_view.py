"""How ``harness compare`` shows a round comparison: a text table or JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from harness.analysis.history import Round, RoundComparison
from harness.console import format_table

CORRECTION_NAMES = {"bh": "Benjamini-Hochberg", "holm": "Holm", "none": "no correction"}


def _num(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.4f}" if abs(value) < 1e4 else f"{value:.4g}"


def _p(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g}"


def _round_line(role: str, r: Round) -> str:
    commit = r.git_commit[:12] if r.git_commit else "unknown"
    return f"{role}: round {r.name}, started {r.started}, commit {commit}"


def comparison_text(comparison: RoundComparison, *, show_all: bool = False) -> str:
    """The comparison as lines of text: which rounds, the changed rows, a summary line."""
    s, result = comparison.settings, comparison.result
    lines = [f"suite {comparison.suite}",
             _round_line("baseline ", comparison.baseline),
             _round_line("candidate", comparison.candidate), ""]
    if comparison.config_changed:
        lines[3:3] = ["note: the suite's configuration changed between these rounds (budget, "
                      "datasets, spaces...): differences may come from that, not the code"]
    shown = [c for c in result.comparisons
             if show_all or c.verdict in ("regressed", "improved")]
    shown.sort(key=lambda c: ({"regressed": 0, "improved": 1}.get(c.verdict, 2),
                              c.dataset, c.model, c.strategy, c.measure))
    if shown:
        rows = [[f"{c.dataset} / {c.model}", c.strategy, c.measure, c.n_pairs, _num(c.baseline),
                 _num(c.candidate), c.change_text,
                 _p(c.p_better if c.verdict == "improved" else c.p_worse),
                 c.verdict.upper() if c.verdict == "regressed" else c.verdict, c.note]
                for c in shown]
        lines.append(format_table(["problem", "strategy", "measure", "seeds", "baseline",
                                   "candidate", "change", "p", "verdict", "note"], rows))
        lines.append("")
    counts = {v: sum(c.verdict == v for c in result.comparisons)
              for v in ("regressed", "improved", "unchanged", "not tested")}
    lines.append(
        f"{len(result.comparisons)} comparison(s): {counts['regressed']} regressed, "
        f"{counts['improved']} improved, {counts['unchanged']} unchanged, "
        f"{counts['not tested']} not tested (one-sided paired t-test over seeds, "
        f"alpha {s.alpha:g}, {CORRECTION_NAMES[s.correction]}; a change counts from "
        f"{s.min_effect:g} in score or {s.min_relative:.0%} in time and memory)")
    return "\n".join(lines)


def _round_json(r: Round | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {"round": r.label, "suite_runs": list(r.suite_ids), "started": r.started,
            "git_commit": r.git_commit, "package_versions": r.package_versions}


def comparison_json(comparison: RoundComparison) -> dict[str, Any]:
    """The comparison as JSON-ready data (every row, verdicts and adjusted p-values)."""
    result = comparison.result
    return {
        "suite": comparison.suite,
        "baseline": _round_json(comparison.baseline),
        "candidate": _round_json(comparison.candidate),
        "settings": asdict(comparison.settings),
        "config_changed": comparison.config_changed,
        "regressions": len(result.regressions),
        "improvements": len(result.improvements),
        "comparisons": [asdict(c) for c in result.comparisons],
    }


def nothing_to_compare_json(suite: str, candidate: Round | None, reason: str) -> dict[str, Any]:
    """JSON for the first night: no baseline round yet, so no regression."""
    return {"suite": suite, "baseline": None, "candidate": _round_json(candidate),
            "regressions": 0, "improvements": 0, "comparisons": [], "note": reason}
