"""Run a whole suite: plan, skip what is stored, execute the rest, store each run as it ends."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from harness.config import Suite, load_suite, parse_scheduler
from harness.console import Progress
from harness.execution.local import LocalExecutor
from harness.execution.process import RunResult
from harness.plan import RunSpec, parse_only, plan_suite, round_label, select
from harness.provenance import git_commit, machine_info, package_versions
from harness.store import DEFAULT_DB, FINISHED, ResultStore

if TYPE_CHECKING:
    import pandas as pd

    from harness.execution.dask_executor import DaskExecutor

FAILURE_STATUSES = ("failed", "timeout", "memout")


class Executor(Protocol):
    """What runs the specs: the local pool or a Dask cluster."""

    jobs: int
    where: str

    def run(self, specs: Sequence[RunSpec]) -> Iterator[RunResult]: ...

    def cancel(self) -> None: ...


@dataclass
class SuiteRun:
    """What a suite run did: the planned runs, which were executed, and their stored rows."""

    suite: Suite
    db: Path
    planned: list[RunSpec]
    done_before: set[str] = field(default_factory=set)
    executed: int = 0
    suite_id: int | None = None
    runs: list[dict[str, Any]] = field(default_factory=list)
    interrupted: bool = False
    skip_reasons: dict[str, str] = field(default_factory=dict)  # strategy -> why
    round: str = ""

    @property
    def pending(self) -> list[RunSpec]:
        return [s for s in self.planned if s.key not in self.done_before]

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [r for r in self.runs if r["status"] in FAILURE_STATUSES]

    @property
    def exit_code(self) -> int:
        """0 when every planned run is stored and none failed or timed out, else 1."""
        complete = len(self.runs) == len(self.planned)
        return 0 if complete and not self.failures and not self.interrupted else 1

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.runs)


def prepare_environments(specs: Sequence[RunSpec]) -> dict[str, str]:
    """Create the foreign environments the runs need (once); {strategy: why it can't run}."""
    from harness.execution.environments import strategy_environment_problem

    reasons: dict[str, str] = {}
    for strategy in dict.fromkeys(s.strategy for s in specs):
        problem = strategy_environment_problem(
            strategy, log=lambda msg: print(f"harness: {msg}", file=sys.stderr, flush=True))
        if problem:
            reasons[strategy] = problem
    return reasons


def default_jobs(n_jobs: int) -> int:
    """Runs at a time so that runs x n_jobs fills this machine's cores."""
    return max(1, (os.cpu_count() or 1) // max(1, n_jobs))


def run_suite(suite_or_path: Suite | str | Path | None = None, *, db: str | Path = DEFAULT_DB,
              jobs: int | None = None, only: Iterable[str] = (), dry_run: bool = False,
              rerun_failed: bool = False, progress: bool = False,
              keep_run_dirs: bool = False, fork_workers: bool = True,
              scheduler: str | None = None, round: str | None = None,
              learning_curves: bool = True) -> SuiteRun:
    """Run a suite (a Suite, a shipped suite's name or a path) and store every run.

    ``round`` labels a repetition of the suite (``today`` for the UTC date, as a nightly job
    does): its runs get keys of their own, so the store keeps every round as history.

    Runs already stored under the same key are skipped (``rerun_failed`` re-runs failed,
    timed-out and memory-out ones). Workers are forked from a warm copy of this process
    unless ``fork_workers`` is False (then each starts a fresh interpreter). ``scheduler``
    (``tcp://HOST:PORT`` or ``local:N``; default: the suite's ``executor``) runs each run
    as a task on a Dask cluster instead. After each run's budget its worker computes the
    learning curve of the run's best configuration and stores it with the run (not charged
    to the run); ``learning_curves=False`` skips that (the runs' keys stay the same).
    Raises UserError subclasses for bad input; KeyboardInterrupt cancels the running
    workers and leaves the store consistent.
    """
    if scheduler is not None:
        scheduler = parse_scheduler(scheduler)
    suite = suite_or_path if isinstance(suite_or_path, Suite) else load_suite(suite_or_path)
    if scheduler is None and suite.executor.kind == "dask":
        scheduler = suite.executor.scheduler
    db = Path(db)
    filters = parse_only(only)
    label = round_label(round)
    with contextlib.ExitStack() as stack:
        dask: DaskExecutor | None = None
        if scheduler is not None and not dry_run:  # the cluster starts while we plan
            from harness.execution.dask_executor import DaskExecutor

            dask = stack.enter_context(DaskExecutor(
                scheduler=scheduler, n_jobs=suite.n_jobs, base_dir=suite.base_dir, jobs=jobs,
                keep_run_dirs=keep_run_dirs, fork_workers=fork_workers))
        specs = select(plan_suite(suite, cache_dir=db.parent / "cache", round=label),
                       filters)
        if not learning_curves:
            specs = [dataclasses.replace(s, learning_curves=False) for s in specs]
        return _run_planned(suite, specs, db=db, dry_run=dry_run, rerun_failed=rerun_failed,
                            progress=progress, dask=dask, round=label,
                            local=lambda: LocalExecutor(
                                jobs=jobs or default_jobs(suite.n_jobs),
                                work_dir=db.parent / "work" / suite.name,
                                keep_run_dirs=keep_run_dirs, fork_workers=fork_workers))


def _run_planned(suite: Suite, specs: list[RunSpec], *, db: Path, dry_run: bool,
                 rerun_failed: bool, progress: bool, dask: DaskExecutor | None,
                 local: Callable[[], Executor], round: str = "") -> SuiteRun:
    """Skip what is stored, run the rest on ``dask`` (when given) or a ``local()`` pool."""
    with ResultStore(db) as store:
        # skipped runs (a missing environment or dataset file) are tried again every time
        statuses = [s for s in FINISHED if s != "skipped"
                    and not (rerun_failed and s in FAILURE_STATUSES)]
        outcome = SuiteRun(suite=suite, db=db, planned=specs, round=round,
                           done_before=store.finished_keys([s.key for s in specs],
                                                           statuses=statuses))
        if not dry_run:
            on_dask = dask is not None and bool(outcome.pending)
            if not on_dask:  # on Dask, each worker's host makes them (see dask_task)
                outcome.skip_reasons = prepare_environments(
                    [s for s in outcome.pending if not s.skip_reason])
            executor = dask.ready() if on_dask else local()
            _execute(store, outcome, executor, progress=progress)
        outcome.runs = store.runs(keys=[s.key for s in specs]) if specs else []
    return outcome


def _execute(store: ResultStore, outcome: SuiteRun, executor: Executor, *,
             progress: bool) -> None:
    suite = outcome.suite
    versions, commit = package_versions(), git_commit()
    outcome.suite_id = store.start_suite(
        name=suite.name, source=suite.source, config=suite.to_dict(),
        config_hash=suite.config_hash(), n_planned=len(outcome.planned), git_commit=commit,
        package_versions=versions, machine={**machine_info(), "jobs": executor.jobs,
                                                  "executor": executor.where},
        round=outcome.round)
    pending: list[RunSpec] = []
    for spec in outcome.pending:
        reason = spec.skip_reason or outcome.skip_reasons.get(spec.strategy)
        if reason:  # recorded at once, no worker started
            store.save_run(RunResult(spec=spec, status="skipped", error=reason,
                                     started_at=time.time(), finished_at=time.time()),
                           suite_id=outcome.suite_id, git_commit=commit,
                           package_versions=versions)
            outcome.executed += 1
        else:
            pending.append(spec)
    bar = Progress(len(pending), enabled=progress)
    results = executor.run(pending)
    try:
        for result in results:
            if result.status == "cancelled":
                continue
            store.save_run(result, suite_id=outcome.suite_id, git_commit=commit,
                           package_versions=versions)
            outcome.executed += 1
            bar.update(result.spec.label, result.status)
    except KeyboardInterrupt:
        outcome.interrupted = True
        executor.cancel()
        results.close()
        store.finish_suite(outcome.suite_id, "interrupted")
        raise
    finally:
        bar.close()
    store.finish_suite(outcome.suite_id, "finished")
