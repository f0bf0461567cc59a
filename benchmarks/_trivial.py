"""``overhead.py --trivial``: the fixed cost of a run, and where it goes.

Trivial runs (the ``default`` strategy, one cross-validation of a model's defaults, on
iris) through the ``harness`` command as a user runs it (``--jobs 1``, learning curves off:
they are model fits of their own, after the run) against the same fits called directly in
this process. The marginal cost of a run is the difference the 10 extra runs of a 20-run
suite make over a 10-run suite, minus what the 10 extra direct fits take. One traced run of
the 10-run suite (``_trace.py``: timers on the harness's functions, in the harness and in
its workers) says where a run's fixed cost goes; the one-run suite is timed from the
command to its exit, with and without its learning curve, beside the same work written as
a plain scikit-learn script (``SCRIPT``) in a fresh interpreter, in the same repeat: what
the harness adds to a one-run suite, on a host of any speed. One traced one-run command
gives its critical path: the steps of each process (the harness, its zygote, the process
forked from the zygote that prepares the datasets, the worker), from launch to exit.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

DATASET, MODEL, STRATEGY, CV = "iris", "logistic_regression", "default", 5
SMALL, LARGE = 10, 20
HERE = Path(__file__).resolve().parent
NO_CURVES = "--no-learning-curves"


def suite(runs: int) -> dict[str, Any]:
    """``runs`` trivial runs: the model's defaults, cross-validated once (one seed each)."""
    return {"name": f"trivial-{runs}", "cv": CV, "seeds": runs, "n_jobs": 1,
            "budget": {"time_s": 60}, "datasets": [DATASET], "models": [MODEL],
            "strategies": [STRATEGY]}


def direct(runs: int) -> tuple[float, float]:
    """(wall s, CPU s) of the same fits called directly: load and split the data once; per
    seed, cross-validate the defaults with the seeded splitter, refit, score on the test
    part; BLAS/OpenMP pinned to one thread, as the harness pins its runs."""
    from sklearn.metrics import get_scorer
    from sklearn.model_selection import StratifiedKFold, cross_validate
    from threadpoolctl import threadpool_limits

    from harness.datasets import load_dataset, split_dataset
    from harness.models import MODELS

    started, cpu = time.perf_counter(), time.process_time()
    with threadpool_limits(1):  # as the harness pins a run with n_jobs 1
        ds = load_dataset(DATASET)
        split = split_dataset(ds, test_size=0.2)
        for seed in range(runs):
            model = MODELS[MODEL].build(ds.task, seed=seed)
            cross_validate(model, split.X_train, split.y_train, scoring="accuracy",
                           cv=StratifiedKFold(n_splits=CV, shuffle=True, random_state=seed))
            model = MODELS[MODEL].build(ds.task, seed=seed).fit(split.X_train, split.y_train)
            get_scorer("accuracy")(model, split.X_test, split.y_test)
    return time.perf_counter() - started, time.process_time() - cpu


#: The one-run suite's work as a user would script it (a fresh interpreter: imports, iris,
#: the same split, 5-fold CV of the defaults, refit, test score; with ``curve`` the run's
#: learning curve too: 5 training sizes on the same folds), BLAS pinned to one thread.
SCRIPT = """
import sys
import numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import get_scorer
from sklearn.model_selection import (StratifiedKFold, cross_validate, learning_curve,
                                     train_test_split)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y,
                                                    random_state=0)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=0))
folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
cross_validate(model, X_train, y_train, scoring="accuracy", cv=folds)
get_scorer("accuracy")(model.fit(X_train, y_train), X_test, y_test)
if sys.argv[1] == "curve":
    learning_curve(model, X_train, y_train, train_sizes=np.linspace(0.1, 1.0, 5), cv=folds,
                   scoring="accuracy")
"""


