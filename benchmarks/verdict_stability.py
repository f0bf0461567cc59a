"""Verdict stability: one suite on two disjoint seed sets, and how far the two verdicts agree.

The suite (default ``tabular-quick``) runs twice into two fresh stores, once on seeds
0..k-1 and once on seeds k..2k-1 (k = ``--seeds-per-set``, default the suite's own count).
Each store gets the verdict ``harness recommend`` gives (``harness.api.recommend``) at the
full budget; the two rankings are the contenders' mean ranks by held-out test score.
Printed: Kendall's tau-b between them (scipy.stats.kendalltau; with 3 contenders it can
only be -1, -1/3, 1/3 or 1, or lower magnitudes with ties), whether the verdict (the
pick, or its tie group when no single pick) is the same, and tau per problem. The train/test
split is fixed per dataset, so this measures the spread over search and model seeds.

    python benchmarks/verdict_stability.py [--suite tabular-quick] [--jobs 2]
        [--seeds-per-set K] [--workdir DIR] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml


def seed_sets(per_set: int) -> tuple[list[int], list[int]]:
    """Two disjoint seed sets of ``per_set`` seeds each: 0..k-1 and k..2k-1."""
    return list(range(per_set)), list(range(per_set, 2 * per_set))


def suite_with_seeds(ref: str, seeds: list[int]) -> Any:
    """The suite ``ref`` (a shipped name or a path) with its seeds replaced by ``seeds``,
    validated as a suite file with that list would be (relative paths still resolve)."""
    from harness.config import parse_suite, resolve_suite_path

    path = resolve_suite_path(ref)
    raw = yaml.safe_load(path.read_text())
    raw["seeds"] = list(seeds)
    return parse_suite(raw, source=str(path), base_dir=path.parent)


def ranking(db: Path, suite: str) -> dict[str, Any]:
    """The full-budget verdict of a store as ``harness recommend`` gives it: mean rank per
    contender, per-problem ranks, the pick and the tie group (of the widest scope)."""
    from harness.api import recommend

    verdict = recommend(db, suite).verdict
    if not verdict.recommendations:  # no run stored at all
        return {"mean_rank": {}, "problem_ranks": {}, "order": [], "pick": None, "group": [],
                "seeds": [], "problems": [], "summary": "no runs"}
    full = max(rec.level for rec in verdict.recommendations)
    pairs = [(rec, table) for rec, table in
             zip(verdict.recommendations, verdict.standings, strict=True) if rec.level == full]
    rec, table = max(pairs, key=lambda pair: len(pair[0].problems))
    return {"mean_rank": dict(table.mean_rank), "problem_ranks": table.problem_ranks,
            "order": list(table.ranked), "pick": rec.pick, "group": list(rec.group),
            "seeds": list(rec.seeds), "problems": list(rec.covered), "summary": rec.summary}


def _tau(a: dict[str, float], b: dict[str, float]) -> float | None:
    """Kendall's tau-b of two rank maps over their shared keys (None when undefined)."""
    from scipy.stats import kendalltau

    shared = [k for k in a if k in b]
    if len(shared) < 2:
        return None
    tau = float(kendalltau([a[k] for k in shared], [b[k] for k in shared]).statistic)
    return None if math.isnan(tau) else round(tau, 4)


def compare(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """How far two rankings (from :func:`ranking`) agree: tau overall and per problem, the
    same verdict (the same single pick, or the same tie group when neither has one), and
    the same contender ranked first."""
    if first["pick"] is not None or second["pick"] is not None:
        same_verdict = first["pick"] == second["pick"]
    else:
        same_verdict = set(first["group"]) == set(second["group"])
    per_problem = {}
    for problem in first["problems"]:
        if problem in second["problems"]:
            a = {c: ranks[problem] for c, ranks in first["problem_ranks"].items()}
            b = {c: ranks[problem] for c, ranks in second["problem_ranks"].items()}
            per_problem[problem] = _tau(a, b)
    defined = [t for t in per_problem.values() if t is not None]
    return {"tau": _tau(first["mean_rank"], second["mean_rank"]),
            "same_verdict": same_verdict,
            "same_first": bool(first["order"]) and first["order"][:1] == second["order"][:1],
            "tau_per_problem": per_problem,
            "mean_tau_per_problem": round(sum(defined) / len(defined), 4) if defined else None}


def run_set(ref: str, seeds: list[int], db: Path, jobs: int, progress: bool) -> dict[str, Any]:
    """Run the suite on ``seeds`` into ``db``; returns its ranking, run count and statuses."""
    from harness.api import run_suite

    suite = suite_with_seeds(ref, seeds)
    started = time.perf_counter()
    outcome = run_suite(suite, db=db, jobs=jobs, progress=progress, learning_curves=False)
    statuses: dict[str, int] = {}
    for run in outcome.runs:
        statuses[run["status"]] = statuses.get(run["status"], 0) + 1
    return {"seeds": seeds, "db": str(db), "runs": len(outcome.runs), "statuses": statuses,
            "wall_s": round(time.perf_counter() - started, 1),
            **ranking(db, suite.name)}


def _text(result: dict[str, Any]) -> str:
    lines = []
    for key in ("a", "b"):
        s = result[key]
        ranks = ", ".join(f"{c} {s['mean_rank'][c]:.2f}" for c in s["order"])
        verdict = f"pick {s['pick']}" if s["pick"] else f"tie group {', '.join(s['group'])}"
        lines.append(f"seeds {s['seeds']}: {s['runs']} runs {s['statuses']} in {s['wall_s']} s;"
                     f" mean ranks {ranks}; {verdict}")
    c = result["agreement"]
    lines.append(f"Kendall tau between the two rankings: {c['tau']}; same verdict (pick or tie "
                 f"group): {'yes' if c['same_verdict'] else 'no'}; same first: "
                 f"{'yes' if c['same_first'] else 'no'}")
    lines += [f"  tau on {p}: {t}" for p, t in c["tau_per_problem"].items()]
    lines.append(f"  mean tau per problem: {c['mean_tau_per_problem']}")
    return "\n".join(lines)


def measure(ref: str, per_set: int | None, jobs: int, workdir: Path,
            progress: bool = True) -> dict[str, Any]:
    """Both runs and their comparison, as plain data (the --json output)."""
    from harness.config import load_suite

    per_set = per_set or len(load_suite(ref).seeds)
    first, second = seed_sets(per_set)
    a = run_set(ref, first, workdir / "seeds-a.db", jobs, progress)
    b = run_set(ref, second, workdir / "seeds-b.db", jobs, progress)
    return {"suite": ref, "jobs": jobs, "seeds_per_set": per_set, "a": a, "b": b,
            "agreement": compare(a, b)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="tabular-quick", help="shipped suite or file")
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time")
    parser.add_argument("--seeds-per-set", type=int, default=None,
                        help="seeds in each of the two sets (default: the suite's count)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the two stores here (default: a temporary folder)")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.seeds_per_set is not None and args.seeds_per_set < 1:
        parser.error(f"--seeds-per-set must be at least 1, got {args.seeds_per_set}")
    from harness.errors import UserError

    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            result = measure(args.suite, args.seeds_per_set, args.jobs, workdir,
                             progress=not args.quiet)
        except UserError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    print(_text(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
