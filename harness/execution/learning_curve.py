"""The learning curve of a run's best configuration, computed by the worker after the run.

It runs after the ``result`` event, so it is not charged to the run's budget, wall time, CPU
time or peak memory; it has an allowance of its own (:func:`allowance_s`, shared with the
budget levels' test scores computed just before it), and the harness kills a worker still
busy :data:`GRACE_S` seconds past it (the run keeps its result). What it sends is stored
with the run, so writing a report never fits a model.
"""

from __future__ import annotations

import math
import threading
import time
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from harness.execution.refit import not_refittable

if TYPE_CHECKING:
    from harness.records import RunSpec

POINTS = 5  # training-set sizes, linspace(0.1, 1.0, POINTS) of the largest CV train part
MIN_ALLOWANCE_S = 5.0
ALLOWANCE_SHARE = 0.25  # of the run's time budget
GRACE_S = 5.0  # past the allowance, the harness kills the worker (one fit may overrun)
NOT_REQUESTED = "learning curves were not computed for this run (--no-learning-curves)"


def allowance_s(time_s: float) -> float:
    """How long a run's learning curve may take: a quarter of its budget, at least 5 s."""
    return max(MIN_ALLOWANCE_S, ALLOWANCE_SHARE * float(time_s))


def skipped_curve(spec: dict[str, Any], best_params: dict[str, Any] | None, *,
                  in_process: bool) -> dict[str, str] | None:
    """The ``learning_curve`` event of an ``ok`` run that gets no curve, ``{"skipped": code,
    "note": why}``, or None when it gets one. Codes: ``not-requested``, and those of
    :func:`~harness.execution.refit.not_refittable` (``not-estimator``, ``other-model``: the
    report leaves those runs out when it picks the best configuration).
    """
    if not spec.get("learning_curves", True):
        return {"skipped": "not-requested", "note": NOT_REQUESTED}
    why = not_refittable(spec, best_params, in_process=in_process)
    return None if why is None else {"skipped": why[0], "note": why[1]}


def learning_curve_event(spec: dict[str, Any], best_params: dict[str, Any] | None, *,
                         allowance: float | None = None) -> dict[str, Any]:
    """The ``learning_curve`` event of a run whose :func:`skipped_curve` is None: the
    curve, or ``{"note": why not}`` when it failed or would not fit its allowance.

    The curve is scikit-learn's ``learning_curve`` of the problem's own model built with the
    run's best parameters, on the run's train part, with the run's CV splitter and metric:
    ``{sizes, train_mean, train_std, cv_mean, cv_std, metric, seconds}``, None where every
    fold failed. ``allowance``: seconds it may take (default :func:`allowance_s`).
    """
    allowance = allowance_s(spec["time_s"]) if allowance is None else allowance
    if allowance <= 0:
        return {"note": "the learning curve was not computed: the budget levels' test "
                        "scores used its whole allowance"}
    try:
        return _compute(spec, dict(best_params or {}), allowance)
    except Exception as exc:  # noqa: BLE001 - the run's result stands; say why there is none
        return {"note": f"the learning curve failed: {type(exc).__name__}: {exc}"}


def _compute(spec: dict[str, Any], params: dict[str, Any], allowance: float) -> dict[str, Any]:
    """One ``learning_curve`` call per size, smallest first, so that a curve that would not
    fit its allowance is given up before its largest (slowest) sizes."""
    import numpy as np
    from sklearn.model_selection import learning_curve

    from harness.execution.refit import run_model
    from harness.strategies._protocol import cv_splitter

    estimator, split = run_model(spec, params)
    fractions = np.linspace(0.1, 1.0, POINTS)
    started = time.monotonic()
    sizes: list[int] = []
    columns: list[list[float | None]] = [[], [], [], []]
    for i, fraction in enumerate(fractions):
        step_started = time.monotonic()
        with warnings.catch_warnings():  # sizes too small for a configuration score NaN
            warnings.simplefilter("ignore")
            size, train, test = learning_curve(
                estimator, split.X_train, split.y_train,
                cv=cv_splitter(spec["task"], int(spec["cv"]), int(spec["seed"])),
                scoring=spec["metric"], train_sizes=[fraction], n_jobs=1,
                error_score=np.nan)
            stats = [f(a[0]) for a in (train, test) for f in (np.nanmean, np.nanstd)]
        sizes.append(int(size[0]))
        for column, value in zip(columns, stats, strict=True):
            column.append(_finite(value))
        now = time.monotonic()
        if i + 1 < POINTS:
            next_s = (now - step_started) * fractions[i + 1] / fraction
            if now - started + next_s > allowance:
                return {"note": f"the learning curve was given up after {i + 1} of {POINTS} "
                                f"sizes: the rest would take longer than its allowance of "
                                f"{allowance:g} s"}
    return {"sizes": sizes, "train_mean": columns[0], "train_std": columns[1],
            "cv_mean": columns[2], "cv_std": columns[3], "metric": spec["metric"],
            "seconds": round(time.monotonic() - started, 3)}


class BestSoFar:
    """Decides, as each run's result arrives, whether its worker goes on to the learning
    curve: only when the run's best CV score is at least the best one seen so far for its
    problem (the report shows the curve of the problem's best run; a worse run's curve
    would never be shown). Shared by the runs of one executor."""

    def __init__(self) -> None:
        self._best: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()

    def wants_curve(self, spec: RunSpec, result: Mapping[str, Any]) -> bool:
        """False when the worker should be stopped instead of computing its curve."""
        if not result.get("learning_curve_follows"):
            return True  # no curve follows: nothing to stop
        score = result.get("best_cv_score")
        if score is None:
            return False
        return self.improves((spec.dataset, spec.fingerprint, spec.model, spec.round),
                             float(score))

    def improves(self, problem: tuple[str, ...], score: float) -> bool:
        """True (and ``score`` is the problem's best now) when no run of ``problem`` seen so
        far scored better."""
        with self._lock:
            if score < self._best.get(problem, -math.inf):
                return False
            self._best[problem] = score
            return True


def _finite(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
