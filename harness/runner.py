"""The application layer: run a whole suite.

Plan, skip what is stored, prepare foreign environments, execute the rest (a local pool or
a Dask cluster), store each run as it ends, summarize. The only writer of the store.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from harness.claims import ClaimBook
from harness.config import Suite, load_suite, parse_scheduler
from harness.console import Progress
from harness.eta import clock_for, past_runs, start_order
from harness.execution.local import LocalExecutor, default_jobs
from harness.plan import parse_only, plan_suite, round_label, select
from harness.provenance import git_commit, machine_info, package_versions
from harness.records import (
    FAILED_STATUSES,
    FINISHED_STATUSES,
    MIN_IMPORTANCE_TRIALS,
    RunResult,
    RunSpec,
    RunStatus,
    SuiteStatus,
)
from harness.store import DEFAULT_DB, ResultStore

if TYPE_CHECKING:
    import pandas as pd

    from harness.execution.dask_executor import DaskExecutor
    from harness.execution.forkserver import ForkServer

WAIT_POLL_S = 1.0  # how often a harness process looks whether others' runs are stored


class Executor(Protocol):
    """What runs the specs: the local pool or a Dask cluster."""

    jobs: int
    where: str

    def run(self, specs: Sequence[RunSpec], *,
            claim: Callable[[RunSpec], bool] | None = None) -> Iterator[RunResult]: ...

    def cancel(self) -> None: ...

    def call(self, target: str, kwargs: dict[str, Any]) -> Any: ...

    def close(self) -> None: ...


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
        return [r for r in self.runs if r["status"] in FAILED_STATUSES]

    @property
    def measured_nothing(self) -> bool:
        """True when runs were planned and every stored one was skipped (say, CIFAR-10 is
        not cached): a night that measured nothing must not pass."""
        return bool(self.planned) and bool(self.runs) and all(
            r["status"] == RunStatus.SKIPPED for r in self.runs)

    @property
    def skip_messages(self) -> list[str]:
        """The distinct reasons stored runs were skipped, in first-seen order."""
        return list(dict.fromkeys(
            (r["error"] or "").strip() for r in self.runs if r["status"] == RunStatus.SKIPPED))

    @property
    def exit_code(self) -> int:
        """0 when every planned run is stored, none failed or timed out, and something was
        measured (not every run skipped); else 1."""
        complete = len(self.runs) == len(self.planned)
        return 0 if (complete and not self.failures and not self.interrupted
                     and not self.measured_nothing) else 1

    def __repr__(self) -> str:
        counts: dict[str, int] = {}
        for run in self.runs:
            counts[str(run["status"])] = counts.get(str(run["status"]), 0) + 1
        stored = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        return (f"SuiteRun(suite={self.suite.name!r}, db={str(self.db)!r}, "
                f"planned={len(self.planned)}, executed={self.executed}, "
                f"stored=[{stored or 'none'}], exit_code={self.exit_code}"
                + (", interrupted=True" if self.interrupted else "") + ")")

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


def run_suite(suite_or_path: Suite | str | Path | None = None, *, db: str | Path = DEFAULT_DB,
              jobs: int | None = None, only: Iterable[str] = (), dry_run: bool = False,
              rerun_failed: bool = False, progress: bool = False,
              keep_run_dirs: bool = False, fork_workers: bool = True,
              scheduler: str | None = None, round: str | None = None,
              learning_curves: bool = True, forkserver: ForkServer | None = None,
              importance: bool = True) -> SuiteRun:
    """Run a suite (a Suite, a shipped suite's name or a path) and store every run.

    ``round`` labels a repetition of the suite (``today`` for the UTC date, as a nightly job
    does): its runs get keys of their own, so the store keeps every round as history.

    Runs stored under the same key are skipped (``rerun_failed`` re-runs failed, timed-out
    and memory-out ones). Workers are forked from a warm zygote unless ``fork_workers`` is
    False (then each starts a fresh interpreter). ``scheduler`` (``tcp://HOST:PORT`` or
    ``local:N``; default: the suite's ``executor``) runs each run as a task on a Dask
    cluster instead. After each run's budget its worker computes the learning curve of the
    run's best configuration, stored with the run (not charged to it; ``learning_curves=
    False`` skips that, the runs' keys the same). Each problem's hyperparameter importance
    is fitted when the runs end (``importance=False``: left to ``harness report``).
    ``forkserver``: one the caller started before it imported the harness's modules
    (``execution.forkserver.start_early``); the datasets are prepared in a process forked
    from it and its workers run the local runs. Raises UserError subclasses for bad input;
    KeyboardInterrupt cancels the running workers and leaves the store consistent."""
    if scheduler is not None:
        scheduler = parse_scheduler(scheduler)
    suite = suite_or_path if isinstance(suite_or_path, Suite) else load_suite(suite_or_path)
    if scheduler is None and suite.executor.kind == "dask":
        scheduler = suite.executor.scheduler
    db = Path(db)
    filters = parse_only(only)
    label = round_label(round)
    if forkserver is not None and (dry_run or scheduler is not None or not fork_workers):
        forkserver.stop()
        forkserver = None
    with contextlib.ExitStack() as stack:
        if forkserver is not None:
            stack.callback(forkserver.stop)  # a no-op once the local executor has stopped it
        dask: DaskExecutor | None = None
        if scheduler is not None and not dry_run:  # the cluster starts while we plan
            from harness.execution.dask_executor import DaskExecutor

            dask = stack.enter_context(DaskExecutor(
                scheduler=scheduler, n_jobs=suite.n_jobs, base_dir=suite.base_dir, jobs=jobs,
                keep_run_dirs=keep_run_dirs, fork_workers=fork_workers,
                models=[m.name for m in suite.models]))
        with _cache_dir(db, dry_run=dry_run) as cache_dir:
            prepared = _prepare_in(forkserver, suite, cache_dir, filters) if forkserver \
                else None
            specs = select(plan_suite(suite, cache_dir=cache_dir, round=label,
                                      prepared=prepared), filters)
        if not learning_curves:
            specs = [dataclasses.replace(s, learning_curves=False) for s in specs]
        return _run_planned(suite, specs, db=db, dry_run=dry_run, rerun_failed=rerun_failed,
                            progress=progress, dask=dask, round=label, importance=importance,
                            local=lambda: LocalExecutor(
                                jobs=jobs or default_jobs(suite.n_jobs),
                                work_dir=db.parent / "work" / suite.name,
                                keep_run_dirs=keep_run_dirs, fork_workers=fork_workers,
                                forkserver=forkserver))


def _prepare_in(forkserver: ForkServer, suite: Suite, cache_dir: Path,
                filters: dict[str, set[str]]) -> list[Any] | None:
    """The suite's datasets prepared in a process forked from ``forkserver``'s zygote (which
    imports scikit-learn anyway, so this process need not), while the zygote warms up for
    the suite's models and strategies; None if that failed (the planner then prepares
    them itself)."""
    with tempfile.TemporaryDirectory(prefix="harness-plan-") as scratch:
        out = Path(scratch) / "prepared.json"
        request = forkserver.start_call(
            "harness.datasets:prepare_for_plan",
            {"entries": [[e.ref, e.options] for e in suite.datasets],
             "base_dir": str(suite.base_dir.resolve()), "test_size": suite.test_size,
             "cache_dir": str(cache_dir.resolve()), "cv": suite.cv}, out)
        forkserver.warm({"models": [m.name for m in suite.models
                                    if "model" not in filters or m.name in filters["model"]],
                         "strategies": [s.name for s in suite.strategies]})
        return forkserver.call_result(request, out)


@contextlib.contextmanager
def _cache_dir(db: Path, *, dry_run: bool) -> Iterator[Path]:
    """Where planning caches the splits: beside the database, or (a dry run leaves
    nothing behind) a temporary folder."""
    if not dry_run:
        yield db.parent / "cache"
        return
    with tempfile.TemporaryDirectory(prefix="harness-dry-run-") as scratch:
        yield Path(scratch)


def _run_planned(suite: Suite, specs: list[RunSpec], *, db: Path, dry_run: bool,
                 rerun_failed: bool, progress: bool, dask: DaskExecutor | None,
                 local: Callable[[], Executor], round: str = "", importance: bool = True
                 ) -> SuiteRun:
    """Skip what is stored, run the rest on ``dask`` (when given) or a ``local()`` pool."""
    # skipped runs (a missing environment or dataset file) are tried again every time
    statuses = [s for s in FINISHED_STATUSES if s != RunStatus.SKIPPED
                and not (rerun_failed and s in FAILED_STATUSES)]
    if dry_run:  # reads the database if there is one; creates none
        outcome = SuiteRun(suite=suite, db=db, planned=specs, round=round)
        if db.exists():
            with ResultStore(db, create=False) as store:
                keys = [s.key for s in specs]
                outcome.done_before = store.finished_keys(keys, statuses=statuses)
                outcome.runs = _in_plan_order(store.runs(keys=keys), specs) \
                    if outcome.done_before else []
        return outcome
    with ResultStore(db) as store:
        outcome = SuiteRun(suite=suite, db=db, planned=specs, round=round,
                           done_before=store.finished_keys([s.key for s in specs],
                                                           statuses=statuses))
        on_dask = dask is not None and bool(outcome.pending)
        if not on_dask:  # on Dask, each worker's host makes them (see dask_task)
            outcome.skip_reasons = prepare_environments(
                [s for s in outcome.pending if not s.skip_reason])
        executor = dask.ready() if on_dask else local()
        try:
            _execute(store, outcome, executor, progress=progress, done_statuses=statuses)
            if importance:
                _store_importances(store, suite.name, round, executor)
        finally:
            executor.close()
        outcome.runs = (_in_plan_order(store.runs(keys=[s.key for s in specs]), specs)
                        if specs else [])
    return outcome


def _store_importances(store: ResultStore, suite: str, round: str, executor: Executor
                       ) -> None:
    """Each problem's hyperparameter importance, fitted once every run of the round is
    stored (so that a report never fits a model): in a process forked from the executor's
    zygote, which has scikit-learn imported, or else here. Nothing to fit (no problem with
    enough scored trials): the notes saying so are left to the report (``fill_in``)."""
    if store.most_scored_trials(suite=suite, round=round) < MIN_IMPORTANCE_TRIALS:
        return
    fits = executor.call("harness.importances:stale_fits",
                         {"db": str(store.path), "suite": suite, "round": round})
    if fits is None:
        from harness.importances import store_importances  # pandas, scikit-learn: only here

        store_importances(store, suite, round=round)
        return
    store.save_importances(suite=suite, round=round, fits=fits)


def _in_plan_order(rows: list[dict[str, Any]], specs: Sequence[RunSpec]
                   ) -> list[dict[str, Any]]:
    """The stored ``rows`` in the order of ``specs`` (not the order the runs ended in)."""
    place = {s.key: i for i, s in enumerate(specs)}
    return sorted(rows, key=lambda row: place.get(row["key"], len(place)))


def _execute(store: ResultStore, outcome: SuiteRun, executor: Executor, *,
             progress: bool, done_statuses: Sequence[str]) -> None:
    """Run the pending specs that this process can claim, storing each as it ends; then wait
    for the runs other harness processes hold, taking over any whose process is gone."""
    suite = outcome.suite
    versions, commit = package_versions(), git_commit()
    claims = ClaimBook(store)
    claims.mark_abandoned_suites()
    outcome.suite_id = store.start_suite(
        name=suite.name, source=suite.source, config=suite.to_dict(),
        config_hash=suite.config_hash(), n_planned=len(outcome.planned), git_commit=commit,
        package_versions=versions, machine={**machine_info(), "jobs": executor.jobs,
                                                  "executor": executor.where},
        round=outcome.round, host=claims.owner.host, pid=claims.owner.pid)
    since = time.time()
    runnable = [s for s in outcome.pending
                if not (s.skip_reason or outcome.skip_reasons.get(s.strategy))]
    history = past_runs(store.run_durations({s.model for s in runnable}))
    runnable = start_order(runnable, history)  # a first run of each unknown kind early
    clock = clock_for(runnable, history, jobs=executor.jobs)

    def claim(spec: RunSpec) -> bool:
        claimed = claims.claim(spec.key, done_statuses=done_statuses, stored_since=since)
        if claimed:
            clock.started(spec.key, time.time())
        return claimed

    def save(result: RunResult) -> None:
        store.save_run(result, suite_id=outcome.suite_id, git_commit=commit,
                       package_versions=versions)
        claims.release(result.spec.key)
        outcome.executed += 1
        clock.finished(result.spec.key, time.time(), status=result.status,
                       wall_s=result.wall_time_s)
        bar.update(result.spec.label, result.status, seconds_left=clock.seconds_left(time.time()))

    bar = Progress(len(outcome.pending), enabled=progress)
    bar.estimate(clock.seconds_left(time.time()))
    claims.start_heartbeat(outcome.suite_id)
    try:
        to_start = {s.key for s in runnable}  # the rest are recorded as skipped at once
        remaining = runnable + [s for s in outcome.pending if s.key not in to_start]
        while remaining:
            _run_claimable(remaining, outcome, executor, claim=claim, save=save)
            remaining = _wait_for_others(store, claims, remaining,
                                         done_statuses=done_statuses, since=since)
            clock.keep_only(s.key for s in remaining)
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM as the CLI raises it
        outcome.interrupted = True
        executor.cancel()
        store.finish_suite(outcome.suite_id, SuiteStatus.INTERRUPTED)
        raise
    finally:
        claims.stop_heartbeat()
        claims.release_all()
        bar.close()
    store.finish_suite(outcome.suite_id, SuiteStatus.FINISHED)


def _run_claimable(specs: Sequence[RunSpec], outcome: SuiteRun, executor: Executor, *,
                   claim: Callable[[RunSpec], bool], save: Callable[[RunResult], None]
                   ) -> None:
    """Record runs that cannot start here as skipped; run the others this process claims."""
    runnable = []
    for spec in specs:
        reason = spec.skip_reason or outcome.skip_reasons.get(spec.strategy)
        if not reason:
            runnable.append(spec)
        elif claim(spec):  # recorded at once, no worker started
            now = time.time()
            save(RunResult(spec=spec, status=RunStatus.SKIPPED, error=reason, started_at=now,
                           finished_at=now))
    results = executor.run(runnable, claim=claim)
    try:
        for result in results:
            if result.status == RunStatus.INTERRUPTED:
                continue
            save(result)
    finally:
        results.close()


def _wait_for_others(store: ResultStore, claims: ClaimBook, specs: Sequence[RunSpec], *,
                     done_statuses: Sequence[str], since: float) -> list[RunSpec]:
    """The specs not stored yet, once one of them is free to run here; waits while live
    harness processes hold all of them. [] when every spec is stored."""
    while True:
        stored = store.finished_keys([s.key for s in specs], statuses=done_statuses,
                                     since=since)
        left = [s for s in specs if s.key not in stored]
        if not left:
            return []
        held = claims.held_elsewhere(s.key for s in left)
        if len(held) < len(left):
            return left
        time.sleep(WAIT_POLL_S)
