"""How ``harness recommend`` shows the verdict: text per scope and level, or JSON (for
nightly jobs). Both are drawn from ``analysis.verdict_plain``, as the report's
Recommendation is."""

from __future__ import annotations

import json
from typing import Any

from harness.analysis import Verdict, verdict_plain
from harness.analysis.recommend import by_reason


def verdict_json(suite: str, round: str, verdict: Verdict) -> str:
    """The verdict as JSON text: suite, round, method, and one entry per level and scope."""
    return json.dumps({"suite": suite, "round": round, **verdict_plain(verdict)}, indent=2,
                      ensure_ascii=False)


def _level_lines(level: dict[str, Any]) -> list[str]:
    """One level: the verdict, then how sure, the lead, coverage, failures, not ranked."""
    by = {c["contender"]: c for c in level["contenders"]}
    names = [level["pick"]] if level["pick"] else level["group"]
    pad = " " * 8
    if level["pick"]:
        head = f"pick {level['pick']}"
    elif level["group"]:
        head = "no single winner: " + ", ".join(level["group"])
    else:
        head = "no verdict: " + level["summary"].split("no verdict: ", 1)[-1]
    lines = [f"  {level['budget']:<5} {head}"]
    if names:
        lines.append(pad + "best in: " + ", ".join(f"{n} {by[n]['p_best']:.0%}"
                                                   for n in names) + " of resamples")
    if (e := level["effect"]) is not None:
        lines.append(f"{pad}lead over the runner-up {e['runner_up']}: {e['diff']:+.4f} test "
                     f"score (95% interval {e['low']:+.4f} to {e['high']:+.4f})")
    cov = level["coverage"]
    if cov["problems"]:
        lines.append(f"{pad}coverage: {len(cov['problems'])} problem(s) x seed(s) "
                     f"{', '.join(map(str, cov['seeds']))} ({cov['pairs']} pair(s))")
        lines.append(pad + "failed runs: " + ", ".join(
            f"{n} {by[n]['failed']} of {by[n]['runs']}" for n in names))
    lines += [f"{pad}{q['runs']} of {q['of']} scored runs: {note}"
              for note, q in level["qualified"].items()]
    lines += [f"{pad}not ranked ({why}): {', '.join(names)}"
              for why, names in by_reason(level["not_ranked"])]
    return lines


def verdict_text(suite: str, round: str, verdict: Verdict) -> str:
    """The verdict as text: per scope (problems that share contenders), each level."""
    plain = verdict_plain(verdict)
    scopes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for level in plain["levels"]:
        scopes.setdefault(tuple(level["problems"]), []).append(level)
    in_round = f" (round {round})" if round else ""
    lines = [f"suite {suite}{in_round}: ranked on the held-out test score; failed runs rank "
             f"last; {plain['test']} (alpha {plain['alpha']:g}); best in: share of "
             f"{plain['resamples']} bootstrap resamples (problems, then seeds)"]
    if not scopes:
        lines.append("no runs to rank")
    for problems, levels in scopes.items():
        lines += ["", f"on {', '.join(problems)}:"]
        for level in levels:
            lines += _level_lines(level)
    return "\n".join(lines)