def script(*, curve: bool) -> tuple[float, float]:
    """(wall s, CPU s) of the one-run suite's work written as a plain scikit-learn script,
    from launch to exit (the baseline the one-run suite is compared with, in the same run)."""
    env = {**os.environ, **{var: "1" for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                  "MKL_NUM_THREADS")}}
    started, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.run([sys.executable, "-c", SCRIPT, "curve" if curve else "plain"],
                          capture_output=True, text=True, env=env)
    took = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"the plain script failed:\n{proc.stderr[-3000:]}")
    return took, _children_cpu() - cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def command(args: list[str], workdir: Path, *, trace: Path | None = None,
            db: Path | None = None) -> tuple[float, float]:
    """(wall s, CPU s) of ``harness run ARGS`` into a fresh store (``db``, or a new one in
    ``workdir``), from launch to exit (through ``_trace.py`` when ``trace`` is given). The
    CPU seconds are those of its whole process tree (workers and zygote are reaped)."""
    db = db or workdir / f"{uuid.uuid4().hex}.db"
    head = [str(HERE / "_trace.py"), str(trace)] if trace else ["-m", "harness"]
    argv = [sys.executable, *head, "run", *args, "--db", str(db), "--quiet", "--no-report",
            "--jobs", "1"]
    started, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.run(argv, capture_output=True, text=True)
    took = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"harness run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return took, _children_cpu() - cpu


def _stored_details(db: Path) -> list[dict[str, Any]]:
    from harness.api import load_results

    runs = load_results(db).runs
    return [d if isinstance(d, dict) else json.loads(d or "{}") for d in runs["details"]]


def breakdown(suite_path: Path, workdir: Path, runs: int) -> dict[str, Any]:
    """One traced command of ``runs`` runs: {"suite": once-per-suite phases, "run": per-run
    phases (means)}, in seconds."""
    trace = workdir / f"trace-{uuid.uuid4().hex}.jsonl"
    db = workdir / f"traced-{uuid.uuid4().hex}.db"
    launched = time.time()
    command(["--suite", str(suite_path), NO_CURVES], workdir, trace=trace, db=db)
    ended = time.time()
    spans = [json.loads(line) for line in trace.read_text().splitlines()]
    harness_pid = spans[0]["pid"]
    mine = defaultdict(list)
    for span in spans:
        if span["pid"] == harness_pid:
            mine[span["phase"]].append(span)
    workers = sorted((s for s in spans if s["phase"] == "worker"), key=lambda s: s["start"])
    spawns = sorted(mine["spawn request"], key=lambda s: s["start"])
    harness_runs = sorted(mine["run (harness side)"], key=lambda s: s["start"])
    if not len(workers) == len(spawns) == len(harness_runs) == runs:
        sys.exit(f"trace: {len(workers)} workers, {len(spawns)} spawns, {runs} runs")
    worker_spans = defaultdict(list)
    for span in spans:
        if span["pid"] != harness_pid and span["phase"] != "worker":
            worker_spans[span["phase"]].append(span)
    details = _stored_details(db)
    return {"suite": _suite_phases(mine, launched, ended),
            "run": _run_phases(mine, workers, spawns, harness_runs, worker_spans, details,
                               runs)}


def critical_path(suite_path: Path, workdir: Path) -> list[tuple[str, str, float, float]]:
    """One traced one-run command: its steps as (process, step, start, end), seconds from
    the launch, in order of start: what waits on what from the command to its exit."""
    trace = workdir / f"trace-{uuid.uuid4().hex}.jsonl"
    launched = time.time()
    command(["--suite", str(suite_path), NO_CURVES], workdir, trace=trace)
    ended = time.time()
    spans = [json.loads(line) for line in trace.read_text().splitlines()]
    main_pid = spans[0]["pid"]
    first = {s["phase"]: s for s in reversed(spans)}
    last = {s["phase"]: s for s in spans}
    zygote_pid = first["zygote warm-up"]["pid"]
    stages = [s for s in spans if s["phase"] == "zygote warm-up" and s["pid"] == zygote_pid]
    names = ["scikit-learn, SciPy, pandas", "the workers' modules", "the suite's models"]
    steps = [("main", "start-up, CLI, fork of the zygote", launched,
              first["fork server start"]["end"]),
             *[("zygote", f"warm-up: {name}", s["start"], s["end"])
               for name, s in zip(names, stages, strict=False)],
             ("main", "suite file, imports, wait for the datasets",
              first["fork server start"]["end"], last["planning"]["end"]),
             ("planner", "datasets prepared (forked from the zygote)",
              first["datasets prepared (forked from zygote)"]["start"],
              first["datasets prepared (forked from zygote)"]["end"]),
             ("main", "store, claims, provenance; wait for the zygote",
              last["planning"]["end"], first["spawn request"]["end"]),
             ("worker", "the run (its search: "
              f"{first['search']['end'] - first['search']['start']:.3f} s)",
              first["worker"]["start"], first["worker"]["end"]),
             ("main", "result read, store commit, summary", first["worker"]["end"],
              first["command"]["end"]),
             ("main", "exit", first["command"]["end"], ended)]
    if any(s["pid"] != main_pid for s in (first["spawn request"], first["command"])):
        sys.exit("trace: the main process's spans are not the first process's")
    return sorted(((who, what, a - launched, b - launched) for who, what, a, b in steps),
                  key=lambda step: step[2])


