"""auto-sklearn in its own Python 3.9 environment, driven through a standalone worker script.

The harness gives the environment's interpreter (``Problem.python``); the script lives
beside this module (``foreign/autosklearn_worker.py``). The data crosses as the cached
split's .npy files, events as JSON lines: each pipeline SMAC
evaluates is forwarded as a trial the moment the script writes it. The script scores the
final ensemble on the test part with the suite's scikit-learn scorer. It runs in this
worker's process group, so the harness's hard kill at budget + grace takes it down too.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any, ClassVar

from harness.plain import JsonLinesFollower
from harness.spaces import CategoricalDim, Space
from harness.strategies._options import Option
from harness.strategies._protocol import (
    Deadline,
    Problem,
    SearchOutcome,
    Trial,
    TrialRecorder,
)

WORKER_SCRIPT = Path(__file__).resolve().parent / "foreign" / "autosklearn_worker.py"
MIN_TIME_LEFT_S = 30  # auto-sklearn refuses less
#: auto-sklearn 0.15's classifiers and regressors (its ``__choice__`` of the best pipeline).
COMPONENTS = {
    "classification": ("adaboost", "bernoulli_nb", "decision_tree", "extra_trees",
                       "gaussian_nb", "gradient_boosting", "k_nearest_neighbors", "lda",
                       "liblinear_svc", "libsvm_svc", "mlp", "multinomial_nb",
                       "passive_aggressive", "qda", "random_forest", "sgd"),
    "regression": ("adaboost", "ard_regression", "decision_tree", "extra_trees",
                   "gaussian_process", "gradient_boosting", "k_nearest_neighbors",
                   "liblinear_svr", "libsvm_svr", "mlp", "random_forest", "sgd"),
}


class AutoSklearnStrategy:
    """auto-sklearn 0.15 (SMAC + meta-learning + ensembles).

    AutoSklearnClassifier / AutoSklearnRegressor with ``time_left_for_this_task`` = the
    run's remaining budget minus ``reserve_s`` (or ``time_left_s`` when given).
    """

    name: ClassVar[str] = "autosklearn"
    #: what its runs record as their model (it runs once per dataset, not per model)
    searched_model: ClassVar[str] = "automl"
    requires: ClassVar[str] = ("auto-sklearn in its own Python 3.9 environment, made by "
                               "`harness env setup autosklearn`")
    environment: ClassVar[str] = "autosklearn"
    deterministic: ClassVar[bool] = False  # SMAC's time limits decide what is tried
    options: ClassVar[dict[str, Option]] = {
        "per_run_time_limit_s": Option((int,), None, "seconds per pipeline (unset: a quarter "
                                       "of the time left)", minimum=1),
        "memory_limit_mb": Option((int,), 3072, "memory per pipeline", minimum=256),
        "reserve_s": Option((float, int), 6.0, "seconds kept for the ensemble and the test "
                            "score", minimum=0),
        "ensemble_size": Option((int,), 50, "ensemble selection rounds", minimum=1),
        "time_left_s": Option((int,), None, "override time_left_for_this_task (unset: the "
                              "budget minus reserve_s)", minimum=30),
    }

    def __init__(self, *, per_run_time_limit_s: int | None = None, memory_limit_mb: int = 3072,
                 reserve_s: float = 6.0, ensemble_size: int = 50,
                 time_left_s: int | None = None):
        self.per_run_time_limit_s = per_run_time_limit_s
        self.memory_limit_mb = memory_limit_mb
        self.reserve_s = reserve_s
        self.ensemble_size = ensemble_size
        self.time_left_s = time_left_s

    def outcome_space(self, problem: Problem) -> Space:
        """It chooses its own pipeline: the model's ``__choice__``; the rest is its settings."""
        kind = "classifier" if problem.task == "classification" else "regressor"
        return {f"{kind}:__choice__": CategoricalDim(COMPONENTS[problem.task])}

    def search(self, problem: Problem, *, deadline: Deadline, seed: int,
               recorder: TrialRecorder) -> SearchOutcome:
        if problem.data_dir is None:
            raise RuntimeError("auto-sklearn needs the cached split on disk (data_dir)")
        if problem.python is None:
            raise RuntimeError("auto-sklearn runs in its own Python 3.9 environment and the "
                               "harness gave none (create it: harness env setup autosklearn)")
        python = problem.python
        time_left = self.time_left_s or int(deadline.remaining() - self.reserve_s)
        if time_left < MIN_TIME_LEFT_S:
            raise RuntimeError(
                f"auto-sklearn needs time_left_for_this_task >= {MIN_TIME_LEFT_S} s; this "
                f"run's budget of {deadline.time_s:g} s leaves {time_left} s after start-up and "
                f"a {self.reserve_s:g} s reserve. Give the suite budget.time_s >= "
                f"{MIN_TIME_LEFT_S + self.reserve_s + 5:g}.")
        work = Path.cwd()
        events = work / "autosklearn-events.jsonl"
        events.unlink(missing_ok=True)
        data = {k: str(Path(problem.data_dir) / f"{k}.npy")
                for k in ("X_train", "y_train", "X_test", "y_test")}
        spec = {"data": data, "task": problem.task, "metric": problem.scoring,
                "time_left_s": time_left,
                "per_run_time_limit_s": self.per_run_time_limit_s or max(5, time_left // 4),
                "memory_limit_mb": self.memory_limit_mb, "n_jobs": problem.n_jobs,
                "seed": seed, "cv": problem.cv, "tmp_folder": str(work / "autosklearn-tmp"),
                "events": str(events), "started_at": deadline.started_at,
                "max_trials": deadline.max_trials, "ensemble_size": self.ensemble_size,
                "layout": (problem.layout.to_dict()
                           if problem.layout is not None and not problem.layout.plain else None)}
        spec_path = work / "autosklearn-spec.json"
        spec_path.write_text(json.dumps(spec))
        with open(work / "autosklearn.log", "wb") as log:
            proc = subprocess.Popen([str(python), str(WORKER_SCRIPT), str(spec_path)],
                                    stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        follower = JsonLinesFollower(events)
        final: dict[str, Any] | None = None
        while True:
            running = proc.poll() is None
            for event in follower.read_new():
                kind = event.pop("event")
                if kind == "trial":
                    recorder.record(Trial(**event))
                else:
                    final = {"kind": kind, **event}
            if not running:
                break
            time.sleep(0.2)
        if final is None:
            tail = (work / "autosklearn.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the auto-sklearn worker exited with code {proc.returncode} "
                               f"without a result; its last output:\n{tail}")
        if final["kind"] == "autosklearn_error":
            raise RuntimeError(f"auto-sklearn failed: {final['error']}")
        return SearchOutcome(best_params=final["best_params"],
                             best_cv_score=final["best_cv_score"],
                             details={**final["details"], "time_left_s": time_left},
                             test_score=final["test_score"])
