"""How ``harness recommend`` shows the verdict: text per scope and level, or JSON (for
nightly jobs). Both are drawn from ``analysis.verdict_plain``, as the report's
Recommendation is. With ``--data``: the user's data, its nearest stored problems, and the
verdict on those."""

from __future__ import annotations

import json
from typing import Any

from harness.analysis import Verdict, verdict_plain
from harness.analysis.like_mine import DataVerdict
from harness.analysis.nearest import SUGGEST, landmark_score, status_sentence
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


def verdict_lines(verdict: Verdict) -> list[str]:
    """The verdict's method line, then per scope (problems that share contenders) each level."""
    plain = verdict_plain(verdict)
    scopes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for level in plain["levels"]:
        scopes.setdefault(tuple(level["problems"]), []).append(level)
    lines = [f"ranked on the held-out test score; failed runs rank last; {plain['test']} "
             f"(alpha {plain['alpha']:g}); best in: share of {plain['resamples']} bootstrap "
             "resamples (problems, then seeds)"]
    if not scopes:
        lines.append("no runs to rank")
    for problems, levels in scopes.items():
        lines += ["", f"on {', '.join(problems)}:"]
        for level in levels:
            lines += _level_lines(level)
    return lines


def verdict_text(suite: str, round: str, verdict: Verdict) -> str:
    """The verdict as text: per scope (problems that share contenders), each level."""
    in_round = f" (round {round})" if round else ""
    method, *rest = verdict_lines(verdict)
    return "\n".join([f"suite {suite}{in_round}: {method}", *rest])


SUGGEST_OWN = ("or benchmark your data itself: a suite with the dataset csv:PATH (see the "
               "README's suite example)")


def _meta_text(task: str, meta: dict[str, Any]) -> str:
    """A dataset's meta-features in one line."""
    parts = [f"{meta.get('rows')} rows, {meta.get('features')} features "
             f"({meta.get('categorical_fraction', 0):.0%} categorical, "
             f"{meta.get('missing_fraction', 0):.0%} missing cells)"]
    if task == "classification":
        parts.append(f"{meta.get('classes')} classes (imbalance {meta.get('imbalance')})")
    else:
        parts.append(f"target skew {meta.get('target_skew')}")
    score = landmark_score(meta)
    landmark = meta.get("landmark") if isinstance(meta.get("landmark"), dict) else {}
    parts.append("landmark: none" if score is None else
                 f"landmark {landmark.get('metric')} {score:.3f} (default random forest, "
                 f"{landmark.get('cv')}-fold CV)")
    return ", ".join(parts)


def _distance(value: float) -> float | None:
    return None if value == float("inf") else round(value, 4)


def like_mine_plain(result: DataVerdict) -> dict[str, Any]:
    """What ``harness recommend --data`` says, as plain data (its JSON)."""
    hood, like = result.like.neighbourhood, result.like
    status_message = _status_message(result)
    return {
        "data": result.data, "task": result.task, "fingerprint": result.fingerprint,
        "meta": result.meta, "db": str(result.db),
        "status": hood.status, "message": status_message,
        "suggest": [] if status_message is None else [command for command, _ in SUGGEST],
        "distance": {"method": DISTANCE_METHOD, "same_task_only": True,
                     "features": list(hood.scales), "near_enough": hood.near,
                     "stored_problems": hood.stored,
                     "standardization": {k: {"mean": round(m, 4), "scale": round(s, 4)}
                                         for k, (m, s) in hood.scales.items()}},
        "neighbours": [{"problem": n.problem.name, "distance": _distance(n.distance),
                        "near": n.near,
                        "differences": {k: round(v, 4) for k, v in n.differences.items()},
                        "meta": n.problem.meta} for n in hood.shown],
        "without_meta": hood.without_meta, "same_data_left_out": list(like.same_data),
        "budget": None if like.budget is None else {
            "time_s": like.budget.time_s, "levels": list(like.budget.levels),
            "asked_s": like.budget.asked, "problems": like.budget.problems,
            "text": like.budget.text},
        "verdict": None if like.verdict is None else verdict_plain(like.verdict)}


DISTANCE_METHOD = ("root mean square of the z-score differences over the meta-features both "
                   "have; z-scores over the stored problems of the same task (scale: their "
                   "standard deviation, never below a floor per feature); rows and features "
                   "as log10, classes as log2, target skew as sign(s) log(1 + |s|)")


def _status_message(result: DataVerdict) -> str | None:
    message = status_sentence(result.like.neighbourhood, str(result.db))
    if message is None and result.like.verdict is None:
        return "the nearest problems have no runs to rank"
    return message


def _neighbour_lines(result: DataVerdict) -> list[str]:
    hood = result.like.neighbourhood
    lines = [f"nearest of {hood.stored} stored {hood.task} problem(s) in {result.db} "
             f"(near enough: distance at most {hood.near:g}):"]
    if hood.scales:
        lines.append("  distance: root mean square of the z-score differences over "
                     + ", ".join(hood.scales) + f"; z-scores over the stored {hood.task} "
                     "problems (scale: their standard deviation, never below a floor per "
                     "feature)")
    if hood.shown:
        width = max(len("problem"), *(len(n.problem.name) for n in hood.shown))
        lines.append(f"  {'distance':>8}  near  {'problem':<{width}}  description")
    for n in hood.shown:
        lines.append(f"  {n.distance:8.2f}  {'yes' if n.near else 'no ':<4}  "
                     f"{n.problem.name:<{width}}  {_meta_text(hood.task, n.problem.meta)}")
    if result.like.same_data:
        lines.append("left out, the same data as yours (harness recommend --suite on the "
                     "suite that ran it gives its own verdict): "
                     + ", ".join(result.like.same_data))
    if hood.without_meta:
        lines.append("left out, their runs carry no meta-features (stored before runs did; "
                     "a new round of their suite, harness run --round LABEL, stores them): "
                     + ", ".join(hood.without_meta))
    return lines


def like_mine_text(result: DataVerdict) -> str:
    """What ``harness recommend --data`` prints: the data's meta-features, the nearest
    stored problems with distances, then the verdict on the near ones (or why there is
    none, and the suite to run)."""
    like = result.like
    lines = [f"your data: {result.data} ({result.task}): {_meta_text(result.task, result.meta)}",
             "", *_neighbour_lines(result), ""]
    message = _status_message(result)
    if message is not None:
        return "\n".join([*lines, message + ":",
                          *(f"  {command}   # {why}" for command, why in SUGGEST),
                          f"  {SUGGEST_OWN}"])
    assert like.budget is not None and like.verdict is not None
    chosen = [n.problem.name for n in like.neighbourhood.chosen]
    lines.append(f"verdict on the {len(chosen)} near problem(s); budget: {like.budget.text}")
    return "\n".join([*lines, *verdict_lines(like.verdict)])


def like_mine_json(result: DataVerdict) -> str:
    """:func:`like_mine_plain` as JSON text."""
    return json.dumps(like_mine_plain(result), indent=2, ensure_ascii=False)
