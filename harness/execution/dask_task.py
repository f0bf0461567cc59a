"""The Dask task of one run, executed on a Dask worker's host.

It loads the run's dataset there by name, refuses to run when its fingerprint differs from
the suite's, then runs the spec exactly as the local executor does (``run_in_process``: a
fresh worker process in a session of its own, the same budget, thread pinning and hard
kill; the worker is forked from a warm zygote: the harness's own for the workers of a
``local:N`` cluster, which live in the harness process (:data:`IN_PROCESS`), or one per
Dask worker process when the harness registered :class:`ForkServerPlugin`) and returns the
result as plain data. It never writes the harness's store.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin

from harness.execution.forkserver import WARM_UP_S, ForkServer
from harness.execution.learning_curve import BestSoFar
from harness.execution.process import THREAD_ENV_VARS, pinned_env, run_in_process
from harness.records import RunResult, RunSpec, RunStatus

MAX_ATTEMPTS = 2  # a run whose Dask worker dies is retried once, then recorded as failed
CANCEL_POLL_S = 0.5
FORKSERVER_PLUGIN = "tuning-harness-forkserver"
# per session: a run gets its learning curve only when it may be its problem's best among
# the session's runs so far (see SessionBestSoFar)
_CURVES: dict[str, BestSoFar] = {}


@dataclass
class InProcessSession:
    """A session whose Dask workers run in the harness process (``local:N``): its runs fork
    from the harness's zygote, and the harness sets ``cancel`` itself (no polling)."""

    forkserver: ForkServer | None
    cancel: threading.Event = field(default_factory=threading.Event)


#: the sessions of this process's in-process clusters, by session id
IN_PROCESS: dict[str, InProcessSession] = {}


class SessionBestSoFar(BestSoFar):
    """The problems' best CV scores of one session, kept on the scheduler: across the
    cluster, as with the local executor, a run gets its learning curve only when no run of
    its problem scored better before it (two results at the same moment may both get one).
    Where the scheduler cannot be asked, this Dask worker's own runs decide."""

    def __init__(self, session: str):
        super().__init__()
        self.session = session

    def improves(self, problem: tuple[str, ...], score: float) -> bool:
        from distributed import get_client

        path = ["tuning-harness", self.session, "best", *problem]
        try:
            client = get_client()
            best = client.get_metadata(path, default=None)
            if best is not None and score < float(best):
                return False
            client.set_metadata(path, score)
            return True
        except Exception:  # noqa: BLE001 - not on a cluster, or the scheduler is gone
            return super().improves(problem, score)


class ForkServerPlugin(WorkerPlugin):
    """Gives each Dask worker process a fork server (a fresh zygote, warmed up with the
    estimators of ``models``) for its runs, and imports what loading a dataset needs in
    the background, so that neither waits for imports when the first run comes."""

    def __init__(self, models: Sequence[str] = ()) -> None:
        self.models = list(models)
        self.forkserver: ForkServer | None = None
        self.importing: threading.Thread | None = None

    def setup(self, worker: Any) -> None:
        self.importing = threading.Thread(target=import_data_modules, name="harness-warm-up",
                                          daemon=True)
        self.importing.start()
        env = {k: v for k, v in pinned_env(1).items() if k not in THREAD_ENV_VARS}
        server = ForkServer()
        try:
            server.start_fresh(env, self.models)
        except OSError:  # runs start fresh interpreters instead
            return
        self.forkserver = server

    def teardown(self, worker: Any) -> None:
        if self.forkserver is not None:
            self.forkserver.stop()
            self.forkserver = None


def import_data_modules() -> None:
    """What :func:`prepare_data` imports (a shipped dataset is read by scikit-learn)."""
    with contextlib.suppress(Exception):  # the run will import them and say what failed
        import sklearn.datasets  # noqa: F401

        import harness.datasets  # noqa: F401


def host_cache_dir() -> Path:
    """Where this host keeps dataset splits: ``$HARNESS_CACHE_DIR`` or ~/.cache/tuning-harness."""
    from harness.datasets import user_cache_dir

    configured = os.environ.get("HARNESS_CACHE_DIR")
    return Path(configured).expanduser() if configured else user_cache_dir()


