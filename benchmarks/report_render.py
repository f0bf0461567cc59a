"""Report rendering speed and size: a store of 100 runs with 20,000 trials.

5 problems x 5 strategies x 4 seeds, 200 trials per run (synthetic, see
harness/synthetic_results.py). Times ``write_report`` end to end in a fresh process
(imports included), reports the HTML size, and compares them with the targets
(at most 2 s, under 3 MB). The synthetic runs store learning curves as a worker would, so
this measures reading the store, analysis and rendering: no model of a problem is fitted.

    python benchmarks/report_render.py [--repeats 3] [--json out.json] [--rounds 30]
                                       [--shape smoke]

Each repeat writes the report twice, alternately: with its charts drawn in the report's own
process, then by worker processes (one per core, at most 4, as ``harness report`` does;
see harness/report/charts/batch.py). The first prints where the time went, per report
section (seconds and share of the total; the sections add up to it, "other" is the rest),
from timers wrapped around the functions that build each section; the summary gives both
medians and their ratio, measured in the same run, and the machine's load.

``--rounds N`` stores N - 1 earlier rounds of the same suite first (2 trials per run: the
history section reads runs, not trials), so the report also draws its History section.
"""

from __future__ import annotations

import argparse
import json
import os
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
    "importance": [("harness.report.context", "_importance_inputs"),
                   ("harness.report.context", "aside"),  # the surrogates' fits when serial
                   ("harness.report.context", "_add_importance")],
    "learning curves": [("harness.report.context", "learning_curve_of"),
                        ("harness.report.context", "learning_svg")],
    "regularization": [("harness.report.context", "regularization_summary"),
                       ("harness.report.context", "validation_curves_svg")],
    "history": [("harness.analysis.history", "round_history"),
                ("harness.report.context", "_history")],
    "HTML (Jinja2, SVG ids)": [("jinja2.environment", "Template.render"),
                               ("harness.report.charts._svg", "unique_svg_ids")],
    "charts: waiting for the workers": [("harness.report.charts.batch", "ChartBatch.fill")],
}

RENDER = """
import sys, time, json, importlib, resource
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
        owner = importlib.import_module(module)
        *path, name = name.split(".")
        for part in path:
            owner = getattr(owner, part)
        setattr(owner, name, timed(section, getattr(owner, name)))
workers = None if sys.argv[4] == "auto" else int(sys.argv[4])
path = write_report(db=Path(sys.argv[1]), suite="bench", out_dir=Path(sys.argv[2]),
                    chart_workers=workers)
total = time.perf_counter() - started
workers_cpu = sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2])
print(json.dumps({"total": total, "size": path.stat().st_size, "cpu": time.process_time(),
                  "cpu_workers": workers_cpu, "sections": {"imports": imported, **spent}}))
"""


def render_once(db: Path, out: Path, workers: str) -> dict:
    """One report written in a fresh process (``workers``: chart processes, "auto" or a
    number): total seconds, size, its own CPU seconds, seconds per section."""
    done = subprocess.run([sys.executable, "-c", RENDER, str(db), str(out),
                           json.dumps(SECTIONS), workers], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"writing the report failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def breakdown(result: dict) -> str:
    """The sections' seconds and shares of the total, largest first, then the rest."""
    total, sections = result["total"], {k: v for k, v in result["sections"].items() if v}
    sections["other (store, file, glue)"] = total - sum(sections.values())
    return "\n".join(f"  {name:42s} {seconds:6.2f} s {seconds / total:6.1%}"
                     for name, seconds in sorted(sections.items(), key=lambda kv: -kv[1]))


#: Stores to report on: 100 runs of 200 trials, or the shape of the smoke suite (5 problems,
#: its 13 strategies, 2 seeds, at most 8 trials per run).
SHAPES = {
    "bench": ({"datasets": ["a", "b", "c", "d", "e"],
               "strategies": ["default", "grid", "random", "bayes", "halving"],
               "seeds": [0, 1, 2, 3]}, 200),
    "smoke": ({"datasets": ["iris", "breast-cancer", "diabetes", "digits", "sequences"],
               "strategies": ["default", "grid", "random", "halving", "bayes",
                              "coarse-to-fine", "flaml", "autosklearn", "regularized",
                              "keras-random", "keras-hyperband", "keras-bayes", "optuna-tpe"],
               "seeds": [0, 1]}, 8),
}


def fill(db: Path, rounds: int, shape_name: str) -> tuple[int, int]:
    """The benchmark's store: ``rounds`` rounds of a shape (the latest one with its full
    trials per run); returns (runs, trials) of the latest."""
    from harness.synthetic_results import fill_store

    shape, trials = SHAPES[shape_name]
    for night in range(1, rounds):
        fill_store(db, suite="bench", round=f"night-{night:02d}", seed=night,
                   trials_per_run=2, **shape)
    runs = fill_store(db, suite="bench", round=f"night-{rounds:02d}" if rounds > 1 else "",
                      trials_per_run=trials, **shape)
    return runs, runs * trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="bench",
                        help="bench: 100 runs of 200 trials; smoke: the smoke suite's shape")
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds stored (the history section needs at least 2)")
    args = parser.parse_args()
    from harness.report.charts.batch import default_workers

    workers = default_workers()
    results: dict[str, list[dict]] = {"serial": [], "auto": []}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        runs, trials = fill(db, args.rounds, args.shape)
        for i in range(args.repeats):
            for mode in ("serial", "auto"):  # alternating, so both see the same load
                result = render_once(db, Path(tmp) / "r", "0" if mode == "serial" else "auto")
                results[mode].append(result)
                where = "in this process" if mode == "serial" else f"by {workers} workers"
                print(f"repeat {i + 1}, charts drawn {where}: {result['total']:.2f} s "
                      f"(CPU: {result['cpu']:.2f} s in the report process, "
                      f"{result['cpu_workers']:.2f} s in its workers), "
                      f"{result['size'] / 1e6:.2f} MB, load {os.getloadavg()[0]:.1f}",
                      flush=True)
                if mode == "serial":
                    print(breakdown(result), flush=True)
    median = {mode: statistics.median(r["total"] for r in rs) for mode, rs in results.items()}
    serial = sorted(results["serial"], key=lambda r: r["total"])[len(results["serial"]) // 2]
    figures = {"shape": args.shape, "runs": runs, "trials": trials, "rounds": args.rounds,
               "chart_workers": workers, "render_s_median": median["auto"],
               "render_s_min": min(r["total"] for r in results["auto"]),
               "serial_s_median": median["serial"],
               "serial_over_parallel": median["serial"] / median["auto"],
               "html_mb": results["auto"][-1]["size"] / 1e6, "target_s": 2.0,
               "target_mb": 3.0, "load_1min": os.getloadavg()[0],
               "sections_s_serial_median_repeat": {k: round(v, 3)
                                                   for k, v in serial["sections"].items()},
               "measured_at": time.strftime("%Y-%m-%d %H:%M")}
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
