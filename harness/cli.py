"""The ``harness`` command: run, report, compare, list, show, export, env. A thin layer over
the Python API."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.store import DEFAULT_DB

EXIT_OK, EXIT_RUN_FAILURES, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Benchmark hyperparameter-tuning strategies under equal budgets.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a suite (default: smoke) and store every run")
    run.add_argument("--suite", default=None, help="shipped suite name or path to a YAML file "
                                                   "(default: smoke)")
    _db_arg(run)
    run.add_argument("--jobs", type=_positive_int, default=None,
                     help="runs at a time (default: cores // the suite's n_jobs; with "
                          "--scheduler: as many as the cluster's workers hold)")
    run.add_argument("--only", action="append", default=[], metavar="FIELD=VALUE,...",
                     help="run a subset: dataset=, model=, strategy=, seed= (repeatable)")
    run.add_argument("--round", default=None, metavar="LABEL",
                     help="store this run of the suite as a new round beside earlier ones "
                          "(history for harness compare): 'today' (the UTC date, as a nightly "
                          "job uses), 'now', or any label; the same label resumes that round")
    run.add_argument("--dry-run", action="store_true", help="list the runs without running")
    run.add_argument("--rerun-failed", action="store_true",
                     help="also re-run stored runs that failed, timed out or ran out of memory")
    run.add_argument("--keep-run-dirs", action="store_true",
                     help="keep each run's working folder (spec, events, worker log)")
    run.add_argument("--no-fork", action="store_true",
                     help="start each worker as a fresh interpreter instead of forking a warm "
                          "copy of the harness (slower start, for debugging)")
    run.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="run each run as a task on a Dask cluster: tcp://HOST:PORT of a "
                          "running `dask scheduler`, or local:N for N worker processes on "
                          "this machine (overrides the suite's executor)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--no-report", action="store_true", help="do not write the HTML report")
    _report_args(run, learning_help="do not compute the learning curve of each run's best "
                                    "configuration (the worker fits it after the run's budget, "
                                    "not charged to the run); run keys stay the same")

    report = sub.add_parser("report", help="write the HTML report of a suite from the store")
    report.add_argument("--suite", default=None,
                        help="suite name as stored (default: the suite run last)")
    _db_arg(report)
    _report_args(report, learning_help="leave the learning-curve section out (the curves are "
                                       "stored with the runs; writing a report fits no model)")

    compare = sub.add_parser(
        "compare", help="compare two rounds of a suite; exit 1 on a regression with "
                        "--fail-on-regression",
        description="Compare two stored rounds of a suite, problem by problem and strategy by "
                    "strategy: test and CV score, wall time, peak memory. Seeds are paired; a "
                    "change is a regression only when a one-sided paired t-test finds it "
                    "beyond the seeds' noise (p-values adjusted for the number of "
                    "comparisons) and it is at least the minimum effect. A seed that ran ok "
                    "before and failed, timed out or ran out of memory now is a regression.")
    compare.add_argument("--suite", default=None,
                         help="suite name as stored (default: the suite run last)")
    compare.add_argument("--baseline", default=None, metavar="RUN-OR-DATE",
                         help="a suite-run id, a round label or a date YYYY-MM-DD "
                              "(default: the round before the candidate)")
    compare.add_argument("--candidate", default=None, metavar="RUN-OR-DATE",
                         help="as --baseline (default: the latest round)")
    _db_arg(compare)
    compare.add_argument("--fail-on-regression", action="store_true",
                         help="exit 1 when anything regressed (for CI gating)")
    compare.add_argument("--format", choices=["table", "json"], default="table")
    compare.add_argument("--all", action="store_true",
                         help="show every comparison, not only the changed ones")
    compare.add_argument("--alpha", type=float, default=0.05,
                         help="significance level of the one-sided tests (default 0.05)")
    compare.add_argument("--min-effect", type=float, default=0.01,
                         help="smallest drop in mean score that counts (default 0.01)")
    compare.add_argument("--min-relative", type=float, default=0.25,
                         help="smallest relative growth in wall time or peak memory that "
                              "counts (default 0.25, i.e. 25%%)")
    compare.add_argument("--correction", choices=["bh", "holm", "none"], default="bh",
                         help="multiplicity correction over all comparisons (default bh: "
                              "Benjamini-Hochberg)")

    lst = sub.add_parser("list", help="list strategies, datasets, models or suites")
    lst.add_argument("what", choices=["strategies", "datasets", "models", "suites"])

    show = sub.add_parser("show", help="one stored run and its trials")
    show.add_argument("run", help="run id or (a prefix of) its key")
    _db_arg(show)
    show.add_argument("--trials", type=int, default=20,
                      help="show the N best trials (0: none, -1: all; default 20)")

    env = sub.add_parser("env", help="foreign environments (auto-sklearn on Python 3.9)")
    env_sub = env.add_subparsers(dest="env_command", required=True, metavar="ACTION")
    setup = env_sub.add_parser("setup", help="create an environment ahead of time")
    setup.add_argument("name", help="environment name (see harness env list)")
    setup.add_argument("--python", default=None,
                       help="the interpreter to build it on (default: $HARNESS_PYTHON39, "
                            "then pyenv, then PATH)")
    env_sub.add_parser("list", help="each environment, its Python and its packages")

    export = sub.add_parser("export", help="write runs and trials as CSV or Parquet")
    export.add_argument("--format", choices=["csv", "parquet"], default="csv")
    export.add_argument("--out", type=Path, default=Path("results") / "export",
                        help="output folder (default: results/export)")
    export.add_argument("--suite", default=None, help="only this suite's runs")
    _db_arg(export)
    return parser


def _report_args(parser: argparse.ArgumentParser, *, learning_help: str) -> None:
    parser.add_argument("--out", type=Path, default=Path("reports"),
                        help="reports folder; the report goes to OUT/<suite>/index.html "
                             "(default: reports)")
    parser.add_argument("--no-learning-curves", action="store_true", help=learning_help)


def _db_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=DEFAULT_DB,
                        help=f"results database (default: {DEFAULT_DB})")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``harness`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    handlers = {"run": _cmd_run, "report": _cmd_report, "compare": _cmd_compare,
                "list": _cmd_list, "show": _cmd_show, "export": _cmd_export, "env": _cmd_env}
    try:
        return handlers[args.command](args)
    except UserError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _cmd_run(args: argparse.Namespace) -> int:
    from harness.api import run_suite
    from harness.console import format_table, summary_rows

    try:
        outcome = run_suite(args.suite, db=args.db, jobs=args.jobs, only=args.only,
                            dry_run=args.dry_run, rerun_failed=args.rerun_failed,
                            progress=not args.quiet and not args.dry_run,
                            keep_run_dirs=args.keep_run_dirs, fork_workers=not args.no_fork,
                            scheduler=args.scheduler, round=args.round,
                            learning_curves=not args.no_learning_curves)
    except KeyboardInterrupt:
        print("\nharness: interrupted; finished runs are stored. Run the same command again "
              "to resume.", file=sys.stderr)
        return EXIT_INTERRUPTED
    suite = outcome.suite
    if args.dry_run:
        rows = [[s.key, s.dataset, s.model, s.strategy, s.seed,
                 "stored" if s.key in outcome.done_before else "to run"]
                for s in outcome.planned]
        print(format_table(["key", "dataset", "model", "strategy", "seed", "state"], rows))
        print(f"\n{len(outcome.pending)} of {len(outcome.planned)} run(s) to run, "
              f"budget {suite.budget.time_s:g} s each")
        return EXIT_OK
    if outcome.runs:
        print(format_table(*summary_rows(outcome.runs)))
    in_round = f" (round {outcome.round})" if outcome.round else ""
    print(f"\nsuite {suite.name}{in_round}: {outcome.executed} run(s) executed, "
          f"{len(outcome.done_before)} already stored; results in {args.db}")
    for run in outcome.failures:
        first_line = (run["error"] or "").strip().splitlines()[:1]
        print(f"  {run['status']}: {run['dataset']}/{run['model']}/{run['strategy']}/"
              f"seed={run['seed']} (run {run['id']}): {first_line[0] if first_line else ''}",
              file=sys.stderr)
    if not args.no_report and outcome.runs:  # it says why runs have no learning curve
        path = _write_report(args, suite.name, learning_curves=True)
        print(f"report: {path}")
    return EXIT_OK if outcome.exit_code == 0 else EXIT_RUN_FAILURES


def _write_report(args: argparse.Namespace, suite: str | None, *, learning_curves: bool
                  ) -> Path:
    from harness.report import write_report

    return write_report(db=args.db, suite=suite, out_dir=args.out,
                        learning_curves=learning_curves)


def _cmd_report(args: argparse.Namespace) -> int:
    path = _write_report(args, args.suite, learning_curves=not args.no_learning_curves)
    print(f"report: {path}")
    return EXIT_OK


def _cmd_compare(args: argparse.Namespace) -> int:
    from harness.analysis.history import compare_rounds, resolve_round, stored_rounds
    from harness.analysis.regressions import CompareSettings
    from harness.compare_view import comparison_json, comparison_text, nothing_to_compare_json
    from harness.store import ResultStore

    settings = CompareSettings(alpha=args.alpha, min_effect=args.min_effect,
                               min_relative=args.min_relative, correction=args.correction)
    with ResultStore(args.db, create=False) as store:
        suite = store.suite_name(args.suite)
        rounds = stored_rounds(store, suite)
        candidate = (resolve_round(rounds, args.candidate, suite=suite) if args.candidate
                     else rounds[-1])
        if args.baseline:
            baseline = resolve_round(rounds, args.baseline, suite=suite)
        else:
            earlier = rounds[:rounds.index(candidate)]
            if not earlier:
                reason = (f"no baseline round: round {candidate.name} is the first of suite "
                          f"{suite} in {args.db}, so there is nothing to compare it with yet "
                          "(store another round with harness run --round LABEL)")
                if args.format == "json":
                    print(json.dumps(nothing_to_compare_json(suite, candidate, reason),
                                     indent=2))
                else:
                    print(reason)
                return EXIT_OK
            baseline = earlier[-1]
        if baseline == candidate:
            raise UserError(f"--baseline and --candidate both name round {candidate.name}; "
                            "compare two different rounds")
        comparison = compare_rounds(store, suite=suite, baseline=baseline,
                                    candidate=candidate, settings=settings)
    if args.format == "json":
        print(json.dumps(comparison_json(comparison), indent=2))
    else:
        print(comparison_text(comparison, show_all=args.all))
    regressions = comparison.result.regressions
    if regressions and args.fail_on_regression:
        print(f"harness: {len(regressions)} regression(s) of round {candidate.name} against "
              f"round {baseline.name}", file=sys.stderr)
        return EXIT_RUN_FAILURES
    return EXIT_OK


def _cmd_env(args: argparse.Namespace) -> int:
    from harness.execution.environments import (
        ENVIRONMENTS,
        EnvironmentUnavailable,
        describe_environments,
        ensure_environment,
    )

    if args.env_command == "setup":
        if args.name not in ENVIRONMENTS:
            raise UserError(f"unknown environment {args.name!r}; valid: "
                            f"{', '.join(ENVIRONMENTS)}")
        try:
            python = ensure_environment(args.name, python=args.python,
                                        log=lambda msg: print(msg, flush=True))
        except EnvironmentUnavailable as exc:
            print(f"harness: error: {exc}", file=sys.stderr)
            return EXIT_RUN_FAILURES
        print(f"{args.name}: ready ({python})")
        return EXIT_OK
    for env in describe_environments():
        state = "ready" if env["ready"] else "not created (harness env setup " + env["name"] + ")"
        print(f"{env['name']}: {state}\n  path: {env['path']}\n  python: {env['python']}"
              f"{' from ' + env['base_python'] if env['base_python'] else ''}\n"
              f"  requires: {', '.join(env['requirements'])}")
        if env["packages"]:
            shown = ", ".join(f"{k}=={v}" for k, v in sorted(env["packages"].items()))
            print(f"  packages: {shown}")
    return EXIT_OK


def _cmd_list(args: argparse.Namespace) -> int:
    from harness.console import format_table

    if args.what == "strategies":
        from harness.strategies import STRATEGIES

        rows = [[s.name, s.requires, s.description,
                 ", ".join(f"{k}={v.default}" for k, v in s.options.items()) or "-"]
                for s in STRATEGIES.values()]
        print(format_table(["strategy", "needs", "what it does", "options (default)"], rows))
    elif args.what == "datasets":
        from harness.datasets import BUILTINS, KERAS_FILES, keras_cache_dir

        rows = [[d.name, d.task, d.description] for d in BUILTINS.values()]
        rows += [["digits-images", "classification", "8x8 digits as images, for cnn (offline)"],
                 ["synthetic-sequences", "classification",
                  "synthetic token sequences, for lstm (offline)"]]
        for name, text in (("cifar10", "CIFAR-10 via keras.datasets, for cnn"),
                           ("imdb", "IMDb via keras.datasets (num_words, maxlen), for lstm")):
            here = (keras_cache_dir() / KERAS_FILES[name].cache_name).exists()
            rows.append([name, "classification",
                         f"{text}; {'in' if here else 'NOT in'} {keras_cache_dir()}"])
        rows += [["csv:PATH", "either", "your CSV file; options: target (required), task"],
                 ["parquet:PATH", "either", "your Parquet file; options: target, task"],
                 ["openml:ID", "either", "OpenML via fetch_openml (needs network or its cache)"]]
        print(format_table(["dataset", "task", "description"], rows))
    elif args.what == "models":
        from harness.models import MODELS

        rows = [[m.name, ", ".join(m.tasks), ", ".join(m.default_space), m.description]
                for m in MODELS.values()]
        print(format_table(["model", "tasks", "default space", "description"], rows))
    else:
        from harness.config import compatible, known_task, load_suite, shipped_suites, tunes

        rows = []
        for name, path in shipped_suites().items():
            suite = load_suite(path)
            n_runs = len(suite.seeds) * sum(
                compatible(d, m, task=known_task(d)) and tunes(s, m)
                for d in suite.datasets for m in suite.models for s in suite.strategies)
            rows.append([name, n_runs, f"{suite.budget.time_s:g}", suite.description])
        print(format_table(["suite", "runs", "budget_s", "description"], rows))
    return EXIT_OK


def _cmd_show(args: argparse.Namespace) -> int:
    from harness.console import format_table
    from harness.store import ResultStore

    with ResultStore(args.db, create=False) as store:
        run = store.run(args.run)
        trials = store.trials(run["id"])
    fields = ["id", "key", "suite", "dataset", "model", "strategy", "seed", "metric", "status",
              "best_cv_score", "test_score", "wall_time_s", "cpu_time_s", "peak_mem_mb",
              "n_trials", "attempts", "fingerprint", "host", "git_commit"]
    for name in fields:
        print(f"{name:>14}: {_plain(run[name])}")
    print(f"{'best_params':>14}: {json.dumps(run['best_params'])}")
    if run["details"]:
        print(f"{'details':>14}: {json.dumps(run['details'])}")
    if run["error"]:
        print(f"{'error':>14}:\n{run['error']}")
    if args.trials and trials:
        ranked = sorted(trials, key=lambda t: (t["mean_cv_score"] is None,
                                               -(t["mean_cv_score"] or 0.0)))
        shown = ranked if args.trials < 0 else ranked[: args.trials]
        print(f"\n{len(trials)} trial(s); best {len(shown)} by mean CV score:")
        print(format_table(
            ["#", "mean_cv", "std_cv", "fit_s", "at_s", "fidelity", "params"],
            [[t["number"], t["mean_cv_score"], t["std_cv_score"], t["fit_time_s"],
              t["elapsed_s"], json.dumps(t["fidelity"]) if t["fidelity"] else None,
              json.dumps(t["params"])] for t in shown]))
    return EXIT_OK


def _plain(value: Any) -> Any:
    return f"{value:.4f}" if isinstance(value, float) else value


def _cmd_export(args: argparse.Namespace) -> int:
    from harness.api import load_results

    runs, trials = load_results(args.db, suite=args.suite)
    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (("runs", runs), ("trials", trials)):
        frame = frame.copy()
        for column in frame.columns:  # nested values as JSON text, so both formats hold them
            if frame[column].map(lambda v: isinstance(v, dict | list)).any():
                frame[column] = frame[column].map(
                    lambda v: json.dumps(v) if isinstance(v, dict | list) else v)
        path = args.out / f"{name}.{args.format}"
        if args.format == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)
        written.append(f"{path} ({len(frame)} rows)")
    print("wrote " + ", ".join(written))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
