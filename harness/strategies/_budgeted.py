"""Budget control for scikit-learn style searches (``BaseSearchCV`` subclasses).

:class:`BudgetedSearchMixin` wraps ``evaluate_candidates`` so that candidates are
evaluated in small chunks; after each chunk the new rows of ``cv_results_`` are recorded
as trials, and before each chunk the deadline and ``max_trials`` are checked. Stopping
ends ``_run_search`` early; ``BaseSearchCV.fit`` then selects the best of what was
evaluated. With no limit hit, the results equal the unchunked search exactly.

A successive-halving search's trials are labelled ``info["full_fidelity"]`` (True only for
trials on the whole train part), and its reserve at the deadline leaves room for one
cross-validation on the whole train part besides the refit.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from harness.models import from_pipeline_params
from harness.strategies._protocol import Deadline, Trial, TrialRecorder, clean_score

_SPLIT_KEY = re.compile(r"^split(\d+)_test_score$")


class StopSearch(Exception):
    """Raised inside a search to end it at the budget."""


class TrialLog:
    """Turns new rows of a ``cv_results_`` dict into recorded trials."""

    def __init__(
        self,
        recorder: TrialRecorder,
        deadline: Deadline,
        *,
        stage: str | None = None,
        start_number: int = 0,
    ):
        self.recorder = recorder
        self.deadline = deadline
        self.stage = stage
        self.n_rows = 0
        self.next_number = start_number
        self.failed = 0
        self.max_fit_time = 0.0
        #: the whole train part's size for a search over ``n_samples`` (else None)
        self.full_resources: int | None = None
        self.max_full_fit_s = 0.0  # one fit on the whole train part, estimated
        self.full_eval_fits = 0  # sequential fits of a full-fidelity CV, reserved besides

    def reserve_s(self) -> float:
        """Seconds kept at the deadline: two of the slowest fits (the refit), and for a
        multi-fidelity search one cross-validation on the whole train part too."""
        if self.full_resources:
            return self.max_full_fit_s * (2 + self.full_eval_fits)
        return 2.0 * self.max_fit_time

    def fidelity_of(self, n_resources: int, iteration: int) -> tuple[dict[str, Any], bool]:
        """A halving trial's fidelity and whether it is full (the whole train part)."""
        full = self.full_resources is not None and n_resources >= self.full_resources
        return {"n_samples": n_resources, "iteration": iteration}, full

    def record_rows(self, results: dict[str, Any]) -> None:
        n_splits = sum(1 for key in results if _SPLIT_KEY.match(key))
        elapsed = self.deadline.elapsed()
        for i in range(self.n_rows, len(results["params"])):
            fit_time = float(results["mean_fit_time"][i]) * n_splits
            self.max_fit_time = max(self.max_fit_time, float(results["mean_fit_time"][i]))
            fidelity, full = None, None
            if "n_resources" in results:
                n = int(results["n_resources"][i])
                fidelity, full = self.fidelity_of(n, int(results["iter"][i]))
                if self.full_resources:
                    self.max_full_fit_s = max(self.max_full_fit_s, float(
                        results["mean_fit_time"][i]) * self.full_resources / max(n, 1))
            self._emit(
                Trial(
                    number=self.next_number,
                    params=from_pipeline_params(results["params"][i]),
                    cv_scores=[
                        clean_score(results[f"split{k}_test_score"][i]) for k in range(n_splits)
                    ],
                    fit_time_s=fit_time,
                    score_time_s=float(results["mean_score_time"][i]) * n_splits,
                    elapsed_s=elapsed,
                    fidelity=fidelity,
                    info={} if full is None else {"full_fidelity": full},
                )
            )
        self.n_rows = len(results["params"])

    def record_failed(
        self,
        candidates: Iterable[dict[str, Any]],
        error: str,
        n_splits: int,
        fidelity: dict[str, Any] | None = None,
    ) -> None:
        elapsed = self.deadline.elapsed()
        full = None
        if fidelity is not None:
            fidelity, full = self.fidelity_of(fidelity["n_samples"], fidelity["iteration"])
        for params in candidates:
            self.failed += 1
            self._emit(
                Trial(
                    number=self.next_number,
                    params=from_pipeline_params(params),
                    cv_scores=[None] * n_splits,
                    fit_time_s=0.0,
                    score_time_s=0.0,
                    elapsed_s=elapsed,
                    fidelity=fidelity,
                    info={} if full is None else {"full_fidelity": full},
                    error=error,
                )
            )

    def add(self, trial: Trial) -> None:
        """Record a trial the search itself did not make (numbered after the others)."""
        trial.number = self.next_number
        self._emit(trial)

    def _emit(self, trial: Trial) -> None:
        if self.stage:
            trial.info["stage"] = self.stage
        self.recorder.record(trial)
        self.next_number += 1