def run_task(spec_data: dict[str, Any], *, base_dir: str, session: str,
             keep_run_dir: bool = False) -> dict[str, Any]:
    """Run one spec on this Dask worker; returns the RunResult's fields as plain data."""
    spec = RunSpec.from_dict(spec_data)
    host = socket.gethostname()
    attempt = _count_attempt(session, spec.key)
    started = time.time()
    if attempt > MAX_ATTEMPTS:
        result = RunResult(spec=spec, status=RunStatus.FAILED, host=host,
                           attempts=MAX_ATTEMPTS,
                           started_at=started, finished_at=started,
                           error=f"the Dask worker running this run died in each of "
                                 f"{MAX_ATTEMPTS} attempts; not retried again")
        return result.to_dict()
    plugin = _plugin()
    if plugin is not None and plugin.importing is not None:
        plugin.importing.join()  # never two threads importing the same modules at once
    try:
        data_dir = prepare_data(spec, Path(base_dir), host)
    except _DataProblem as problem:
        result = RunResult(spec=spec, status=problem.status, error=str(problem), host=host,
                           started_at=started, finished_at=time.time(), attempts=attempt)
        return result.to_dict()
    missing = _prepare_environment(spec.strategy, host)
    if missing:  # as on the harness host: the run is skipped, saying what to install
        return RunResult(spec=spec, status=RunStatus.SKIPPED, error=missing, host=host,
                         started_at=started, finished_at=time.time(),
                         attempts=attempt).to_dict()
    local_spec = dataclasses.replace(spec, data_dir=str(data_dir))
    run_dir = (Path(tempfile.gettempdir()) / "tuning-harness-runs"
               / f"{spec.key}-{session}-{attempt}")
    forkserver = _forkserver(session, plugin)
    if forkserver is not None:  # every run's budget starts with a warm zygote, for fairness
        forkserver.wait_ready(WARM_UP_S)
    curves = _CURVES.setdefault(session, SessionBestSoFar(session))
    with _cancel_flag(session) as cancel:
        result = run_in_process(local_spec, run_dir, cancel=cancel, forkserver=forkserver,
                                wants_curve=curves.wants_curve)
    if not keep_run_dir:
        shutil.rmtree(run_dir, ignore_errors=True)
    result.spec = spec
    result.attempts = attempt
    result.host = result.host or host
    result.details = {**result.details, "dask_worker": _worker_address()}
    return result.to_dict()


def _prepare_environment(strategy: str, host: str) -> str:
    """Create the strategy's foreign environment on this host (auto-sklearn's Python 3.9
    venv) before its budget starts; the reason it cannot be made, or ''."""
    from harness.execution.environments import strategy_environment_problem

    problem = strategy_environment_problem(strategy)
    return f"on host {host}: {problem}" if problem else ""


class _DataProblem(Exception):
    def __init__(self, status: RunStatus, message: str):
        self.status = status
        super().__init__(message)


def prepare_data(spec: RunSpec, base_dir: Path, host: str) -> Path:
    """Load the dataset by name on this host, check its fingerprint, cache its split."""
    from harness.datasets import DatasetUnavailable, FingerprintMismatch
    from harness.datasets import prepare_data as prepare
    from harness.errors import UserError

    try:
        return prepare(spec.dataset, spec.dataset_options, base_dir=base_dir,
                       test_size=spec.test_size, cache_dir=host_cache_dir() / "data",
                       expected_fingerprint=spec.fingerprint).data_dir
    except FingerprintMismatch as exc:
        raise _DataProblem(RunStatus.FAILED, (
            f"dataset {spec.dataset!r} on host {host} has fingerprint {exc.found}, the suite "
            f"expects {exc.expected}; refusing to mix results (give every Dask worker's host "
            "the same data)")) from None
    except DatasetUnavailable as exc:
        raise _DataProblem(RunStatus.SKIPPED, f"on host {host}: {exc}") from None
    except UserError as exc:
        raise _DataProblem(RunStatus.FAILED, f"on host {host}: {exc}") from None


def _count_attempt(session: str, run_key: str) -> int:
    """This run's attempt number in this session, counted on the scheduler.

    Dask reschedules a task whose worker died; the count makes that retry visible.
    """
    from distributed import get_client

    client = get_client()
    path = ["tuning-harness", session, run_key]
    attempt = int(client.get_metadata(path, default=0)) + 1
    client.set_metadata(path, attempt)
    return attempt


def _forkserver(session: str, plugin: ForkServerPlugin | None) -> ForkServer | None:
    """The zygote this run forks from: the harness's (in-process workers), else this Dask
    worker's; None: the run starts a fresh interpreter."""
    local = IN_PROCESS.get(session)
    if local is not None:
        return local.forkserver
    return plugin.forkserver if plugin is not None else None


def _plugin() -> ForkServerPlugin | None:
    """This Dask worker's :class:`ForkServerPlugin`, if the harness registered it."""
    from distributed import get_worker

    try:
        plugin = get_worker().plugins.get(FORKSERVER_PLUGIN)
    except ValueError:  # not on a Dask worker
        return None
    return plugin if isinstance(plugin, ForkServerPlugin) else None


def _worker_address() -> str:
    from distributed import get_worker

    try:
        return str(get_worker().address)
    except ValueError:
        return ""


@contextlib.contextmanager
def _cancel_flag(session: str) -> Iterator[threading.Event]:
    """A threading.Event set once the harness sets the session's Dask cancel event (for
    in-process workers: the harness's own flag)."""
    from distributed import Event

    local = IN_PROCESS.get(session)
    if local is not None:
        yield local.cancel
        return

    flag, done = threading.Event(), threading.Event()
    remote = Event(cancel_event_name(session))

    def poll() -> None:
        while not done.wait(CANCEL_POLL_S):
            with contextlib.suppress(Exception):  # scheduler briefly unreachable: keep going
                if remote.is_set():
                    flag.set()
                    return

    watcher = threading.Thread(target=poll, name="harness-cancel", daemon=True)
    watcher.start()
    try:
        yield flag
    finally:
        done.set()
        watcher.join()


def cancel_event_name(session: str) -> str:
    """The name of the Dask Event that cancels every run of a session."""
    return f"tuning-harness-cancel-{session}"
