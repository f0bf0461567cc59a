"""Report rendering speed and size: a store of 100 runs with 20,000 trials.

5 problems x 5 strategies x 4 seeds, 200 trials per run (synthetic, see
harness/synthetic_results.py). Times ``write_report`` end to end in a fresh process
(imports included), reports the HTML size, and compares them with the targets
(at most 2 s, under 3 MB). The synthetic runs store learning curves as a worker would, and
each problem's hyperparameter importance is fitted and stored as the runner does when a
suite's runs end (timed, and printed, apart: it is not part of writing a report), so this
measures reading the store, analysis and rendering: no model of a problem is fitted.

    python benchmarks/report_render.py [--repeats 3] [--json out.json] [--rounds 30]
                                       [--shape smoke] [--reference]

Each repeat writes the report twice, alternately: with its charts drawn in the report's own
process, then by worker processes (one per core, at most 4, as ``harness report`` does;
see harness/report/charts/batch.py). Each prints where the time went, per report
section (seconds and share of the total; the sections add up to it, "other" is the rest),
from timers wrapped around the functions that build each section, with the CPU seconds the
report's process spent in each; the summary gives both medians and their ratio, measured in
the same run, and the machine's load.

``--reference`` also times, in each repeat, fixed workloads in fresh processes (``import
sklearn``, a pure-Python loop, a NumPy loop) and prints the report's time beside theirs: an
absolute figure from a slower or busier host can then be read as "X s here, on a host where
import sklearn takes Y s".

``--rounds N`` stores N - 1 earlier rounds of the same suite first (2 trials per run: the
history section reads runs, not trials), so the report also draws its History section.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _context(*names: str) -> list[tuple[str, str]]:
    """Functions the report looks up in ``harness.report.context``."""
    return [("harness.report.context", name) for name in names]


#: Report section -> the functions (module, name) whose time is charged to it. The names
#: are patched where the report looks them up, so every call is timed once; a name the
#: code under test lacks is skipped (so that older code can be measured alike).
SECTIONS = {
    "read store": [("harness.analysis", "load_suite_data"), ("harness.analysis", "suite_runs")],
    "verdict": _context("suite_verdict"),
    "recommendation, normalized, significance": _context(
        "recommendation_context", "normalized_context", "significance_context"),
    "leaderboards": _context("_leaderboard_rows", "detail_means"),
    "anytime curves": _context("anytime_curves", "anytime_svg"),
    "variance": _context("test_scores_by_strategy", "variance_svg"),
    "cost": _context("cost_points", "pareto_svg"),
    "CV-test gap": _context("overfitting_gaps", "gap_svg"),
    # reading the stored importance; the older code's names: "aside" (the surrogates' fits
    # in a chart worker), "hyperparameter_importance" (fitted by the report itself)
    "importance": [("harness.analysis", "stored_importances"),
                   *_context("importance_sections", "_importance_inputs", "aside",
                             "_add_importance", "hyperparameter_importance",
                             "importance_svg")],
    "learning curves": _context("learning_curve_of", "learning_svg"),
    "regularization": _context("regularization_summary", "validation_curves_svg"),
    "history": [("harness.analysis.history", "round_history"), *_context("_history")],
    "HTML (Jinja2, SVG ids)": [("jinja2.environment", "Template.render"),
                               ("harness.report.charts._svg", "unique_svg_ids")],
    # the charts no worker has started, drawn by the report's process, and the wait for the rest
    "charts: drawn at the end or waited for": [("harness.report.charts.batch",
                                                "ChartBatch.fill")],
}

RENDER = """
import sys, time, json, importlib, resource
from pathlib import Path
started = time.perf_counter()
from harness.report import write_report
imported = (time.perf_counter() - started, time.process_time())
spent, running = {}, set()

def timed(section, func):
    def wrapper(*args, **kwargs):
        if section in running:  # called inside another of its functions: counted there
            return func(*args, **kwargs)
        running.add(section)
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            return func(*args, **kwargs)
        finally:
            running.discard(section)
            wall, cpu = spent.get(section, (0.0, 0.0))
            spent[section] = (wall + time.perf_counter() - t0, cpu + time.process_time() - c0)
    return wrapper

for section, names in json.loads(sys.argv[3]).items():
    for module, name in names:
        owner = importlib.import_module(module)
        *path, name = name.split(".")
        for part in path:
            owner = getattr(owner, part)
        if hasattr(owner, name):  # names of older or newer code are skipped
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
    """The sections' seconds and shares of the total, largest first, then the rest, each
    with the CPU seconds the report's process spent in it."""
    total, sections = result["total"], {k: v for k, v in result["sections"].items() if v[0]}
    sections["other (store, file, glue)"] = (
        total - sum(wall for wall, _ in sections.values()),
        result["cpu"] - sum(cpu for _, cpu in sections.values()))
    return "\n".join(f"  {name:42s} {wall:6.2f} s {wall / total:6.1%}  CPU {cpu:5.2f} s"
                      for name, (wall, cpu) in sorted(sections.items(), key=lambda kv: -kv[1][0]))


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