class BudgetedSearchMixin:
    """Mix into a ``BaseSearchCV`` subclass; call :meth:`set_budget` before ``fit``."""

    _trial_log: TrialLog
    _chunk_size: int = 1
    _limit: int | None = None

    def __getstate__(self) -> dict[str, Any]:
        # joblib sends the search object to its workers (``caller=self``); the trial log
        # and the evaluator stay in this process.
        state = dict(super().__getstate__())  # type: ignore[misc]
        state.pop("_trial_log", None)
        state.pop("_guard", None)
        return state

    def set_budget(self, log: TrialLog, *, chunk_size: int, max_trials: int | None) -> None:
        self._trial_log = log
        self._chunk_size = max(1, chunk_size)
        self._limit = max_trials

    def _run_search(
        self, evaluate_candidates: Callable[..., dict[str, Any]], *, callback_ctx: Any = None
    ) -> None:
        full = getattr(self, "max_resources_", None)  # halving over n_samples: len(X)
        if getattr(self, "resource", None) == "n_samples" and full:
            n_jobs = self.n_jobs if self.n_jobs and self.n_jobs > 0 else 1  # type: ignore[attr-defined]
            self._trial_log.full_resources = int(full)
            self._trial_log.full_eval_fits = -(-self.cv.get_n_splits() // n_jobs)  # type: ignore[attr-defined]
        guard = _ChunkedEvaluator(
            evaluate_candidates,
            self._trial_log,
            self._chunk_size,
            self._limit,
            n_splits=self.cv.get_n_splits(),
        )  # type: ignore[attr-defined]
        self._guard = guard
        parent = super()._run_search  # type: ignore[misc]
        kwargs = (
            {"callback_ctx": callback_ctx}
            if "callback_ctx" in inspect.signature(parent).parameters
            else {}
        )
        with contextlib.suppress(StopSearch):
            parent(guard, **kwargs)
        if guard.evaluated == 0:
            raise RuntimeError(
                f"all {guard.attempted} candidate(s) failed to fit; "
                f"first error:\n{guard.first_error}"
            )


class _ChunkedEvaluator:
    """Callable standing in for ``evaluate_candidates``: chunks, checks the budget, records."""

    def __init__(
        self,
        evaluate: Callable[..., dict[str, Any]],
        log: TrialLog,
        chunk: int,
        limit: int | None,
        *,
        n_splits: int,
    ):
        self.evaluate = evaluate
        self.log = log
        self.chunk = chunk
        self.limit = limit
        self.n_splits = n_splits
        self.results: dict[str, Any] = {}
        self.attempted = 0
        self.evaluated = 0
        self.first_error = ""
        self.last_step_s = 0.0
        self.last_resources: float | None = None

    def __call__(
        self,
        candidate_params: Iterable[dict[str, Any]],
        cv: Any = None,
        more_results: dict[str, list[Any]] | None = None,
        callback_ctx: Any = None,
    ) -> dict[str, Any]:
        candidates = iter(candidate_params)  # may be a lazy sampler of many candidates
        start = 0
        while True:
            if self.limit is not None and self.attempted >= self.limit:
                raise StopSearch
            size = (
                self.chunk if self.limit is None else min(self.chunk, self.limit - self.attempted)
            )
            part = list(itertools.islice(candidates, size))
            if not part:
                break
            part_more = (
                {k: list(v[start : start + len(part)]) for k, v in more_results.items()}
                if more_results
                else None
            )
            if self.attempted and not self.log.deadline.allows(
                self._estimate(part_more), reserve_s=self.log.reserve_s()
            ):
                raise StopSearch
            self._run_chunk(part, cv, part_more)
            start += len(part)
        return self.results

    def _estimate(self, more: dict[str, list[Any]] | None) -> float:
        if more and "n_resources" in more and self.last_resources:
            return self.last_step_s * max(more["n_resources"]) / self.last_resources
        return self.last_step_s

    def _run_chunk(
        self, part: list[dict[str, Any]], cv: Any, more: dict[str, list[Any]] | None
    ) -> None:
        started = time.time()
        self.attempted += len(part)
        try:
            self.results = self.evaluate(part, cv, more_results=more)
        except ValueError as exc:
            if "fits failed" not in str(exc):
                raise
            self.first_error = self.first_error or str(exc)
            fidelity = (
                {"n_samples": int(more["n_resources"][0]), "iteration": int(more["iter"][0])}
                if more and "n_resources" in more
                else None
            )
            self.log.record_failed(part, str(exc).strip()[-2000:], self.n_splits, fidelity)
        else:
            self.evaluated += len(part)
            self.log.record_rows(self.results)
        self.last_step_s = time.time() - started
        if more and "n_resources" in more:
            self.last_resources = max(more["n_resources"])
