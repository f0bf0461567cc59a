"""Worker process entry: one run, its events streamed as JSON lines.

``python -m harness.execution.worker SPEC.json EVENTS.jsonl``

The worker loads the cached split, checks the dataset fingerprint, runs the strategy
until its deadline, refits the best configuration on the train part, scores it once on
the held-out test part and writes a ``result`` event. A strategy's exception becomes a
``failed`` result with the traceback. A run with reduced-fidelity trials reports as its best
CV score the full-fidelity score of its choice (None without one). After the result (not
charged to the run), an ``ok`` run's incumbents at 25% and 50% of the budget are scored on
the test part (a ``budget_levels`` event, see ``budget_levels.py``) and its best
configuration gets its learning curve (a ``learning_curve`` event); both share one
allowance. If the harness that started it dies, the worker kills its own process group, so
nothing is left spinning.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harness.execution.budget_levels import level_scores_event
from harness.execution.events import EventWriter
from harness.execution.learning_curve import allowance_s, learning_curve_event, skipped_curve
from harness.execution.tree import die_with_parent
from harness.records import RunStatus, Trial, full_fidelity


class KeptTrials:
    """A TrialRecorder that streams each trial and keeps it for after the search."""

    def __init__(self, writer: EventWriter):
        self.writer = writer
        self.trials: list[Trial] = []

    def record(self, trial: Trial) -> None:
        self.trials.append(trial)
        self.writer.record(trial)


def _watch_parent(parent_pid: int) -> None:
    """Kill this worker's process group when its parent (harness or fork server) is gone."""

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os.killpg(os.getpgid(0), signal.SIGKILL)
            time.sleep(0.5)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def run_spec(spec: dict[str, Any], writer: KeptTrials) -> tuple[dict[str, Any], bool]:
    """Run one spec; returns the fields of the result event (status ok) and whether its best
    model is the problem's estimator with ``best_params`` (not one scored out of process)."""
    from sklearn.metrics import get_scorer
    from threadpoolctl import threadpool_limits

    from harness.datasets import load_split
    from harness.records import ColumnLayout
    from harness.spaces import parse_space
    from harness.strategies import Deadline, model_problem, resolve_strategy
    from harness.strategies._protocol import clean_score

    threadpool_limits(spec["n_jobs"])
    meta, split = load_split(Path(spec["data_dir"]))
    if meta["fingerprint"] != spec["fingerprint"]:
        raise RuntimeError(
            f"dataset {spec['dataset']!r} on this host has fingerprint {meta['fingerprint']}, "
            f"the suite expects {spec['fingerprint']}; refusing to mix results"
        )
    info = resolve_strategy(spec["strategy"])
    problem = model_problem(
        dataset=spec["dataset"], model=spec["model"], task=spec["task"],
        X=split.X_train, y=split.y_train,
        space=parse_space(spec["space"]) if spec["space"] else {},  # empty: its own model
        scoring=spec["metric"], cv=spec["cv"], n_jobs=spec["n_jobs"], seed=spec["seed"],
        data_dir=spec["data_dir"], python=_environment_python(info.environment),
        layout=ColumnLayout.from_dict(meta.get("layout")),
    )
    make_estimator = problem.make_estimator
    strategy = info.create(spec["strategy_options"])
    deadline = Deadline(started_at=spec["started_at"], time_s=spec["time_s"],
                        max_trials=spec["max_trials"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome = strategy.search(problem, deadline=deadline, seed=spec["seed"], recorder=writer)
        search_done = deadline.elapsed()
        refit_started = time.time()
        if outcome.test_score is not None:  # scored out of process, with the same scorer
            test_score = clean_score(outcome.test_score)
        else:
            estimator = outcome.best_estimator
            if estimator is None:
                estimator = make_estimator(outcome.best_params).fit(split.X_train,
                                                                    split.y_train)
            test_score = clean_score(get_scorer(spec["metric"])(estimator, split.X_test,
                                                                split.y_test))
        refit_s = time.time() - refit_started
    details = {**outcome.details, "search_s": round(search_done, 3), "refit_s": round(refit_s, 3)}
    details.update({key: meta[name] for key, name in (("dataset_meta", "meta_features"),
                                                      ("dataset_prep", "prep")) if meta.get(name)})
    if caught:
        details["warnings"] = dict(Counter(w.category.__name__ for w in caught))
    best_cv = full_fidelity_best(outcome.best_params, outcome.best_cv_score, writer.trials)
    if best_cv != outcome.best_cv_score:
        details["best_cv_note"] = ("the strategy's own best CV score was measured at reduced "
                                   "fidelity; this is its choice's full-fidelity score, if any")
    return {"status": RunStatus.OK, "best_params": outcome.best_params,
            "best_cv_score": best_cv, "test_score": test_score,
            "details": details}, outcome.test_score is None


def full_fidelity_best(best_params: dict[str, Any], best_cv: float | None,
                       trials: list[Trial]) -> float | None:
    """The run's best CV score at full fidelity: the strategy's own when no trial was at
    reduced fidelity or it is the score of a full-fidelity trial of ``best_params``; else the
    last such trial's score, or None when the choice was never evaluated at full fidelity."""
    if all(full_fidelity(t.fidelity, t.info) is not False for t in trials):
        return best_cv
    scores = [t.mean_cv_score for t in trials if t.params == best_params
              and t.mean_cv_score is not None and full_fidelity(t.fidelity, t.info)]
    if best_cv is not None and any(abs(s - best_cv) <= 1e-12 for s in scores):
        return best_cv
    return scores[-1] if scores else None


def _environment_python(environment: str | None) -> str | None:
    """The interpreter of a strategy's own environment (created before the run's budget
    starts, so this only finds it), or None for strategies of the main environment."""
    if environment is None:
        return None
    from harness.execution.environments import ensure_environment

    return str(ensure_environment(environment))


def warm_up(models: Iterable[str] = ()) -> None:
    """Import what every run needs (for a fork server that forks workers from this process),
    and the scikit-learn estimators of the model families named in ``models`` (others are
    left to their runs: a keras model's TensorFlow must not be imported before a fork)."""
    import sklearn.metrics  # noqa: F401
    import sklearn.model_selection  # noqa: F401
    import threadpoolctl

    import harness.datasets  # noqa: F401
    import harness.spaces  # noqa: F401
    import harness.strategies  # noqa: F401

    threadpoolctl.ThreadpoolController()  # its first scan of the loaded libraries is slow
    warm_estimators(models)


def warm_estimators(models: Iterable[str]) -> None:
    """Import the scikit-learn estimators of the model families named in ``models``."""
    from harness.models import MODELS

    for name in dict.fromkeys(models):
        family = MODELS.get(name)
        if family is not None and family.kind == "estimator":
            for task in family.tasks:
                family.build(task, seed=0)  # imports its estimator's module


def _own_usage() -> dict[str, float]:
    """CPU seconds and peak RSS so far of this process and its ended children (as its parent
    would see them on reaping it), for the run's costs without what comes after its result."""
    import resource

    own, children = (resource.getrusage(who)
                     for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return {"cpu_s": own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime,
            "maxrss_kb": max(own.ru_maxrss, children.ru_maxrss)}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m harness.execution.worker SPEC.json EVENTS.jsonl", file=sys.stderr)
        return 2
    parent = int(os.environ.get("HARNESS_PARENT_PID") or os.getppid())
    die_with_parent(parent)  # the kernel ends this worker with the harness, GIL held or not
    spec = json.loads(Path(args[0]).read_text())
    _watch_parent(parent)
    writer = EventWriter(Path(args[1]))
    writer.write("start", pid=os.getpid(), host=os.uname().nodename, started_at=time.time())
    kept = KeptTrials(writer)
    in_process = False
    try:
        result, in_process = run_spec(spec, kept)
    except Exception as exc:  # noqa: BLE001 - any strategy crash is a failed run, not ours
        result = {"status": RunStatus.FAILED, "error": f"{type(exc).__name__}: {exc}\n\n"
                                               f"{traceback.format_exc()}"}
    ok = result["status"] == RunStatus.OK
    skipped = skipped_curve(spec, result["best_params"], in_process=in_process) if ok else None
    writer.write("result", finished_at=time.time(), **result, **_own_usage(),
                 learning_curve_follows=ok and skipped is None, levels_follow=ok)
    if ok:  # after the result: not charged to the run; one allowance for both
        allowance = allowance_s(spec["time_s"])
        levels = level_scores_event(spec, result, kept.trials, in_process=in_process,
                                    allowance_s=allowance)
        writer.write("budget_levels", **levels)
        writer.write("learning_curve", **(skipped or learning_curve_event(
            spec, result["best_params"], allowance=allowance - levels["seconds"])))
    writer.close()
    return 0


if __name__ == "__main__":
    code = main()
    import gc

    gc.freeze()  # the exit would otherwise garbage-collect every imported module's cycles
    sys.exit(code)