def _total(spans: list[dict[str, Any]]) -> float:
    return sum(s["end"] - s["start"] for s in spans)


def _suite_phases(mine: dict[str, list[dict[str, Any]]], launched: float, ended: float
                  ) -> dict[str, float]:
    """Once per suite, in the harness process."""
    (startup,) = mine["interpreter start-up"]
    (command_span,) = mine["command"]
    phases = {"interpreter start-up": startup["start"] - launched,
              "CLI imports": _total(mine["cli imports"]),
              "suite file": _total(mine["suite file"]),
              "planning (load, split, cache, meta-features)": _total(mine["planning"])
              + _total(mine["planning: wait for the zygote's"]),
              "  of which imports": sum(s["imports_s"] for s in mine["planning"]),
              "  of which waiting for the zygote's": _total(
                  mine["planning: wait for the zygote's"]),
              "store: open, stored runs, suite row": sum(_total(mine[p]) for p in (
                  "store open", "store: stored runs", "store: suite row", "store close")),
              "provenance (versions, git, machine)": _total(mine["provenance"]),
              "environments": _total(mine["environments"]),
              "fork server start": _total(mine["fork server start"]),
              "summary (read runs, table)": _total(mine["summary: read runs"])
              + _total(mine["summary: table"]),
              "exit (after the command)": ended - command_span["end"]}
    accounted = sum(v for k, v in phases.items() if not k.startswith("  "))
    whole = ended - launched
    runs_span = _total(mine["run (harness side)"]) + _total(mine["store commit"]) \
        + _total(mine["claims"])
    phases["other (between phases)"] = whole - accounted - runs_span
    phases["whole command"] = whole
    return phases


def _run_phases(mine: dict[str, list[dict[str, Any]]], workers: list[dict[str, Any]],
                spawns: list[dict[str, Any]], harness_runs: list[dict[str, Any]],
                worker_spans: dict[str, list[dict[str, Any]]],
                details: list[dict[str, Any]], runs: int) -> dict[str, float]:
    """Per run (means over the traced runs), harness side and worker side."""
    fork = [w["start"] - s["start"] for w, s in zip(workers, spawns, strict=True)]
    before = [s["start"] - r["start"] for s, r in zip(spawns, harness_runs, strict=True)]
    after = [r["end"] - w["end"] for r, w in zip(harness_runs, workers, strict=True)]
    search_spans = worker_spans["search"]
    search = (_total(search_spans) - sum(s["imports_s"] for s in search_spans)) / runs
    refit = sum(d.get("refit_s", 0.0) for d in details) / runs
    imports = sum(w["imports_s"] for w in workers) / runs
    data = _total(worker_spans["data loading"]) / runs
    events = _total(worker_spans["event stream"]) / runs
    levels = (_total(worker_spans["budget levels"]) + _total(worker_spans["learning curve"])
              + _total(worker_spans["worker: own usage"])) / runs
    worker = _total(workers) / runs
    phases = {"harness: spec file, claim, before the fork": statistics.mean(before),
              "fork (request to worker start)": statistics.mean(fork),
              "worker imports": imports,
              "data loading (cached split)": data,
              "search (the model's fits, less imports)": search,
              "refit and test score": refit,
              "event stream (write, flush)": events,
              "after the result (budget levels, usage)": levels}
    phases["worker: other"] = worker - sum(v for k, v in phases.items()
                                           if not k.startswith(("harness:", "fork")))
    phases["worker exit to result read (reap, poll)"] = statistics.mean(after)
    phases["store commit"] = (_total(mine["store commit"]) + _total(mine["claims"])) / runs
    return phases