def fill(db: Path, rounds: int, shape_name: str) -> tuple[int, int, float]:
    """The benchmark's store: ``rounds`` rounds of a shape (the latest one with its full
    trials per run, and its importance stored as the runner stores it when a suite's runs
    end); returns (runs, trials) of the latest and the seconds fitting its importance took
    (0 for code that stores none)."""
    import inspect

    from harness.synthetic_results import fill_store

    shape, trials = SHAPES[shape_name]
    fitted_apart = "importances" in inspect.signature(fill_store).parameters
    extra = {"importances": False} if fitted_apart else {}
    for night in range(1, rounds):  # the history section reads their runs only
        fill_store(db, suite="bench", round=f"night-{night:02d}", seed=night,
                   trials_per_run=2, **shape, **extra)
    latest = f"night-{rounds:02d}" if rounds > 1 else ""
    runs = fill_store(db, suite="bench", round=latest, trials_per_run=trials, **shape, **extra)
    fit_s = 0.0
    if fitted_apart:
        from harness.importances import store_importances
        from harness.store import ResultStore

        with ResultStore(db) as store:
            fit_s = store_importances(store, "bench", round=latest)
    return runs, runs * trials, fit_s


#: The reference workloads (``--reference``), each in a fresh process: what a slower or
#: busier host does to them, it does about as much to the report, so the report's time
#: can be read against theirs.
REFERENCE = {
    "import sklearn": "import sklearn",
    "python loop": "sum(i * i for i in range(3_000_000))",
    "numpy": ("import numpy as np\n"
              "a = np.random.default_rng(0).random(2_000_000)\n"
              "for _ in range(5): np.sort(a); np.cumsum(a)"),
}


def reference_once() -> dict[str, dict[str, float]]:
    """Each reference workload's wall and CPU seconds in a fresh, single-threaded process
    (interpreter start-up included)."""
    out = {}
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    for name, code in REFERENCE.items():
        before = sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2])
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        out[name] = {"wall": time.perf_counter() - started,
                     "cpu": sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2]) - before}
    return out


def _medians(runs: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    return {name: {k: statistics.median(r[name][k] for r in runs) for k in ("wall", "cpu")}
            for name in runs[0]} if runs else {}


def _sections(result: dict) -> dict[str, dict[str, float]]:
    return {k: {"wall": round(wall, 3), "cpu": round(cpu, 3)}
            for k, (wall, cpu) in result["sections"].items()}


def _median_run(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda r: r["total"])[len(runs) // 2]


def summary(args: argparse.Namespace, results: dict[str, list[dict]],
            references: list[dict[str, dict[str, float]]], workers: int, runs: int,
            trials: int, fit_s: float) -> dict:
    """The figures of the run: medians, the sections of the median repeats, the
    references' medians."""
    median = {mode: statistics.median(r["total"] for r in rs) for mode, rs in results.items()}
    figures = {"shape": args.shape, "runs": runs, "trials": trials, "rounds": args.rounds,
               "chart_workers": workers, "render_s_median": median["auto"],
               "render_s_min": min(r["total"] for r in results["auto"]),
               "serial_s_median": median["serial"],
               "serial_over_parallel": median["serial"] / median["auto"],
               "cpu_s_median": statistics.median(r["cpu"] + r["cpu_workers"]
                                                 for r in results["auto"]),
               "html_mb": results["auto"][-1]["size"] / 1e6, "target_s": 2.0,
               "target_mb": 3.0, "load_1min": os.getloadavg()[0],
               "importance_fit_at_suite_end_s": fit_s,
               "sections_serial_median_repeat": _sections(_median_run(results["serial"])),
               "sections_workers_median_repeat": _sections(_median_run(results["auto"])),
               "measured_at": time.strftime("%Y-%m-%d %H:%M")}
    if references:
        reference = _medians(references)
        figures["reference_s_median"] = reference
        figures["render_over_import_sklearn"] = (median["auto"]
                                                 / reference["import sklearn"]["wall"])
    return figures


def reference_line(figures: dict) -> str:
    """The report's time beside the reference workloads', one sentence."""
    reference = figures["reference_s_median"]
    return (f"report {figures['render_s_median']:.2f} s with {figures['chart_workers']} chart "
            f"workers ({figures['serial_s_median']:.2f} s in one process) on a host where, in "
            f"the same run, `import sklearn` takes {reference['import sklearn']['wall']:.2f} s,"
            f" the Python loop {reference['python loop']['wall']:.2f} s and the NumPy "
            f"workload {reference['numpy']['wall']:.2f} s (medians; report / import sklearn "
            f"{figures['render_over_import_sklearn']:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="bench",
                        help="bench: 100 runs of 200 trials; smoke: the smoke suite's shape")
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds stored (the history section needs at least 2)")
    parser.add_argument("--reference", action="store_true",
                        help="also time fixed reference workloads (import sklearn, a Python "
                             "loop, NumPy) in each repeat, to read the report's time against")
    args = parser.parse_args()
    from harness.report.charts.batch import default_workers

    workers = default_workers()
    results: dict[str, list[dict]] = {"serial": [], "auto": []}
    references: list[dict[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        runs, trials, fit_s = fill(db, args.rounds, args.shape)
        print(f"hyperparameter importance fitted and stored as a suite's runs end: "
              f"{fit_s:.2f} s (before any report; not part of one)", flush=True)
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
                print(breakdown(result), flush=True)
            if args.reference:
                references.append(reference_once())
                print("  reference: " + ", ".join(
                    f"{name} {r['wall']:.2f} s (CPU {r['cpu']:.2f})"
                    for name, r in references[-1].items()), flush=True)
    figures = summary(args, results, references, workers, runs, trials, fit_s)
    print(json.dumps(figures, indent=2))
    if references:
        print(reference_line(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
