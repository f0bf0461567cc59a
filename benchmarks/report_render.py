"""Report rendering speed and size: a store of 100 runs with 20,000 trials.

5 problems x 5 strategies x 4 seeds, 200 trials per run (synthetic, see
harness/synthetic_results.py). Times ``write_report`` end to end in a fresh process
(imports included), reports the HTML size, and compares them with the targets
(at most 2 s, under 3 MB). The synthetic runs store learning curves as a worker would, so
this measures reading the store, analysis and rendering: no model of a problem is fitted.

    python benchmarks/report_render.py [--repeats 3] [--json out.json] [--rounds 30]

Each repeat also prints where the time went, per report section (seconds and share of the
total; the sections add up to it, "other" is the rest), from timers wrapped around the
functions that build each section. ``--rounds N`` stores N - 1 earlier rounds of the same
suite first (2 trials per run: the history section reads runs, not trials), so the report
also draws its History section.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Report section -> the functions (module, name) whose time is charged to it. The names
#: are patched where the report looks them up, so every call is timed once.
SECTIONS = {
    "read store": [("harness.analysis", "load_suite_data")],
    "verdict": [("harness.report.context", "suite_verdict")],
    "recommendation, normalized, significance": [
        ("harness.report.context", "recommendation_context"),
        ("harness.report.context", "normalized_context"),
        ("harness.report.context", "significance_context")],
    "leaderboards": [("harness.report.context", "_leaderboard_rows"),
                     ("harness.report.context", "detail_means")],
    "anytime curves": [("harness.report.context", "anytime_curves"),
                       ("harness.report.context", "anytime_svg")],
    "variance": [("harness.report.context", "test_scores_by_strategy"),
                 ("harness.report.context", "variance_svg")],
    "cost": [("harness.report.context", "cost_points"),
             ("harness.report.context", "pareto_svg")],
    "CV-test gap": [("harness.report.context", "overfitting_gaps"),
                    ("harness.report.context", "gap_svg")],
    "importance": [("harness.report.context", "hyperparameter_importance"),
                   ("harness.report.context", "importance_svg")],
    "learning curves": [("harness.report.context", "learning_curve_of"),
                        ("harness.report.context", "learning_svg")],
    "regularization": [("harness.report.context", "regularization_summary"),
                       ("harness.report.context", "validation_curves_svg")],
    "history": [("harness.analysis.history", "round_history"),
                ("harness.report.context", "_history")],
    "HTML (Jinja2, SVG ids)": [("harness.report.render", "render_html")],
}

RENDER = """
import sys, time, json, importlib
from pathlib import Path
started = time.perf_counter()
from harness.report import write_report
imported = time.perf_counter() - started
spent = {}

def timed(section, func):
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            spent[section] = spent.get(section, 0.0) + time.perf_counter() - t0
    return wrapper

for section, names in json.loads(sys.argv[3]).items():
    for module, name in names:
        mod = importlib.import_module(module)
        setattr(mod, name, timed(section, getattr(mod, name)))
path = write_report(db=Path(sys.argv[1]), suite="bench", out_dir=Path(sys.argv[2]))
total = time.perf_counter() - started
print(json.dumps({"total": total, "size": path.stat().st_size,
                  "sections": {"imports": imported, **spent}}))
"""


def render_once(db: Path, out: Path) -> dict:
    """One report written in a fresh process: total seconds, size, seconds per section."""
    stdout = subprocess.run([sys.executable, "-c", RENDER, str(db), str(out),
                             json.dumps(SECTIONS)],
                            capture_output=True, text=True, check=True).stdout
    return json.loads(stdout.strip().splitlines()[-1])


def breakdown(result: dict) -> str:
    """The sections' seconds and shares of the total, largest first, then the rest."""
    total, sections = result["total"], dict(result["sections"])
    sections["other (write, glue)"] = total - sum(sections.values())
    return "\n".join(f"  {name:42s} {seconds:6.2f} s {seconds / total:6.1%}"
                     for name, seconds in sorted(sections.items(), key=lambda kv: -kv[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds stored (the history section needs at least 2)")
    args = parser.parse_args()
    from harness.synthetic_results import fill_store

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        shape = {"suite": "bench", "datasets": ["a", "b", "c", "d", "e"],
                 "strategies": ["default", "grid", "random", "bayes", "halving"],
                 "seeds": [0, 1, 2, 3]}
        for night in range(1, args.rounds):
            fill_store(db, round=f"night-{night:02d}", seed=night, trials_per_run=2, **shape)
        runs = fill_store(db, round=f"night-{args.rounds:02d}" if args.rounds > 1 else "",
                          trials_per_run=200, **shape)
        results = []
        for i in range(args.repeats):
            result = render_once(db, Path(tmp) / "r")
            results.append(result)
            print(f"repeat {i + 1}: {result['total']:.2f} s, {result['size'] / 1e6:.2f} MB",
                  flush=True)
            print(breakdown(result), flush=True)
    times = [r["total"] for r in results]
    median = sorted(results, key=lambda r: r["total"])[len(results) // 2]
    figures = {"runs": runs, "trials": runs * 200, "rounds": args.rounds,
               "render_s_median": statistics.median(times),
               "render_s_min": min(times), "html_mb": results[-1]["size"] / 1e6,
               "target_s": 2.0, "target_mb": 3.0,
               "sections_s_median_repeat": {k: round(v, 3)
                                            for k, v in median["sections"].items()},
               "measured_at": time.strftime("%Y-%m-%d %H:%M")}
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