def _repeat(paths: dict[int, Path], work: Path) -> dict[str, float]:
    """One interleaved round: each side's wall and CPU seconds, and the marginal cost of a
    run (the extra runs' harness time less their direct time, per run) in both."""
    row = {"load_1m": os.getloadavg()[0]}
    sides = {"direct_small": lambda: direct(SMALL), "direct_large": lambda: direct(LARGE),
             "harness_small": lambda: command(["--suite", str(paths[SMALL]), NO_CURVES], work),
             "harness_large": lambda: command(["--suite", str(paths[LARGE]), NO_CURVES], work),
             "one_run": lambda: command(["--suite", str(paths[1]), NO_CURVES], work),
             "one_run_with_curve": lambda: command(["--suite", str(paths[1])], work),
             "script": lambda: script(curve=False),
             "script_with_curve": lambda: script(curve=True)}
    for name, side in sides.items():
        row[name], row[f"{name}_cpu"] = side()
    for unit in ("", "_cpu"):
        row[f"per_run{unit}"] = ((row[f"harness_large{unit}"] - row[f"harness_small{unit}"])
                                 - (row[f"direct_large{unit}"] - row[f"direct_small{unit}"])
                                 ) / (LARGE - SMALL)
    return row


def run_trivial(repeats: int) -> dict[str, Any]:
    """The --trivial benchmark: figures (medians of the repeats) and the breakdown."""
    direct(2)  # warm imports and caches once, so the baseline is not charged for them
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        paths = {}
        for runs in (1, SMALL, LARGE):
            paths[runs] = work / f"trivial-{runs}.yaml"
            paths[runs].write_text(yaml.safe_dump(suite(runs)))
        command(["--suite", str(paths[1]), NO_CURVES], work)  # caches the split once
        rows = []
        for i in range(repeats):  # interleaved, so drift hits both sides alike
            rows.append(row := _repeat(paths, work))
            print(f"repeat {i + 1}: fixed cost per run {row['per_run']:.3f} s wall, "
                  f"{row['per_run_cpu']:.3f} s CPU; one-run suite {row['one_run']:.2f} s "
                  f"({row['one_run_cpu']:.2f} s CPU; {row['one_run_with_curve']:.2f} s with "
                  f"its learning curve); as a plain script {row['script']:.2f} s "
                  f"({row['script_with_curve']:.2f} s with the curve), "
                  f"load {row['load_1m']:.1f}", flush=True)
        parts = breakdown(paths[SMALL], work, SMALL)
        parts["critical path"] = critical_path(paths[1], work)
    med = {key: statistics.median(r[key] for r in rows) for key in rows[0]}
    return {"per_run_s": med["per_run"], "per_run_cpu_s": med["per_run_cpu"],
            "one_run_s": med["one_run"], "one_run_cpu_s": med["one_run_cpu"],
            "one_run_with_curve_s": med["one_run_with_curve"], "repeats": repeats,
            "script_s": med["script"], "script_with_curve_s": med["script_with_curve"],
            "load_1m": med["load_1m"], "medians": med, "target_per_run_s": 0.2,
            "target_one_run_s": 1.5, "breakdown": parts}


def print_breakdown(figures: dict[str, Any]) -> None:
    """The breakdown as two small tables."""
    parts = figures["breakdown"]
    print(f"\nOnce per suite (one traced `harness run` of {SMALL} runs), seconds:")
    for name, value in parts["suite"].items():
        print(f"  {name:<46} {value:7.3f}")
    print(f"\nPer run (mean of the {SMALL} traced runs), seconds:")
    for name, value in parts["run"].items():
        print(f"  {name:<46} {value:7.3f}")
    print("\nOne-run suite, from the command to its exit (one traced command), seconds "
          "from its launch:")
    for who, what, start, end in parts["critical path"]:
        print(f"  {who:<8} {what:<52} {start:6.3f} {end:6.3f}")
    print(f"\nfixed cost per run {figures['per_run_s']:.3f} s wall, "
          f"{figures['per_run_cpu_s']:.3f} s CPU (target <= 0.2); one-run suite "
          f"{figures['one_run_s']:.2f} s wall, {figures['one_run_cpu_s']:.2f} s CPU (target "
          f"<= 1.5; {figures['one_run_with_curve_s']:.2f} s with its learning curve); medians "
          f"of {figures['repeats']} repeats, 1-min load {figures['load_1m']:.1f}")
    print(f"the same work as a plain scikit-learn script: {figures['script_s']:.2f} s "
          f"({figures['script_with_curve_s']:.2f} s with the learning curve); the harness "
          f"adds {figures['one_run_s'] - figures['script_s']:.2f} s "
          f"({figures['one_run_with_curve_s'] - figures['script_with_curve_s']:.2f} s with "
          "the curve)")
