"""Strategies used only by the tests, loaded as ``plugin_strategies:ClassName``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import ClassVar

from harness.spaces import to_distributions
from harness.strategies import Option, SearchOutcome, Trial


def _trial(number: int, elapsed: float) -> Trial:
    return Trial(number=number, params={"n_estimators": 10 + number}, cv_scores=[0.5, 0.6],
                 fit_time_s=0.01, score_time_s=0.0, elapsed_s=elapsed)


class SampledSearch:
    """Random configurations from the space, cross-validated one at a time.

    The README's example of a strategy of your own: it declares its options and passes
    ``harness.testing.check_strategy``.
    """

    name = "sampled"
    options: ClassVar[dict[str, Option]] = {
        "n_points": Option((int,), 20, "configurations to draw", minimum=1),
    }

    def __init__(self, *, n_points: int = 20):
        self.n_points = n_points

    def search(self, problem, *, deadline, seed, recorder):
        from sklearn.model_selection import ParameterSampler, cross_val_score

        limit = min(self.n_points, deadline.max_trials or self.n_points)
        draws = ParameterSampler(to_distributions(problem.space), limit, random_state=seed)
        best, last_s = None, 0.0
        for number, params in enumerate(draws):
            if best is not None and not deadline.allows(last_s):
                break
            started = time.time()
            scores = cross_val_score(problem.make_estimator(params), problem.X, problem.y,
                                     scoring=problem.scoring, cv=problem.splitter(seed),
                                     n_jobs=problem.n_jobs)
            last_s = time.time() - started
            trial = Trial(number=number, params=params, cv_scores=[float(s) for s in scores],
                          fit_time_s=last_s, score_time_s=0.0, elapsed_s=deadline.elapsed())
            recorder.record(trial)
            if best is None or trial.mean_cv_score > best.mean_cv_score:
                best = trial
        return SearchOutcome(best_params=best.params, best_cv_score=best.mean_cv_score)


class OverrunStrategy:
    """Records ``n_trials`` trials, starts a child process, then ignores its deadline."""

    name = "overrun"

    def __init__(self, *, n_trials: int = 3, pid_file: str = ""):
        self.n_trials = n_trials
        self.pid_file = pid_file

    def search(self, problem, *, deadline, seed, recorder):
        for i in range(self.n_trials):
            recorder.record(_trial(i, deadline.elapsed()))
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        if self.pid_file:
            with open(self.pid_file, "w") as fh:
                fh.write(f"{os.getpid()} {child.pid}")
        while True:
            time.sleep(1)


class CrashStrategy:
    """Records one trial, then raises."""

    name = "crash"

    def search(self, problem, *, deadline, seed, recorder):
        recorder.record(_trial(0, deadline.elapsed()))
        raise RuntimeError("boom: this strategy always crashes")


class HardExitStrategy:
    """Dies without a result, as a segfaulting library would."""

    name = "hard-exit"

    def search(self, problem, *, deadline, seed, recorder):
        os._exit(3)


class SleepStrategy:
    """Sleeps ``seconds`` (cooperatively), records one trial, returns the defaults."""

    name = "sleep"

    def __init__(self, *, seconds: float = 1.0, pid_file: str = ""):
        self.seconds = seconds
        self.pid_file = pid_file

    def search(self, problem, *, deadline, seed, recorder):
        if self.pid_file:  # this worker and its parent (the fork server, or the harness)
            with open(self.pid_file, "a") as fh:
                fh.write(f"{os.getpid()} {os.getppid()}\n")
        time.sleep(self.seconds)
        recorder.record(_trial(0, deadline.elapsed()))
        return SearchOutcome(best_params={}, best_cv_score=0.55)


class EnvProbeStrategy:
    """Records the thread settings the worker runs with, as one trial's info."""

    name = "env-probe"

    def search(self, problem, *, deadline, seed, recorder):
        from threadpoolctl import threadpool_info

        trial = _trial(0, deadline.elapsed())
        trial.info = {var: os.environ.get(var) for var in ("OMP_NUM_THREADS",
                                                           "OPENBLAS_NUM_THREADS",
                                                           "MKL_NUM_THREADS")}
        trial.info["blas_threads"] = sorted({p["num_threads"] for p in threadpool_info()})
        trial.info["n_jobs"] = problem.n_jobs
        recorder.record(trial)
        return SearchOutcome(best_params={}, best_cv_score=0.55)


class MemoryHogStrategy:
    """Records one trial, then holds ever more memory."""

    name = "memory-hog"

    def search(self, problem, *, deadline, seed, recorder):
        recorder.record(_trial(0, deadline.elapsed()))
        hoard = []
        while True:
            hoard.append(bytearray(20 * 2**20))
            time.sleep(0.05)


class FixedBestStrategy:
    """Reports a random forest of ``n_estimators`` trees as its best configuration at once,
    with a dummy model already fitted (no refit): after its result, all the worker does is
    the learning curve of that forest. Its CV score is 0.9 - 0.1 * seed."""

    name = "fixed-best"

    def __init__(self, *, n_estimators: int = 100):
        self.n_estimators = n_estimators

    def search(self, problem, *, deadline, seed, recorder):
        from sklearn.dummy import DummyClassifier

        params = {"n_estimators": self.n_estimators}
        score = 0.9 - 0.1 * seed
        recorder.record(Trial(number=0, params=params, cv_scores=[score] * 3,
                              fit_time_s=0.0, score_time_s=0.0, elapsed_s=deadline.elapsed()))
        return SearchOutcome(best_params=params, best_cv_score=score,
                             best_estimator=DummyClassifier().fit(problem.X, problem.y))
